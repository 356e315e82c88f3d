import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { maskCardNumbersInText } from '../../domain/card-number';
import { expiryOf } from '../../domain/retention';
import { describeOrigin } from '../../domain/sale';
import { TransientIngestError } from '../../ingest/errors';
import { FAN_OUT_LEASE_MS } from '../../ingest/file-parts';
import { backoffMs } from '../../ingest/optimistic-retry';
import type { FileClaim, FileLedger, ObjectRef, OutcomeCounts } from '../../ingest/ports';
import { boundText, FAILURE_LIMITS } from './failure-store';
import { fileId, indexKeys, keys, TTL_ATTRIBUTE } from './table-keys';
import { buildUpdate } from './update-expression';

const COUNT_NAMES = ['awarded', 'duplicate', 'conflict', 'unmatched', 'failed'] as const;

/**
 * Processed-file records, keyed by a hash of bucket, key and ETag (the content identity that both S3 notifications
 * and bucket listings carry). An object key may hold a card number, so the item keeps only a masked copy of it, for
 * display. A lease keeps two workers off the same file; progress makes a retry resume.
 */
export class DynamoDbFileLedger implements FileLedger {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(ref: ObjectRef, leaseMs: number): Promise<FileClaim> {
    const now = new Date();
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: fileKey(ref),
          ...buildUpdate(
            {
              set: {
                ...fileIdentity(ref),
                versionId: ref.versionId ?? null,
                objectSize: ref.size ?? null,
                status: 'processing',
                leaseExpiresAt: new Date(now.getTime() + leaseMs).toISOString(),
                updatedAt: now.toISOString(),
                [TTL_ATTRIBUTE]: expiryOf('processedFiles', now),
              },
              setIfMissing: { startedAt: now.toISOString(), nextIndex: 0 },
              add: { attempts: 1 },
            },
            {
              names: { '#status': 'status', '#lease': 'leaseExpiresAt' },
              values: { ':processing': 'processing', ':now': now.toISOString() },
            },
          ),
          ConditionExpression: 'attribute_not_exists(PK) OR (#status = :processing AND #lease <= :now)',
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      const partCount = out.Attributes?.partCount;
      return {
        kind: 'claimed',
        resumeFromIndex: Number(out.Attributes?.nextIndex ?? 0),
        ...(typeof partCount === 'number'
          ? {
              parts: {
                count: partCount,
                done: Number(out.Attributes?.partsDone ?? 0),
                objectBytes: Number(out.Attributes?.partObjectBytes ?? 0),
              },
            }
          : {}),
      };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const old = err.Item ? unmarshall(err.Item as never) : {};
      if (old.status === 'processing') return { kind: 'in_progress_elsewhere', leaseExpiresAt: String(old.leaseExpiresAt) };
      return { kind: 'already_processed' };
    }
  }

  async checkpoint(ref: ObjectRef, nextIndex: number, delta: OutcomeCounts, leaseMs: number): Promise<void> {
    const now = new Date();
    const update = {
      TableName: this.tableName,
      Key: fileKey(ref),
      ...buildUpdate(
        {
          set: { nextIndex, leaseExpiresAt: new Date(now.getTime() + leaseMs).toISOString(), updatedAt: now.toISOString() },
          add: countAttributes(delta),
        },
        { names: { '#status': 'status' }, values: { ':processing': 'processing' } },
      ),
      ConditionExpression: '#status = :processing',
    };
    try {
      await this.db.send(new UpdateCommand(update));
      if (ref.part) await this.renewFileLease(ref, now);
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      // Another worker finished the file after this one's lease expired: let the redelivery find it processed.
      throw new TransientIngestError(`${describeFile(ref)} is no longer this worker's to process`, err);
    }
  }

  async fanOut(ref: ObjectRef, parts: { count: number; objectBytes: number }, leaseMs: number): Promise<boolean> {
    const now = new Date();
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: fileKey(ref),
          ...buildUpdate(
            {
              set: {
                partCount: parts.count,
                partObjectBytes: parts.objectBytes,
                leaseExpiresAt: new Date(now.getTime() + leaseMs).toISOString(),
                updatedAt: now.toISOString(),
              },
              setIfMissing: { partsDone: 0, fannedOutAt: now.toISOString() },
            },
            { names: { '#status': 'status' }, values: { ':processing': 'processing' } },
          ),
          ConditionExpression: '#status = :processing',
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async fanOutState(ref: ObjectRef): Promise<{ count: number; objectBytes: number; finished: number[] } | undefined> {
    const file = fileKey({ ...ref, part: undefined });
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': file.PK },
          ProjectionExpression: 'SK, #status, partCount, partObjectBytes, partIndex',
          ExpressionAttributeNames: { '#status': 'status' },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    const record = items.find((item) => item.SK === file.SK);
    if (typeof record?.partCount !== 'number') return undefined;
    return {
      count: record.partCount,
      objectBytes: Number(record.partObjectBytes ?? 0),
      finished: items
        .filter((item) => item.SK !== file.SK && item.status !== 'processing' && typeof item.partIndex === 'number')
        .map((item) => item.partIndex as number),
    };
  }

  /** A part's progress keeps its file claimed (a file of many parts may take longer than one lease). */
  private async renewFileLease(part: ObjectRef, now: Date) {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: fileKey({ ...part, part: undefined }),
          ...buildUpdate(
            { set: { leaseExpiresAt: new Date(now.getTime() + FAN_OUT_LEASE_MS).toISOString() } },
            { names: { '#status': 'status' }, values: { ':processing': 'processing' } },
          ),
          ConditionExpression: '#status = :processing',
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }

  async finishParts(ref: ObjectRef): Promise<boolean> {
    const now = new Date().toISOString();
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: fileKey(ref),
          ...buildUpdate(
            {
              set: {
                status: 'processed',
                completedAt: now,
                updatedAt: now,
                GSI3PK: indexKeys.byDay('FILE', now),
                GSI3SK: `${now}#${fileId(ref.bucket, ref.key, ref.eTag)}`,
              },
              remove: ['leaseExpiresAt'],
            },
            { names: { '#status': 'status', '#done': 'partsDone', '#count': 'partCount' }, values: { ':processing': 'processing' } },
          ),
          ConditionExpression: '#status = :processing AND #done = #count',
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  /** What a finished part adds to its file's record: its counts and records, and itself to the parts done. */
  private fileTotals(part: ObjectRef, totals: OutcomeCounts, records: number, now: Date) {
    return {
      TableName: this.tableName,
      Key: fileKey({ ...part, part: undefined }),
      ...buildUpdate({
        set: { updatedAt: now.toISOString(), leaseExpiresAt: new Date(now.getTime() + FAN_OUT_LEASE_MS).toISOString() },
        add: { ...countAttributes(totals), partsDone: 1, records },
      }),
      ConditionExpression: 'attribute_exists(PK)',
    };
  }

  async complete(
    ref: ObjectRef,
    result: { status: string; sha256?: string; delta: OutcomeCounts; records: number; reason?: string },
  ): Promise<void> {
    if (ref.part) return this.completePart(ref, result);
    const now = new Date().toISOString();
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: fileKey(ref),
        ...buildUpdate({
          set: {
            ...fileIdentity(ref),
            status: result.status,
            sha256: result.sha256 ?? null,
            reason: result.reason === undefined ? null : boundText(result.reason, FAILURE_LIMITS.reason),
            records: result.records,
            nextIndex: result.records,
            completedAt: now,
            updatedAt: now,
            GSI3PK: indexKeys.byDay('FILE', now),
            GSI3SK: `${now}#${fileId(ref.bucket, ref.key, ref.eTag)}`,
          },
          add: countAttributes(result.delta),
          remove: ['leaseExpiresAt'],
        }),
      }),
    );
  }

  /**
   * A part is finished once: its completion and its whole counts (those its checkpoints saved, and the last delta)
   * added to the file's are one transaction. Only the part's lease holder completes it, so the counts read first
   * are still its own when it writes. Parts finishing together may conflict on the file's record: tried again.
   */
  private async completePart(ref: ObjectRef, result: { status: string; delta: OutcomeCounts; records: number; reason?: string }) {
    for (let attempt = 1; ; attempt++) {
      const now = new Date();
      const saved = (await this.db.send(new GetCommand({ TableName: this.tableName, Key: fileKey(ref), ConsistentRead: true }))).Item;
      if (saved?.status !== 'processing') break;
      const totals = Object.fromEntries(
        COUNT_NAMES.map((name) => [name, Number(saved[`${name}Count`] ?? 0) + result.delta[name]]),
      ) as unknown as OutcomeCounts;
      try {
        await this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.tableName,
                  Key: fileKey(ref),
                  ...buildUpdate(
                    {
                      set: {
                        status: result.status,
                        records: result.records,
                        nextIndex: result.records,
                        reason: result.reason === undefined ? null : boundText(result.reason, FAILURE_LIMITS.reason),
                        completedAt: now.toISOString(),
                        updatedAt: now.toISOString(),
                      },
                      add: countAttributes(result.delta),
                      remove: ['leaseExpiresAt'],
                    },
                    { names: { '#status': 'status' }, values: { ':processing': 'processing' } },
                  ),
                  ConditionExpression: '#status = :processing',
                },
              },
              { Update: this.fileTotals(ref, totals, result.records, now) },
            ],
          }),
        );
        break;
      } catch (err) {
        // Finished already (by this part's earlier attempt): its counts are in the file's totals once.
        if (isPartRefused(err)) break;
        if (!isConflict(err) || attempt >= 10) throw err;
        await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt)));
      }
    }
    await this.finishParts({ ...ref, part: undefined });
  }

  async findUnfinished(refs: ObjectRef[], now: Date): Promise<ObjectRef[]> {
    const unfinished: ObjectRef[] = [];
    for (let i = 0; i < refs.length; i += 100) {
      const batch = refs.slice(i, i + 100);
      const found = new Map<string, Record<string, unknown>>();
      let request:
        | Record<
            string,
            { Keys: Record<string, string>[]; ProjectionExpression?: string; ExpressionAttributeNames?: Record<string, string> }
          >
        | undefined = {
        [this.tableName]: {
          Keys: batch.map(fileKey),
          ProjectionExpression: 'PK, SK, #status, leaseExpiresAt',
          ExpressionAttributeNames: { '#status': 'status' },
        },
      };
      while (request && Object.keys(request).length > 0) {
        const out = await this.db.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of out.Responses?.[this.tableName] ?? []) found.set(`${item.PK}|${item.SK}`, item);
        request = out.UnprocessedKeys as typeof request;
      }
      for (const ref of batch) {
        const k = fileKey(ref);
        const item = found.get(`${k.PK}|${k.SK}`);
        if (!item) unfinished.push(ref);
        else if (item.status === 'processing' && String(item.leaseExpiresAt) <= now.toISOString()) unfinished.push(ref);
      }
    }
    return unfinished;
  }
}

