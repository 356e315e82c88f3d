import { type CancellationReason, ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ERASED_CUSTOMER, PSEUDONYM_PREFIX } from '../../domain/erasure';
import { type DuePolicies, firstDueAt } from '../../domain/expiry';
import type { AwardPlan, LoyaltyAccount } from '../../domain/loyalty';
import { TIER_NAMES } from '../../domain/program';
import { expiryAfterDays, expiryOf } from '../../domain/retention';
import type {
  AwardCommit,
  ExistingSale,
  HoldResult,
  PackedAwardCommit,
  PackingLedger,
  PendingAward,
  SaleRecord,
  UnmatchedReason,
} from '../../ingest/ports';
import * as z from '../../support/zod-mini';
import { accountStandingUpdate } from './account-standing';
import { indexKeys, keys, TTL_ATTRIBUTE } from './table-keys';

const count = z._default(z.number().check(z.int(), z.nonnegative()), 0);
const campaignUseSchema = z.object({
  points: count,
  days: z._default(z.record(z.string(), z.number().check(z.int(), z.nonnegative())), {}),
  punches: count,
  cardsCompleted: count,
});
const storedAccountSchema = z.object({
  points: count,
  lifetimePoints: count,
  tier: z._default(z.enum(TIER_NAMES), 'Bronze'),
  punchCount: count,
  punchCardsCompleted: count,
  purchaseCount: count,
  version: count,
  campaignUsage: z.optional(z.record(z.string(), campaignUseSchema)),
  tierBase: z.optional(z.number().check(z.int(), z.nonnegative())),
});

