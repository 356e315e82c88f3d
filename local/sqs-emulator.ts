import { existsSync } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createRequestHandler } from 'local-aws-sqs';
import { QUEUES, type QueueName } from '../shared/topology';
import { listenOnLoopback } from './servers';
import { writeWholeFile } from './whole-file';

export interface LocalQueue {
  url: string;
  arn: string;
  dlqUrl: string;
  dlqArn: string;
}

/** A message as local-aws-sqs keeps it (its internal record; the parts this module reads). */
interface StoredRecord {
  MessageId: string;
  MessageBody: string;
  MessageAttributes?: Record<string, unknown>;
  attributes: Record<string, string | undefined>;
}

/** local-aws-sqs's entry for one message: the record plus its visibility state and timers. */
interface StoredEntry {
  record: StoredRecord;
}

/** The queue methods of local-aws-sqs this module wraps; all are instance properties or prototype methods. */
interface EmulatedQueue {
  QueueName: string;
  newRecord(record: StoredRecord, delay?: number): StoredEntry;
  setRecord(input: Record<string, unknown>, messageId?: string): StoredEntry;
  changeVisibility(receiptHandle: string, visibilityTimeout: string): boolean;
  delete(receiptHandle: string): boolean;
  clearRecords(): void;
  receive(input: { VisibilityTimeout?: unknown; WaitTimeSeconds?: unknown; MaxNumberOfMessages?: unknown }): Promise<unknown[]>;
  /** Added here: ends the waiting long polls. */
  releasePolls?(): void;
  ReceiveMessageWaitTimeSeconds?: number;
}

/**
 * While a long poll waits, how often it looks again for messages that became visible without being sent (a
 * visibility timeout or a delay running out); a message sent to the queue ends the wait at once.
 */
const LONG_POLL_RECHECK_MS = 1_000;

/** One message as saved across a graceful restart. */
export interface SavedMessage {
  messageId: string;
  body: string;
  messageAttributes?: Record<string, unknown>;
  /** System attributes a DLQ redrive needs (the source queue) or a tracer set. */
  systemAttributes?: Record<string, string>;
  sentTimestamp?: string;
  receiveCount?: string;
  firstReceiveTimestamp?: string;
}

export type QueueSnapshot = Record<string, SavedMessage[]>;

export interface SqsEmulator {
  endpoint: string;
  /** Every message each queue holds now, waiting or in flight, in the order they were sent. */
  snapshot(): QueueSnapshot;
  /** Ends every long poll waiting on the queue with this URL: each answers with no message now. */
  releasePolls(queueUrl: string): void;
  /** Puts saved messages back, each queue's in order; returns how many. Queues must exist. */
  restore(snapshot: QueueSnapshot): number;
  close(): Promise<void>;
}

export interface SqsEmulatorOptions {
  port: number;
  /** Where the queues' messages are saved on close and read back by restoreSaved(); none: nothing is kept. */
  messagesFile?: string;
  log?(line: string): void;
}

/**
 * local-aws-sqs, with two corrections, and durable across a graceful stop:
 * - it counts a visibility change (a poller's heartbeat) as a receive, so a message busy for a few seconds
 *   reached its DLQ on its first failure: here only receives count;
 * - a malformed request (a JSON body with no X-Amz-Target, say) rejected outside its error handling and
 *   ended the process: here it is answered 400;
 * - close() saves every message still held (waiting, in flight, parked in a DLQ) to `messagesFile`, and
 *   restoreSaved() puts them back, in order, before anything polls.
 */
