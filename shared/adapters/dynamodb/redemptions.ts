import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { InvalidCursorError } from '../../admin/errors';
import type {
  ChangeAuthor,
  ChangeResult,
  Listed,
  NewRedemption,
  Page,
  RedeemCommit,
  Redemptions,
  StoredRedemption,
} from '../../admin/ports';
import { type DuePolicies, reviewsAreOn } from '../../domain/expiry';
import type { LoyaltyAccount } from '../../domain/loyalty';
import { accountStandingUpdate, cancellationCause, commitWithStanding, reversalUpdate } from './account-standing';
import type { CursorSigner } from './admin-queries';
import { GSI1, indexKeys, keys, withoutKeys } from './table-keys';

const keyPart = z.string().min(1).max(1_024);
const movesPosition = z.strictObject({ PK: keyPart, SK: keyPart, GSI1PK: keyPart, GSI1SK: keyPart });
/** How many movements one query reads at most while looking for redemptions among them. */
const MOVES_PER_QUERY = 100;

/** The index keys of a redemption: in its customer's movements (GSI1), and in its day's redemptions (GSI3). */
export const redemptionIndexKeys = (userId: string, redemptionId: string, createdAt: string) => ({
  GSI1PK: indexKeys.customerMoves(userId),
  GSI1SK: `${createdAt}#REDEMPTION#${redemptionId}`,
  GSI3PK: indexKeys.byDay('REDEMPTION', createdAt),
  GSI3SK: `${createdAt}#${userId}`,
});

/**
 * Redemptions in the customer's partition (`REDEMPTION#<idempotency key>`), each written in one transaction with the
 * account's standing, guarded by the account's version and by its balance covering the cost.
 */
export class DynamoDbRedemptions implements Redemptions {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly cursors: CursorSigner,
    /** The program's expiry and requalification: points given back put a customer on the scheduled run when it is on none. */
    private readonly duePolicies?: DuePolicies,
  ) {}

  async redeem(request: NewRedemption, before: LoyaltyAccount, after: LoyaltyAccount): Promise<RedeemCommit> {
    const { userId, idempotencyKey, reward, at } = request;
    const redemption: StoredRedemption = {
      entity: 'redemption',
      redemptionId: idempotencyKey,
      userId,
      rewardId: reward.id,
      rewardName: reward.name,
      kind: reward.kind,
      points: reward.points,
      valueCents: reward.valueCents,
      code: request.code,
      status: 'issued',
      createdAt: at,
      madeBy: request.madeBy.name,
      madeById: request.madeBy.id,
      balanceAfter: after.points,
    };
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { ...keys.redemption(userId, idempotencyKey), ...redemptionIndexKeys(userId, idempotencyKey, at), ...redemption },
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
            { Update: accountStandingUpdate(this.tableName, before, after, at, {}, { pointsAtLeast: reward.points }) },
          ],
        }),
      );
      return { kind: 'redeemed', redemption };
    } catch (err) {
      if (!(err instanceof TransactionCanceledException)) throw err;
      const cause = cancellationCause(err);
      if (cause === 'item_condition') {
        const existing = await this.get(userId, idempotencyKey);
        // Gone again between the two reads cannot happen (redemptions are moved only once the account is being erased,
        // which the next attempt finds); read as a conflict, it is simply tried again.
        return existing ? { kind: 'exists', redemption: existing } : { kind: 'stale' };
      }
      if (cause) return { kind: 'stale' };
      throw err;
    }
  }

  async get(userId: string, redemptionId: string): Promise<StoredRedemption | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.redemption(userId, redemptionId), ConsistentRead: true }),
    );
    return out.Item?.entity === 'redemption' ? (withoutKeys(out.Item) as unknown as StoredRedemption) : undefined;
  }

  async reverse(
    redemption: StoredRedemption,
    before: LoyaltyAccount,
    after: LoyaltyAccount,
    change: { reason: string; by: ChangeAuthor; at: string },
  ): Promise<ChangeResult> {
    return commitWithStanding(
      this.db,
      reversalUpdate(this.tableName, keys.redemption(redemption.userId, redemption.redemptionId), {
        from: 'issued',
        userId: redemption.userId,
        ...change,
        set: { balanceAfterReversal: after.points },
      }),
      accountStandingUpdate(
        this.tableName,
        before,
        after,
        change.at,
        {},
        { dueAt: this.duePolicies && reviewsAreOn(this.duePolicies) ? change.at : undefined },
      ),
    );
  }

  /**
   * The customer's redemptions, newest first, from their movements (GSI1 MOVES#<userId>), which hold adjustments and
   * expiries too. A page stops at the last redemption it lists, so the cursor resumes right after it.
   */
  async list(userId: string, limit: number, cursor?: string): Promise<Page<Listed>> {
    const listing = JSON.stringify(['customerRedemptions', userId]);
    const partition = indexKeys.customerMoves(userId);
    let startKey: Record<string, unknown> | undefined = cursor ? this.cursors.open(listing, cursor, movesPosition) : undefined;
    if (startKey && startKey.GSI1PK !== partition) throw new InvalidCursorError('holds a position this listing cannot have');
    const items: Record<string, unknown>[] = [];
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: GSI1,
          KeyConditionExpression: 'GSI1PK = :pk',
          FilterExpression: 'entity = :redemption',
          ExpressionAttributeValues: { ':pk': partition, ':redemption': 'redemption' },
          ScanIndexForward: false,
          Limit: MOVES_PER_QUERY,
          ExclusiveStartKey: startKey,
        }),
      );
      const found = out.Items ?? [];
      const room = limit - items.length;
      items.push(...found.slice(0, room));
      if (found.length > room) {
        const last = items.at(-1)!;
        startKey = { PK: last.PK, SK: last.SK, GSI1PK: last.GSI1PK, GSI1SK: last.GSI1SK };
        break;
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey && items.length < limit);
    return {
      items: items.map(withoutKeys),
      nextCursor: startKey ? this.cursors.seal(listing, startKey) : undefined,
    };
  }
}
