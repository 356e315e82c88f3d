import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { ChangeAuthor, ChangeResult } from '../../admin/ports';
import type { LoyaltyAccount } from '../../domain/loyalty';
import { indexKeys, keys } from './table-keys';

/**
 * The transaction item that moves an account from one standing to the next, only if nobody changed it since it
 * was read (optimistic locking on `version`). Awards and reversals both write an account this way. `dueAt` puts a
 * customer who has none yet on the scheduled expiry and requalification run's day (GSI3 DUE#<day>); `pointsAtLeast`
 * also requires the stored balance to be at least that (a redemption's cost).
 */
export function accountStandingUpdate(
  tableName: string,
  before: LoyaltyAccount,
  after: LoyaltyAccount,
  now: string,
  extra: Record<string, string> = {},
  options: { dueAt?: string; pointsAtLeast?: number } = {},
) {
  const extraNames = Object.keys(extra);
  const usageChanged = after.campaignUsage !== undefined && after.campaignUsage !== before.campaignUsage;
  const baseChanged = after.tierBase !== undefined && after.tierBase !== before.tierBase;
  const { dueAt, pointsAtLeast } = options;
  return {
    TableName: tableName,
    Key: keys.customer(after.userId),
    UpdateExpression:
      'SET points = :points, lifetimePoints = :lifetime, tier = :tier, punchCount = :punch, punchCardsCompleted = :cards, purchaseCount = :purchases, version = :next, updatedAt = :now' +
      (usageChanged ? ', campaignUsage = :usage' : '') +
      (baseChanged ? ', tierBase = :tierBase' : '') +
      (dueAt ? ', GSI3PK = if_not_exists(GSI3PK, :duePartition), GSI3SK = if_not_exists(GSI3SK, :dueSort)' : '') +
      extraNames.map((_name, i) => `, #x${i} = :x${i}`).join(''),
    ConditionExpression:
      'attribute_exists(PK) AND (version = :expected OR (attribute_not_exists(version) AND :expected = :zero))' +
      // A spend's own guard, beside the version's: the stored balance itself must cover it.
      (pointsAtLeast !== undefined ? ' AND points >= :atLeast' : ''),
    ...(extraNames.length > 0 ? { ExpressionAttributeNames: Object.fromEntries(extraNames.map((name, i) => [`#x${i}`, name])) } : {}),
    ExpressionAttributeValues: {
      ':points': after.points,
      ':lifetime': after.lifetimePoints,
      ':tier': after.tier,
      ':punch': after.punchCount,
      ':cards': after.punchCardsCompleted,
      ':purchases': after.purchaseCount,
      ':next': after.version,
      ':expected': before.version,
      ':zero': 0,
      ':now': now,
      ...(usageChanged ? { ':usage': after.campaignUsage } : {}),
      ...(baseChanged ? { ':tierBase': after.tierBase } : {}),
      ...(dueAt ? { ':duePartition': indexKeys.dueOn(dueAt), ':dueSort': `${dueAt}#${after.userId}` } : {}),
      ...(pointsAtLeast !== undefined ? { ':atLeast': pointsAtLeast } : {}),
      ...Object.fromEntries(extraNames.map((name, i) => [`:x${i}`, extra[name]])),
    },
  };
}

/**
 * Why DynamoDB cancelled a transaction of [item, account standing]: the item's own condition failed, the account
 * changed since it was read, or another transaction touched the same items. Anything else is not ours to explain.
 */
export function cancellationCause(
  err: TransactionCanceledException,
): 'item_condition' | 'stale_account' | 'transaction_conflict' | undefined {
  const [itemReason, accountReason] = err.CancellationReasons ?? [];
  if (itemReason?.Code === 'ConditionalCheckFailed') return 'item_condition';
  if (accountReason?.Code === 'ConditionalCheckFailed') return 'stale_account';
  if (err.CancellationReasons?.some((r) => r.Code === 'TransactionConflict')) return 'transaction_conflict';
  return undefined;
}

/**
 * The transaction item that marks a customer's item reversed (a refunded sale, a reversed redemption), only from
 * `from` and only the customer's: who, when and why, and any further attributes (`set`).
 */
export function reversalUpdate(
  tableName: string,
  key: Record<string, string>,
  change: { from: string; userId: string; at: string; reason: string; by: ChangeAuthor; set?: Record<string, unknown> },
) {
  const extra = Object.keys(change.set ?? {});
  return {
    TableName: tableName,
    Key: key,
    UpdateExpression:
      'SET #status = :reversed, reversedAt = :at, reversalReason = :reason, reversedBy = :by, reversedById = :byId' +
      extra.map((name) => `, ${name} = :${name}`).join(''),
    ConditionExpression: '#status = :from AND userId = :user',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: {
      ':reversed': 'reversed',
      ':from': change.from,
      ':at': change.at,
      ':reason': change.reason,
      ':by': change.by.name,
      ':byId': change.by.id,
      ':user': change.userId,
      ...Object.fromEntries(extra.map((name) => [`:${name}`, change.set![name]])),
    },
  };
}

/**
 * Commits [an item's update, the account's new standing] as one transaction: `precondition_failed` when the item's own
 * condition failed, `stale` when the account moved since it was read (or another transaction touched them).
 */
export async function commitWithStanding(
  db: DynamoDBDocumentClient,
  item: ReturnType<typeof reversalUpdate>,
  standing: ReturnType<typeof accountStandingUpdate>,
): Promise<ChangeResult> {
  try {
    await db.send(new TransactWriteCommand({ TransactItems: [{ Update: item }, { Update: standing }] }));
    return 'applied';
  } catch (err) {
    if (!(err instanceof TransactionCanceledException)) throw err;
    const cause = cancellationCause(err);
    if (cause === 'item_condition') return 'precondition_failed';
    if (cause) return 'stale';
    throw err;
  }
}