/** Sales and loyalty accounts in DynamoDB: an award (or a pack of them) is one transaction, guarded by conditions. */
export class DynamoDbLoyaltyLedger implements PackingLedger {
  /** `salesDays`: how long an awarded sale is kept (the program's `retention.salesDays`); as long as the account when null. */
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retention: { salesDays: number | null } = { salesDays: null },
    /** The program's expiry and requalification: when either is on, an award puts its customer on the scheduled run. */
    private readonly duePolicies?: DuePolicies,
  ) {}

  async getAccount(userId: string, options: { consistent: boolean }): Promise<LoyaltyAccount | undefined> {
    const out = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.customer(userId),
        ConsistentRead: options.consistent,
        ProjectionExpression:
          'entity, userId, points, lifetimePoints, tier, punchCount, punchCardsCompleted, purchaseCount, version, campaignUsage, tierBase, erasure',
      }),
    );
    // An erased customer's tombstone, or one being erased, is no account: a sale on its way is held as unmatched.
    if (!out.Item || out.Item.entity === ERASED_CUSTOMER || out.Item.erasure) return undefined;
    const { erasure: _erasure, ...item } = out.Item;
    const parsed = storedAccountSchema.safeParse(item);
    if (!parsed.success) {
      // Awarding on top of a malformed account would corrupt it further: fail loudly, the message is retried and parked.
      throw new Error(`account ${userId} is malformed: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
    }
    return { userId, ...parsed.data };
  }

  async commitAward(sale: SaleRecord, plan: AwardPlan): Promise<AwardCommit> {
    const [result] = await this.commitAwards([{ sale, plan }]);
    if (result!.kind === 'failed') throw result!.error;
    if (result!.kind === 'not_attempted') throw new Error(`sale ${sale.transactionId}: the transaction was cancelled without a reason`);
    return result!;
  }

  /** Each award is its sale's put and its account's standing update: items 2i and 2i+1 of one transaction. */
  async commitAwards(awards: readonly PendingAward[]): Promise<PackedAwardCommit[]> {
    const now = new Date().toISOString();
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: awards.flatMap(({ sale, plan }) => [
            { Put: this.awardedSalePut(sale, plan, now) },
            {
              Update: accountStandingUpdate(
                this.tableName,
                plan.before,
                plan.after,
                now,
                { lastSaleAt: now },
                { dueAt: this.dueAt(sale.date, now) },
              ),
            },
          ]),
        }),
      );
      return awards.map(() => ({ kind: 'committed' }));
    } catch (err) {
      if (!(err instanceof TransactionCanceledException)) throw err;
      const reasons = err.CancellationReasons ?? [];
      // One reason per item, in order, or no award can be told its own.
      if (reasons.length !== 2 * awards.length) throw err;
      const results = await Promise.all(awards.map(({ sale }, i) => this.cancelledAward(sale, reasons[2 * i], reasons[2 * i + 1], err)));
      // Nobody's condition explains the cancellation: it is the whole transaction's.
      if (results.every((r) => r.kind === 'not_attempted')) throw err;
      return results;
    }
  }

  private async cancelledAward(
    sale: SaleRecord,
    saleReason: CancellationReason | undefined,
    accountReason: CancellationReason | undefined,
    err: TransactionCanceledException,
  ): Promise<PackedAwardCommit> {
    const saleCode = saleReason?.Code ?? 'None';
    const accountCode = accountReason?.Code ?? 'None';
    if (saleCode === 'ConditionalCheckFailed') {
      const old = saleReason!.Item
        ? (unmarshall(saleReason!.Item as never) as Record<string, unknown>)
        : await this.readSale(sale.transactionId);
      return { kind: 'exists', existing: toExisting(old) };
    }
    if (accountCode === 'ConditionalCheckFailed') return { kind: 'retry', reason: 'stale_account' };
    if (saleCode === 'TransactionConflict' || accountCode === 'TransactionConflict')
      return { kind: 'retry', reason: 'transaction_conflict' };
    if (saleCode === 'None' && accountCode === 'None') return { kind: 'not_attempted' };
    // Throttling, a validation error of this award's items: the error is this award's (classified by its reason codes).
    const own = new TransactionCanceledException({
      message: err.message,
      $metadata: err.$metadata,
      CancellationReasons: [saleReason ?? { Code: 'None' }, accountReason ?? { Code: 'None' }],
    });
    return { kind: 'failed', error: own };
  }

  /** When the scheduled run should first look at the customer: never a day it has passed (a late file's old sale). */
  private dueAt(saleDate: string, now: string): string | undefined {
    const due = this.duePolicies && firstDueAt(saleDate, this.duePolicies);
    return due && Date.parse(due) < Date.parse(now) ? now : due;
  }

  private awardedSalePut(sale: SaleRecord, plan: AwardPlan, now: string) {
    const { after } = plan;
    return {
      TableName: this.tableName,
      Item: {
        ...keys.sale(sale.transactionId),
        GSI1PK: indexKeys.customerSales(after.userId),
        GSI1SK: `${sale.date}#${sale.transactionId}`,
        GSI3PK: indexKeys.byDayShard('SALE', sale.date, sale.transactionId),
        GSI3SK: `${sale.date}#${sale.transactionId}`,
        entity: 'sale',
        ...sale,
        status: 'awarded',
        userId: after.userId,
        points: plan.totalPoints,
        purchasePoints: plan.purchasePoints,
        bonusPoints: plan.bonusPoints,
        balanceAfter: after.points,
        lifetimePointsAfter: after.lifetimePoints,
        tierBefore: plan.before.tier,
        tierAfter: after.tier,
        punchCountAfter: after.punchCount,
        achievements: plan.achievements,
        ...(plan.campaigns.length > 0
          ? { campaignPoints: plan.campaignPoints, campaigns: plan.campaigns, campaignDay: plan.campaignDay }
          : {}),
        awardedAt: now,
        ...(this.retention.salesDays === null ? {} : { [TTL_ATTRIBUTE]: expiryAfterDays(this.retention.salesDays, sale.date) }),
      },
      // A new sale, or one held as unmatched with the same content that now has its customer.
      ConditionExpression: 'attribute_not_exists(PK) OR (#status = :unmatched AND contentHash = :contentHash)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':unmatched': 'unmatched', ':contentHash': sale.contentHash },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
  }

  async holdUnmatched(sale: SaleRecord, reason: UnmatchedReason, candidates: number): Promise<HoldResult> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.sale(sale.transactionId),
            GSI3PK: indexKeys.byDay('UNMATCHED', sale.date),
            GSI3SK: `${sale.date}#${sale.transactionId}`,
            entity: 'sale',
            ...sale,
            status: 'unmatched',
            unmatchedReason: reason,
            candidateCount: candidates,
            [TTL_ATTRIBUTE]: expiryOf('unmatchedSales', sale.receivedAt),
          },
          ConditionExpression: 'attribute_not_exists(PK)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'held' };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const old = err.Item ? (unmarshall(err.Item as never) as Record<string, unknown>) : await this.readSale(sale.transactionId);
      return { kind: 'exists', existing: toExisting(old) };
    }
  }

  async recordConflict(sale: SaleRecord, existing: ExistingSale): Promise<void> {
    const detectedAt = new Date().toISOString();
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.conflict(sale.transactionId, sale.contentHash),
          GSI3PK: indexKeys.byDay('CONFLICT', detectedAt),
          GSI3SK: `${detectedAt}#${sale.transactionId}`,
          entity: 'conflict',
          transactionId: sale.transactionId,
          detectedAt,
          existingContentHash: existing.contentHash,
          existingStatus: existing.status,
          // A sale of an erased customer keeps no card, nor does a later delivery of it.
          incoming: existing.userId?.startsWith(PSEUDONYM_PREFIX) ? withoutCard(sale) : sale,
          [TTL_ATTRIBUTE]: expiryOf('conflicts', detectedAt),
        },
      }),
    );
  }

  private async readSale(transactionId: string): Promise<Record<string, unknown>> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.sale(transactionId), ConsistentRead: true }));
    if (!out.Item) throw new Error(`sale ${transactionId} failed its condition but cannot be read back`);
    return out.Item;
  }
}

function toExisting(item: Record<string, unknown>): ExistingSale {
  return {
    contentHash: String(item.contentHash),
    status: item.status as ExistingSale['status'],
    userId: item.userId as string | undefined,
  };
}

const withoutCard = ({ cardFullHash: _full, cardLast4Hash: _hash, cardLast4: _last4, ...sale }: SaleRecord) => sale;
