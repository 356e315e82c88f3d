import type { AdminQueues, QueueMonitor } from './ports';

export type DeadLetterChoice = 'moma' | 'fileEvents' | 'all';

/**
 * Moves the messages of the chosen dead-letter queues back to their source queues. A queue with nothing waiting
 * starts no move task (its `taskHandle` is null).
 */
export async function redriveDeadLetters(choice: DeadLetterChoice, deps: { queues: AdminQueues; queueMonitor: QueueMonitor }) {
  const deadLetters = { moma: deps.queues.momaDlq, fileEvents: deps.queues.fileEventsDlq };
  const chosen = choice === 'all' ? Object.entries(deadLetters) : [[choice, deadLetters[choice]] as const];
  const redrives = await Promise.all(
    chosen.map(async ([queue, url]) => {
      const depth = await deps.queueMonitor.depth(queue, url);
      return { queue, messages: depth.waiting, taskHandle: depth.waiting > 0 ? await deps.queueMonitor.redrive(url) : null };
    }),
  );
  return { redrives };
}
