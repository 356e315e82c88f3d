import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { AdminError } from '../../admin/errors';
import type { AccountChanges, Adjustment, ChangeAuthor, ChangeResult } from '../../admin/ports';
import { type DuePolicies, reviewsAreOn } from '../../domain/expiry';
import type { LoyaltyAccount } from '../../domain/loyalty';
import { accountStandingUpdate, commitWithStanding, reversalUpdate } from './account-standing';
import { indexKeys, keys, withoutKeys } from './table-keys';

/** An adjustment's place in its customer's movements of points (GSI1 MOVES#<userId>), by when it was made. */
export const adjustmentIndexKeys = (userId: string, idempotencyKey: string, createdAt: string) => ({
  GSI1PK: indexKeys.customerMoves(userId),
  GSI1SK: `${createdAt}#ADJUSTMENT#${idempotencyKey}`,
});

/** Account changes other than awards: refunds and manual adjustments, each applied once. */
export class DynamoDbAccountChanges implements AccountChanges {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** The program's expiry and requalification: points added put a customer on the scheduled run when it is on none. */
    private readonly duePolicies?: DuePolicies,
  ) {}

  /** Marks an awarded sale reversed and writes the account's new standing, guarded by its version. */
  async reverse(
    transactionId: string,
    before: LoyaltyAccount,
    after: LoyaltyAccount,
    reason: string,
    by: ChangeAuthor,
  ): Promise<ChangeResult> {
    const now = new Date().toISOString();
    return commitWithStanding(
      this.db,
      reversalUpdate(this.tableName, keys.sale(transactionId), { from: 'awarded', userId: before.userId, at: now, reason, by }),
      accountStandingUpdate(this.tableName, before, after, now),
    );
  }

  /**
   * Records an audited adjustment and adds its points to the balance, once per idempotency key. The version
   * bump makes any award planned on the old balance retry.
   */
  async adjust(adjustment: Adjustment): Promise<{ applied: boolean; stored: Record<string, unknown> }> {
    const now = new Date().toISOString();
    const { madeBy, ...fields } = adjustment;
    const item = {
      PK: keys.customer(adjustment.userId).PK,
      SK: `ADJUSTMENT#${adjustment.idempotencyKey}`,
      ...adjustmentIndexKeys(adjustment.userId, adjustment.idempotencyKey, now),
      entity: 'adjustment',
      ...fields,
      madeBy: madeBy.name,
      madeById: madeBy.id,
      createdAt: now,
    };
    // Points added while the scheduled run is on: the customer is looked at from now (an award would do the same).
    const schedule = adjustment.points > 0 && this.duePolicies !== undefined && reviewsAreOn(this.duePolicies);
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(PK)' } },
            {
              Update: {
                TableName: this.tableName,
                Key: keys.customer(adjustment.userId),
                UpdateExpression: `ADD points :points, version :one SET updatedAt = :now${schedule ? ', GSI3PK = if_not_exists(GSI3PK, :duePartition), GSI3SK = if_not_exists(GSI3SK, :dueSort)' : ''}`,
                // Not to an erased customer's tombstone, nor one being erased (the route's check may be a moment old).
                ConditionExpression: 'attribute_exists(PK) AND entity = :customer AND attribute_not_exists(erasure)',
                ExpressionAttributeValues: {
                  ':points': adjustment.points,
                  ':one': 1,
                  ':now': now,
                  ':customer': 'customer',
                  ...(schedule ? { ':duePartition': indexKeys.dueOn(now), ':dueSort': `${now}#${adjustment.userId}` } : {}),
                },
              },
            },
          ],
        }),
      );
      return { applied: true, stored: withoutKeys(item) };
    } catch (err) {
      if (err instanceof TransactionCanceledException && err.CancellationReasons?.[1]?.Code === 'ConditionalCheckFailed')
        throw new AdminError(410, `customer ${adjustment.userId} was erased or is being erased`);
      if (!(err instanceof TransactionCanceledException) || err.CancellationReasons?.[0]?.Code !== 'ConditionalCheckFailed') throw err;
      const existing = await this.db.send(
        new GetCommand({ TableName: this.tableName, Key: { PK: item.PK, SK: item.SK }, ConsistentRead: true }),
      );
      return { applied: false, stored: withoutKeys(existing.Item!) };
    }
  }
}
