import { createHash } from 'node:crypto';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FailureReport, FailureStore } from '../../ingest/ports';
import { indexKeys, keys } from './table-keys';
import { buildUpdate } from './update-expression';

export const failureIdFor = (sourceId: string) => createHash('sha256').update(sourceId).digest('hex').slice(0, 32);

/** Records that could not be processed, one item per failing input; a redelivery counts another occurrence. */
export class DynamoDbFailureStore implements FailureStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async recordFailure(failure: FailureReport): Promise<void> {
    const failureId = failureIdFor(failure.sourceId);
    const now = new Date().toISOString();
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.failure(failureId),
        ...buildUpdate({
          set: {
            entity: 'failure',
            failureId,
            sourceId: failure.sourceId,
            source: failure.source,
            reason: failure.reason,
            errors: failure.errors ?? [],
            raw: failure.raw === undefined ? null : JSON.stringify(failure.raw).slice(0, 20_000),
            transactionId: failure.transactionId ?? null,
            retryRecord: failure.retry ? JSON.stringify(failure.retry) : null,
            lastSeenAt: now,
          },
          setIfMissing: { status: 'open', firstSeenAt: now, GSI3PK: indexKeys.byDay('FAILURE', now), GSI3SK: `${now}#${failureId}` },
          add: { occurrences: 1 },
        }),
      }),
    );
  }
}
