import { createHash } from 'node:crypto';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FailureReport, FailureStore } from '../../ingest/ports';
import { indexKeys, keys } from './table-keys';

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
        UpdateExpression:
          'SET entity = :entity, failureId = :id, sourceId = :sourceId, #source = :source, reason = :reason, errors = :errors, raw = :raw, transactionId = :txn, ' +
          '#status = if_not_exists(#status, :open), firstSeenAt = if_not_exists(firstSeenAt, :now), lastSeenAt = :now, ' +
          'GSI3PK = if_not_exists(GSI3PK, :gsiPk), GSI3SK = if_not_exists(GSI3SK, :gsiSk) ADD occurrences :one',
        ExpressionAttributeNames: { '#source': 'source', '#status': 'status' },
        ExpressionAttributeValues: {
          ':entity': 'failure',
          ':id': failureId,
          ':sourceId': failure.sourceId,
          ':source': failure.source,
          ':reason': failure.reason,
          ':errors': failure.errors ?? [],
          ':raw': failure.raw === undefined ? null : JSON.stringify(failure.raw).slice(0, 20_000),
          ':txn': failure.transactionId ?? null,
          ':open': 'open',
          ':now': now,
          ':gsiPk': indexKeys.byDay('FAILURE', now),
          ':gsiSk': `${now}#${failureId}`,
          ':one': 1,
        },
      }),
    );
  }
}