/** A file's record, and beside it (same partition) one record per part of a fanned-out file. */
const fileKey = (ref: ObjectRef) => {
  const key = keys.file(ref.bucket, ref.key, ref.eTag);
  return ref.part ? { PK: key.PK, SK: `PART#${String(ref.part.index).padStart(4, '0')}` } : key;
};

const isConflict = (err: unknown) =>
  err instanceof TransactionCanceledException && (err.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict');

/** The part's own condition (still processing) refused the transaction. */
const isPartRefused = (err: unknown) =>
  err instanceof TransactionCanceledException && err.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed';

const describeFile = (ref: ObjectRef) => describeOrigin({ kind: 's3-file', bucket: ref.bucket, key: ref.key });

/** What identifies the file to a reader: the object key only masked, as it may hold a card number. */
const fileIdentity = (ref: ObjectRef) => ({
  entity: ref.part ? 'file_part' : 'file',
  ...(ref.part ? { partIndex: ref.part.index, partStart: ref.part.start, partEnd: ref.part.end } : {}),
  fileId: fileId(ref.bucket, ref.key, ref.eTag),
  bucket: ref.bucket,
  objectKey: maskCardNumbersInText(ref.key),
  eTag: ref.eTag,
});

function countAttributes(delta: OutcomeCounts): Record<string, number> {
  return Object.fromEntries(COUNT_NAMES.map((name) => [`${name}Count`, delta[name]]));
}