export async function startSqsEmulator(options: SqsEmulatorOptions): Promise<SqsEmulator & { restoreSaved(): Promise<number> }> {
  const log = options.log ?? (() => undefined);
  const { service, requestHandler } = createRequestHandler({
    port: options.port,
    hostname: '127.0.0.1',
    emulateQueueCreationLifecycle: false,
  });
  const tracked = new Map<EmulatedQueue, Map<string, StoredEntry>>();

  const trackQueues = () => {
    for (const queue of service.Queues as unknown as EmulatedQueue[])
      if (!tracked.has(queue)) tracked.set(queue, trackMessages(queue, tracked));
  };
  const server = createServer((req, res) => {
    // A queue is tracked before any request can send to it: it was created by an earlier request.
    trackQueues();
    requestHandler(req, res).catch((err: Error) => answerMalformed(res, err));
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  const listening = await listenOnLoopback(server, options.port, 'SQS');

  const snapshot = (): QueueSnapshot => {
    trackQueues();
    return Object.fromEntries(
      [...tracked].map(([queue, entries]) => [queue.QueueName, [...entries.values()].map((e) => toSaved(e.record))]),
    );
  };
  const restore = (saved: QueueSnapshot): number => {
    trackQueues();
    let count = 0;
    for (const [name, messages] of Object.entries(saved)) {
      const queue = [...tracked.keys()].find((q) => q.QueueName === name);
      if (!queue) {
        log(`${messages.length} saved message(s) of queue ${name}, which no longer exists, were dropped`);
        continue;
      }
      for (const message of messages) restoreMessage(queue, message);
      count += messages.length;
    }
    return count;
  };

  return {
    endpoint: listening.url,
    releasePolls(queueUrl: string) {
      trackQueues();
      const name = queueUrl.split('/').pop();
      for (const queue of tracked.keys()) if (queue.QueueName === name) queue.releasePolls?.();
    },
    snapshot,
    restore,
    async restoreSaved() {
      if (!options.messagesFile || !existsSync(options.messagesFile)) return 0;
      const file = options.messagesFile;
      let saved: QueueSnapshot;
      try {
        saved = parseSnapshot(await readFile(file, 'utf8'));
      } catch (err) {
        await rename(file, `${file}.unreadable`).catch(() => undefined);
        log(
          `the queues' saved messages (${file}) could not be read (${(err as Error).message}); kept as ${file}.unreadable, the queues start empty`,
        );
        return 0;
      }
      const count = restore(saved);
      // Restored into memory: from now on the queues hold them, and a later graceful stop saves them again.
      await rm(file, { force: true });
      return count;
    },
    async close() {
      await listening.close();
      if (!options.messagesFile) return;
      const messages = snapshot();
      const total = Object.values(messages).reduce((n, list) => n + list.length, 0);
      await writeWholeFile(options.messagesFile, JSON.stringify({ version: 1, savedAt: new Date().toISOString(), queues: messages }));
      if (total > 0) log(`saved ${total} queued message(s) for the next start`);
    },
  };
}

/**
 * Wraps one queue so its messages are known (in send order), visibility changes do not count as receives, and a
 * long poll answers as soon as a message arrives (the emulator's own waits out its whole wait time, messages or not).
 */
function trackMessages(queue: EmulatedQueue, all: Map<EmulatedQueue, Map<string, StoredEntry>>): Map<string, StoredEntry> {
  const entries = new Map<string, StoredEntry>();
  const { newRecord, changeVisibility, delete: deleteMessage, clearRecords, receive } = queue;
  const waiting = new Set<(released?: boolean) => void>();
  queue.releasePolls = () => {
    for (const wake of [...waiting]) wake(true);
  };
  queue.receive = async (input) => {
    const waitSeconds = Number(input.WaitTimeSeconds ?? queue.ReceiveMessageWaitTimeSeconds ?? 0) || 0;
    const deadline = Date.now() + waitSeconds * 1000;
    let released = false;
    for (;;) {
      const received = await receive.call(queue, { ...input, WaitTimeSeconds: 0 });
      const left = deadline - Date.now();
      if (received.length > 0 || left <= 0 || released) return received;
      await new Promise<void>((resolve) => {
        const wake = (release?: boolean) => {
          clearTimeout(timer);
          waiting.delete(wake);
          released ||= release === true;
          resolve();
        };
        const timer = setTimeout(() => wake(), Math.min(left, LONG_POLL_RECHECK_MS));
        waiting.add(wake);
      });
    }
  };
  queue.newRecord = (record, delay) => {
    const entry = newRecord.call(queue, record, delay);
    for (const wake of [...waiting]) wake();
    // A message lives in one queue: one that moved (to a DLQ, or back by a redrive) is no longer in the other.
    for (const other of all.values()) other.delete(record.MessageId);
    entries.set(record.MessageId, entry);
    return entry;
  };
  queue.changeVisibility = (receiptHandle, visibilityTimeout) => {
    const changed = changeVisibility.call(queue, receiptHandle, visibilityTimeout);
    // The emulator's visibility change adds one to the receive count (its receive path is shared): take it back.
    const entry = changed ? entries.get(messageIdOf(receiptHandle)) : undefined;
    if (entry)
      entry.record.attributes.ApproximateReceiveCount = String(Math.max(1, Number(entry.record.attributes.ApproximateReceiveCount) - 1));
    return changed;
  };
  queue.delete = (receiptHandle) => {
    const deleted = deleteMessage.call(queue, receiptHandle);
    if (deleted) entries.delete(messageIdOf(receiptHandle));
    return deleted;
  };
  queue.clearRecords = () => {
    clearRecords.call(queue);
    entries.clear();
  };
  return entries;
}

/** local-aws-sqs's receipt handles are base64 of a UUID followed by JSON naming the message. */
function messageIdOf(receiptHandle: string): string {
  const text = Buffer.from(receiptHandle, 'base64').toString('utf8');
  try {
    return String((JSON.parse(text.slice(text.indexOf('{'))) as { MessageId?: unknown }).MessageId ?? '');
  } catch {
    return '';
  }
}

const SYSTEM_ATTRIBUTES = ['DeadLetterQueueSourceArn', 'AWSTraceHeader'] as const;

function toSaved(record: StoredRecord): SavedMessage {
  const systemAttributes = Object.fromEntries(
    SYSTEM_ATTRIBUTES.flatMap((name) => (record.attributes[name] ? [[name, record.attributes[name]!]] : [])),
  );
  return {
    messageId: record.MessageId,
    body: record.MessageBody,
    ...(record.MessageAttributes ? { messageAttributes: record.MessageAttributes } : {}),
    ...(Object.keys(systemAttributes).length > 0 ? { systemAttributes } : {}),
    sentTimestamp: record.attributes.SentTimestamp,
    receiveCount: record.attributes.ApproximateReceiveCount,
    firstReceiveTimestamp: record.attributes.ApproximateFirstReceiveTimestamp,
  };
}

/** The message as it was: same id, body, attributes, sent time and receive count, as a durable queue keeps it. */
function restoreMessage(queue: EmulatedQueue, message: SavedMessage) {
  const systemAttributes = Object.entries(message.systemAttributes ?? {}).map(([name, value]) => [
    name,
    { DataType: 'String', StringValue: value },
  ]);
  const entry = queue.setRecord(
    {
      MessageBody: message.body,
      MessageAttributes: message.messageAttributes,
      ...(systemAttributes.length > 0 ? { MessageSystemAttributes: Object.fromEntries(systemAttributes) } : {}),
    },
    message.messageId,
  );
  const attributes = entry.record.attributes;
  if (message.sentTimestamp) attributes.SentTimestamp = message.sentTimestamp;
  if (message.receiveCount) attributes.ApproximateReceiveCount = message.receiveCount;
  if (message.firstReceiveTimestamp) attributes.ApproximateFirstReceiveTimestamp = message.firstReceiveTimestamp;
}

function parseSnapshot(text: string): QueueSnapshot {
  const parsed = JSON.parse(text) as { queues?: unknown };
  const queues = parsed.queues;
  if (!queues || typeof queues !== 'object' || Array.isArray(queues)) throw new Error('no queues in it');
  for (const [name, messages] of Object.entries(queues)) {
    if (!Array.isArray(messages) || messages.some((m) => typeof m?.messageId !== 'string' || typeof m?.body !== 'string'))
      throw new Error(`queue ${name} is not a list of messages`);
  }
  return queues as QueueSnapshot;
}

function answerMalformed(res: ServerResponse, err: Error) {
  if (res.headersSent) return void res.destroy();
  res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': 'InvalidParameterValue;Sender' });
  res.end(JSON.stringify({ __type: 'com.amazonaws.sqs#InvalidParameterValue', message: `malformed request: ${err.message}` }));
}

/** The stack's queues, each with its dead-letter queue and the same redrive policy as in the cloud. */
export async function createQueues(sqs: SQSClient): Promise<Record<QueueName, LocalQueue>> {
  const entries = await Promise.all(
    (Object.keys(QUEUES) as QueueName[]).map(async (name) => {
      const spec = QUEUES[name];
      const dlqUrl = (
        await sqs.send(
          new CreateQueueCommand({
            QueueName: `${spec.defaultName}-dlq`,
            Attributes: { MessageRetentionPeriod: String(spec.dlqRetentionDays * 86_400) },
          }),
        )
      ).QueueUrl!;
      const dlqArn = await queueArn(sqs, dlqUrl);
      const url = (
        await sqs.send(
          new CreateQueueCommand({
            QueueName: spec.defaultName,
            Attributes: {
              VisibilityTimeout: String(spec.localVisibilityTimeoutSeconds),
              MessageRetentionPeriod: String(spec.retentionDays * 86_400),
              RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: spec.maxReceiveCount }),
            },
          }),
        )
      ).QueueUrl!;
      return [name, { url, arn: await queueArn(sqs, url), dlqUrl, dlqArn }] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<QueueName, LocalQueue>;
}

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return out.Attributes!.QueueArn!;
}
