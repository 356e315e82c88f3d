import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import type { ScheduledEvent, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { Consumer } from 'sqs-consumer';
import type { FunctionSpec, QueueSpec } from '../shared/topology';
import type { LocalFunction } from './lambda-runtime';

/** How long one receive waits for a message, as Lambda's pollers do; a stop releases the waiting polls at once. */
const LONG_POLL_SECONDS = 20;

export interface Mapping {
  readonly name: string;
  readonly running: boolean;
  start(): void;
  /** Graceful (sync stop): wait for the work in flight. Not graceful (shutdown): stop receiving and return. */
  stop(options?: { graceful?: boolean }): Promise<void>;
}

export interface SqsMappingOptions {
  name: string;
  spec: FunctionSpec & { trigger: { type: 'sqs' } };
  queue: { url: string; arn: string; spec: QueueSpec };
  sqs: SQSClient;
  region: string;
  fn: LocalFunction<SQSEvent, SQSBatchResponse | undefined>;
  /** Ends the polls waiting on the queue at once, so a stop does not wait out a long poll. */
  releasePolls?(): void;
  onError(error: Error): void;
}

/**
 * Lambda's SQS event source mapping, emulated: pollers receive up to `batchSize` messages, hand the handler a
 * genuine SQSEvent, and delete only the messages it did not list in `batchItemFailures` (a thrown error keeps
 * the whole batch). Failed messages reappear after the visibility timeout and go to the DLQ after
 * maxReceiveCount, exactly as the queue's redrive policy says.
 */
export function sqsMapping(options: SqsMappingOptions): Mapping {
  const { spec, queue, region } = options;
  const handleBatch = async (messages: Message[]): Promise<Message[]> => {
    const event: SQSEvent = { Records: messages.map((m) => toSqsRecord(m, queue.arn, region)) };
    let response: SQSBatchResponse | undefined;
    try {
      response = await options.fn.invoke(event);
    } catch (err) {
      options.onError(err as Error);
      return [];
    }
    const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    return messages.filter((m) => !failed.has(m.MessageId!));
  };
  const visibility = queue.spec.localVisibilityTimeoutSeconds;
  const consumers = Array.from({ length: spec.trigger.localPollers }, () =>
    Consumer.create({
      queueUrl: queue.url,
      sqs: options.sqs,
      batchSize: spec.trigger.batchSize,
      // Long polls: the SQS emulator answers one as soon as a message arrives, and ends them when the mapping stops.
      waitTimeSeconds: LONG_POLL_SECONDS,
      pollingWaitTimeMs: 0,
      visibilityTimeout: visibility,
      heartbeatInterval: Math.max(1, Math.floor(visibility / 2)),
      messageSystemAttributeNames: ['All'],
      // The SQS emulator reads only the older AttributeNames field; real SQS accepts both.
      attributeNames: ['All'],
      messageAttributeNames: ['All'],
      handleMessageBatch: handleBatch,
      // Stopping waits for the poll in flight and its batch, as a disabled Lambda mapping finishes its current
      // batch: once stop() resolves, nothing more is received.
      pollingCompleteWaitTimeMs: spec.timeoutSeconds * 1_000,
      suppressFifoWarning: true,
    }),
  );
  // A shutdown aborts the polls in flight: their "Request aborted" errors are expected, not worth a line.
  let aborted = false;
  const report = (err: Error) => {
    if (!aborted) options.onError(err);
  };
  for (const consumer of consumers) {
    consumer.on('error', report);
    consumer.on('processing_error', report);
  }
  return {
    name: options.name,
    get running() {
      return consumers.some((c) => c.status.isRunning);
    },
    start: () => {
      aborted = false;
      for (const c of consumers) c.start();
    },
    stop: async ({ graceful = true } = {}) => {
      await Promise.all(
        consumers.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (!c.status.isRunning) return resolve();
              if (!graceful) {
                aborted = true;
                c.stop({ abort: true });
                return resolve();
              }
              // A poll still on its way to the queue when released would wait its whole time: release until stopped.
              const releasing = setInterval(() => options.releasePolls?.(), 100);
              c.once('stopped', () => {
                clearInterval(releasing);
                resolve();
              });
              c.stop({ abort: false });
              options.releasePolls?.();
            }),
        ),
      );
    },
  };
}

function toSqsRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([k, v]) => [
        k,
        {
          stringValue: v.StringValue,
          binaryValue: v.BinaryValue ? Buffer.from(v.BinaryValue).toString('base64') : undefined,
          stringListValues: [],
          binaryListValues: [],
          dataType: v.DataType ?? 'String',
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

export interface ScheduleOptions {
  name: string;
  spec: FunctionSpec & { trigger: { type: 'schedule' } };
  region: string;
  fn: LocalFunction<ScheduledEvent, unknown>;
  onError(error: Error): void;
}

/** An EventBridge rate schedule: a timer that invokes the handler with a genuine ScheduledEvent. */
export function scheduleMapping(options: ScheduleOptions): Mapping & { runNow(): Promise<unknown> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  const runNow = async () => {
    const time = new Date();
    const event: ScheduledEvent = {
      version: '0',
      id: crypto.randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: options.region,
      resources: [`arn:aws:events:${options.region}:000000000000:rule/hi-vis-${options.name}`],
      detail: {},
    };
    running = options.fn.invoke(event).catch((err: Error) => options.onError(err));
    return running;
  };
  return {
    name: options.name,
    get running() {
      return timer !== undefined;
    },
    start() {
      timer ??= setInterval(() => void runNow(), options.spec.trigger.everyMinutes * 60_000);
    },
    async stop({ graceful = true } = {}) {
      clearInterval(timer);
      timer = undefined;
      if (graceful) await running;
    },
    runNow,
  };
}
