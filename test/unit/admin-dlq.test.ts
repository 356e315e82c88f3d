import { redriveDeadLetters } from '../../shared/admin/dlq';
import { memoryAdmin, TEST_QUEUES } from '../support/admin-fakes';

describe('redriveDeadLetters', () => {
  test('moves the waiting messages of both dead-letter queues back, one task each', async () => {
    const { app, queueMonitor } = memoryAdmin();
    queueMonitor.waiting.set(TEST_QUEUES.momaDlq, 3);
    queueMonitor.waiting.set(TEST_QUEUES.fileEventsDlq, 1);
    expect(await redriveDeadLetters('all', app)).toEqual({
      redrives: [
        { queue: 'moma', messages: 3, taskHandle: expect.any(String) },
        { queue: 'fileEvents', messages: 1, taskHandle: expect.any(String) },
      ],
    });
    expect([...queueMonitor.redriven].sort()).toEqual([TEST_QUEUES.fileEventsDlq, TEST_QUEUES.momaDlq].sort());
  });

  test('only the chosen queue; an empty one starts no task', async () => {
    const { app, queueMonitor } = memoryAdmin();
    queueMonitor.waiting.set(TEST_QUEUES.momaDlq, 2);
    expect(await redriveDeadLetters('fileEvents', app)).toEqual({ redrives: [{ queue: 'fileEvents', messages: 0, taskHandle: null }] });
    expect(await redriveDeadLetters('moma', app)).toEqual({ redrives: [{ queue: 'moma', messages: 2, taskHandle: 'task-1' }] });
    expect(queueMonitor.redriven).toEqual([TEST_QUEUES.momaDlq]);
  });
});
