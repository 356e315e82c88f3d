import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { FailureRecords, StoredFailure } from '../../admin/ports';
import type { FieldError } from '../../domain/moma-record';
import { keys, withoutKeys } from './table-keys';
import { buildUpdate } from './update-expression';

/** Stored failures read back by id and updated by their retries; every retry is counted. */
export class DynamoDbFailureRecords implements FailureRecords {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(failureId: string): Promise<StoredFailure | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.failure(failureId), ConsistentRead: true }));
    return out.Item ? (withoutKeys(out.Item) as StoredFailure) : undefined;
  }

  async retryFailed(failureId: string, result: { reason: string; errors: FieldError[]; at: string }): Promise<void> {
    await this.update(failureId, { reason: result.reason, errors: result.errors, lastRetryAt: result.at });
  }

  async resolved(failureId: string, result: { outcome: string; at: string }): Promise<void> {
    await this.update(failureId, { status: 'resolved', outcome: result.outcome, resolvedAt: result.at, lastRetryAt: result.at });
  }

  private async update(failureId: string, set: Record<string, unknown>) {
    await this.db.send(
      new UpdateCommand({ TableName: this.tableName, Key: keys.failure(failureId), ...buildUpdate({ set, add: { retries: 1 } }) }),
    );
  }
}
