import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { FileClaim, FileCounts, FileLedger, ObjectRef } from '../../ingest/ports';
import { indexKeys, keys } from './table-keys';

const COUNT_NAMES = ['awarded', 'duplicate', 'conflict', 'unmatched', 'failed'] as const;

/**
 * Processed-file records, keyed by bucket, key and ETag (the content identity that both S3 notifications
 * and bucket listings carry). A lease keeps two workers off the same file; progress makes a retry resume.
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
          Key: keys.file(ref.bucket, ref.key, ref.eTag),
          UpdateExpression:
            'SET entity = :entity, bucket = :bucket, objectKey = :key, eTag = :eTag, versionId = :versionId, objectSize = :size, #status = :processing, ' +
            'leaseExpiresAt = :lease, startedAt = if_not_exists(startedAt, :now), nextIndex = if_not_exists(nextIndex, :zero), updatedAt = :now ADD attempts :one',
          ConditionExpression: 'attribute_not_exists(PK) OR (#status = :processing AND leaseExpiresAt <= :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':entity': 'file',
            ':bucket': ref.bucket,
            ':key': ref.key,
            ':eTag': ref.eTag,
            ':versionId': ref.versionId ?? null,
            ':size': ref.size ?? null,
            ':processing': 'processing',
            ':lease': new Date(now.getTime() + leaseMs).toISOString(),
            ':now': now.toISOString(),
            ':zero': 0,
            ':one': 1,
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'claimed', resumeFromIndex: Number(out.Attributes?.nextIndex ?? 0) };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const old = err.Item ? unmarshall(err.Item as never) : {};
      if (old.status === 'processing') return { kind: 'in_progress_elsewhere', leaseExpiresAt: String(old.leaseExpiresAt) };
      return { kind: 'already_processed' };
    }
  }

  async checkpoint(ref: ObjectRef, nextIndex: number, delta: FileCounts, leaseMs: number): Promise<void> {
    const now = new Date();
    const counts = countUpdates(delta);
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.file(ref.bucket, ref.key, ref.eTag),
        UpdateExpression: `SET nextIndex = :next, leaseExpiresAt = :lease, updatedAt = :now${counts.add}`,
        ConditionExpression: '#status = :processing',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':next': nextIndex,
          ':lease': new Date(now.getTime() + leaseMs).toISOString(),
          ':now': now.toISOString(),
          ':processing': 'processing',
          ...counts.values,
        },
      }),
    );
  }

  async complete(ref: ObjectRef, result: { status: string; sha256?: string; delta: FileCounts; records: number }): Promise<void> {
    const now = new Date().toISOString();
    const counts = countUpdates(result.delta);
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.file(ref.bucket, ref.key, ref.eTag),
        UpdateExpression: `SET entity = :entity, bucket = :bucket, objectKey = :key, eTag = :eTag, #status = :status, sha256 = :sha, #records = :records, nextIndex = :records, completedAt = :now, updatedAt = :now, GSI3PK = :gsiPk, GSI3SK = :gsiSk REMOVE leaseExpiresAt${counts.add}`,
        ExpressionAttributeNames: { '#status': 'status', '#records': 'records' },
        ExpressionAttributeValues: {
          ':entity': 'file',
          ':bucket': ref.bucket,
          ':key': ref.key,
          ':eTag': ref.eTag,
          ':status': result.status,
          ':sha': result.sha256 ?? null,
          ':records': result.records,
          ':now': now,
          ':gsiPk': indexKeys.byDay('FILE', now),
          ':gsiSk': `${now}#${ref.key}`,
          ...counts.values,
        },
      }),
    );
  }

  async findUnfinished(refs: ObjectRef[], now: Date): Promise<ObjectRef[]> {
    const unfinished: ObjectRef[] = [];
    for (let i = 0; i < refs.length; i += 100) {
      const batch = refs.slice(i, i + 100);
      const found = new Map<string, Record<string, unknown>>();
      let request: Record<string, { Keys: Record<string, string>[]; ProjectionExpression?: string; ExpressionAttributeNames?: Record<string, string> }> | undefined = {
        [this.tableName]: {
          Keys: batch.map((ref) => keys.file(ref.bucket, ref.key, ref.eTag)),
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
        const k = keys.file(ref.bucket, ref.key, ref.eTag);
        const item = found.get(`${k.PK}|${k.SK}`);
        if (!item) unfinished.push(ref);
        else if (item.status === 'processing' && String(item.leaseExpiresAt) <= now.toISOString()) unfinished.push(ref);
      }
    }
    return unfinished;
  }
}

function countUpdates(delta: FileCounts): { add: string; values: Record<string, number> } {
  const present = COUNT_NAMES.filter((name) => delta[name] > 0);
  if (present.length === 0) return { add: '', values: {} };
  return {
    add: ` ADD ${present.map((name) => `${name}Count :${name}`).join(', ')}`,
    values: Object.fromEntries(present.map((name) => [`:${name}`, delta[name]])),
  };
}
