import { existsSync, readFileSync } from 'node:fs';
import {
  type _Record,
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { FunctionSpec } from '../shared/topology';
import type { Mapping } from './event-source-mappings';
import type { LocalFunction } from './lambda-runtime';
import { writeWholeFile } from './whole-file';

/**
 * The wait after a read that found nothing, doubled after each further one, up to the most; a nudge (a local
 * function ran, and may have written) ends the wait.
 */
const QUIET_POLL_FIRST_MS = 100;
const QUIET_POLL_MAX_MS = 5_000;
const DESCRIBE_EVERY_MS = 30_000;

export interface StreamMappingOptions {
  name: string;
  spec: FunctionSpec & { trigger: { type: 'stream' } };
  streamArn: string;
  streams: DynamoDBStreamsClient;
  region: string;
  fn: LocalFunction<DynamoDBStreamEvent, DynamoDBBatchResponse | undefined>;
  /** Where the last processed sequence number of each shard is kept, so a restart resumes rather than replays. */
  checkpointFile: string;
  onError(error: Error): void;
}

/**
 * Lambda's DynamoDB stream event source mapping, emulated: reads each shard in order, keeps the records the
 * function's filter patterns accept, invokes the handler with a genuine DynamoDBStreamEvent, and advances only
 * past what succeeded (honouring `batchItemFailures`); a failing batch is retried, then skipped after
 * `retryAttempts`, as Lambda does.
 */
/** How often a batching window looks for more records. */
const WINDOW_READ_MS = 100;

export function streamMapping(options: StreamMappingOptions): Mapping & { nudge(): void } {
  const { spec, streams } = options;
  const checkpoints = readCheckpoints(options);
  const iterators = new Map<string, string | undefined>();
  const closed = new Set<string>();
  let running = false;
  let loop: Promise<void> | undefined;

  const saveCheckpoints = () => writeWholeFile(options.checkpointFile, JSON.stringify(checkpoints));

  async function iteratorFor(
    shardId: string,
    at?: { type: 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER'; sequence: string },
    fromOldest = false,
  ) {
    const after = fromOldest
      ? undefined
      : (at ?? (checkpoints[shardId] ? { type: 'AFTER_SEQUENCE_NUMBER' as const, sequence: checkpoints[shardId]! } : undefined));
    const out = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: options.streamArn,
        ShardId: shardId,
        ShardIteratorType: after?.type ?? 'TRIM_HORIZON',
        SequenceNumber: after?.sequence,
      }),
    );
    return out.ShardIterator;
  }

  async function pollShard(shardId: string): Promise<number> {
    if (!iterators.has(shardId)) iterators.set(shardId, await acquireIterator(shardId));
    const iterator = iterators.get(shardId);
    if (!iterator) {
      closed.add(shardId);
      return 0;
    }
    let out: GetRecordsCommandOutput;
    try {
      out = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: spec.trigger.batchSize }));
    } catch (err) {
      await recoverIterator(shardId, err as Error);
      return 0;
    }
    const records = out.Records ?? [];
    const selected = records.filter((r) => spec.trigger.filters.some((f) => matches(f, r)));
    // Lambda's batching window: once a record is there, more are gathered for up to the window, or to a full batch.
    const windowEnds = Date.now() + spec.trigger.maxBatchingWindowSeconds * 1000;
    while (selected.length > 0 && selected.length < spec.trigger.batchSize && out.NextShardIterator && Date.now() < windowEnds) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(WINDOW_READ_MS, windowEnds - Date.now())));
      let more: GetRecordsCommandOutput;
      try {
        more = await streams.send(new GetRecordsCommand({ ShardIterator: out.NextShardIterator, Limit: spec.trigger.batchSize }));
      } catch {
        break;
      }
      const room = spec.trigger.batchSize - selected.length;
      const fresh = more.Records ?? [];
      // Read up to the record that fills the batch: the rest comes again from the iterator after the checkpoint.
      let taken = 0;
      let added = 0;
      for (const record of fresh) {
        if (added >= room) break;
        taken += 1;
        if (spec.trigger.filters.some((f) => matches(f, record))) {
          selected.push(record);
          added += 1;
        }
      }
      records.push(...fresh.slice(0, taken));
      if (taken < fresh.length) {
        // The iterator past the whole page would skip what was not taken: take a new one from the checkpoint.
        out = { ...more, NextShardIterator: undefined };
        iterators.delete(shardId);
        break;
      }
      out = more;
    }
    if (selected.length > 0) {
      const failedAt = await invokeWithRetries(selected.map((r) => toLambdaRecord(r, options.streamArn, options.region)));
      if (failedAt) {
        // Resume at the record that failed and never got past its retries: skip it, as Lambda does without a destination.
        options.onError(new Error(`${options.name}: gave up on stream record ${failedAt} after ${spec.trigger.retryAttempts} retries`));
      }
    }
    if (records.length > 0) {
      checkpoints[shardId] = records[records.length - 1]!.dynamodb!.SequenceNumber!;
      await saveCheckpoints();
    }
    if (out.NextShardIterator || iterators.has(shardId)) iterators.set(shardId, out.NextShardIterator);
    return records.length;
  }

  /**
   * An iterator that expired, or that points at records the stream no longer holds, is dropped and taken again
   * from the checkpoint, as Lambda's poller does. Only a checkpoint the stream itself has trimmed restarts the
   * shard from its oldest record.
   */
  async function recoverIterator(shardId: string, err: Error) {
    iterators.delete(shardId);
    if (err.name !== 'TrimmedDataAccessException' && err.name !== 'ExpiredIteratorException') throw err;
  }

  async function acquireIterator(shardId: string) {
    try {
      return await iteratorFor(shardId);
    } catch (err) {
      if ((err as Error).name !== 'TrimmedDataAccessException') throw err;
      options.onError(
        new Error(
          `${options.name}: shard ${shardId} no longer holds the records after the checkpoint; resuming at the oldest record still there`,
        ),
      );
      delete checkpoints[shardId];
      return iteratorFor(shardId, undefined, true);
    }
  }

  async function invokeWithRetries(records: DynamoDBRecord[]): Promise<string | undefined> {
    let pending = records;
    for (let attempt = 0; attempt <= spec.trigger.retryAttempts; attempt++) {
      try {
        const response = await options.fn.invoke({ Records: pending });
        const failed = response?.batchItemFailures?.[0]?.itemIdentifier;
        if (!failed) return undefined;
        pending = pending.slice(
          Math.max(
            0,
            pending.findIndex((r) => r.dynamodb?.SequenceNumber === failed),
          ),
        );
      } catch (err) {
        options.onError(err as Error);
      }
      await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** attempt)));
    }
    return pending[0]?.dynamodb?.SequenceNumber;
  }

  let wake: (() => void) | undefined;
  let nudged = false;
  const quietWait = (ms: number) =>
    new Promise<void>((resolve) => {
      if (nudged) {
        nudged = false;
        return resolve();
      }
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  async function run() {
    let shards: Shard[] = [];
    let describedAt = 0;
    let closedWhenDescribed = -1;
    let quietRounds = 0;
    while (running) {
      let seen = 0;
      try {
        // The shard list changes only as shards close and children open: read it again then, or now and then.
        if (closed.size !== closedWhenDescribed || Date.now() - describedAt > DESCRIBE_EVERY_MS) {
          const stream = await streams.send(new DescribeStreamCommand({ StreamArn: options.streamArn }));
          shards = stream.StreamDescription?.Shards ?? [];
          describedAt = Date.now();
          closedWhenDescribed = closed.size;
        }
        for (const shard of shards) {
          if (!running) break;
          if (closed.has(shard.ShardId!)) continue;
          // A child shard starts after its parent has been read to its end.
          if (shard.ParentShardId && !closed.has(shard.ParentShardId) && shards.some((s) => s.ShardId === shard.ParentShardId)) continue;
          seen += await pollShard(shard.ShardId!);
        }
      } catch (err) {
        options.onError(err as Error);
      }
      // A quiet stream is read less and less often, down to once a second; a record brings back full speed.
      quietRounds = seen > 0 ? 0 : quietRounds + 1;
      if (seen === 0) await quietWait(Math.min(QUIET_POLL_MAX_MS, QUIET_POLL_FIRST_MS * 2 ** (quietRounds - 1)));
    }
  }

  return {
    name: options.name,
    get running() {
      return running;
    },
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    async stop({ graceful = true } = {}) {
      running = false;
      wake?.();
      if (graceful) await loop;
    },
    /** Reads at once (after the current wait's end, were it reading). */
    nudge() {
      if (wake) wake();
      else nudged = true;
    },
  };
}

/** Lambda's filter semantics for the patterns we use: every key must match, a list accepts any of its values. */
function matches(pattern: unknown, value: unknown): boolean {
  if (Array.isArray(pattern)) return pattern.includes(value);
  if (pattern && typeof pattern === 'object') {
    if (!value || typeof value !== 'object') return false;
    return Object.entries(pattern).every(([k, p]) => matches(p, (value as Record<string, unknown>)[k]));
  }
  return pattern === value;
}

function toLambdaRecord(record: _Record, streamArn: string, region: string): DynamoDBRecord {
  const d = record.dynamodb!;
  return {
    eventID: record.eventID,
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    eventSourceARN: streamArn,
    dynamodb: {
      ApproximateCreationDateTime: d.ApproximateCreationDateTime ? Math.floor(d.ApproximateCreationDateTime.getTime() / 1000) : undefined,
      Keys: d.Keys as never,
      NewImage: d.NewImage as never,
      OldImage: d.OldImage as never,
      SequenceNumber: d.SequenceNumber,
      SizeBytes: d.SizeBytes,
      StreamViewType: d.StreamViewType,
    },
  };
}

/**
 * The saved position of each shard. Checkpoints are written whole, so damage means someone edited the file:
 * it is reported and the shards are read from their oldest record, which the idempotent consumers absorb.
 */
function readCheckpoints(options: StreamMappingOptions): Record<string, string> {
  if (!existsSync(options.checkpointFile)) return {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(options.checkpointFile, 'utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && Object.values(parsed).every((v) => typeof v === 'string')) {
      return Object.assign(Object.create(null), parsed) as Record<string, string>;
    }
  } catch {
    // Reported below, as any other unusable content.
  }
  options.onError(
    new Error(`${options.checkpointFile} is not a map of shard checkpoints (damaged?); reading every shard from its oldest record`),
  );
  return {};
}
