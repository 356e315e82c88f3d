import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { PlannedNotice, PointsMovement, SentNotice } from '../../domain/due-review';
import { ERASED_CUSTOMER } from '../../domain/erasure';
import type { LoyaltyAccount } from '../../domain/loyalty';
import { TIER_NAMES } from '../../domain/program';
import { expiryAfterDays } from '../../domain/retention';
import type { DueIndex, DuePage, LoadedCustomer, NextLook, ReviewChanges, ReviewLedger } from '../../expiry/ports';
import * as z from '../../support/zod-mini';
import { accountStandingUpdate } from './account-standing';
import { DynamoDbLoyaltyLedger } from './loyalty-ledger';
import { GSI1, GSI3, indexKeys, keys, TTL_ATTRIBUTE } from './table-keys';

// Small pages: the run checks the time it has left between them, so a few long histories cannot outlast the timeout.
const DUE_PAGE_SIZE = 24;
/** A notice is kept this long after the day it is about: the run reads it back to know what it told. */
const NOTICE_KEPT_DAYS = 60;

const isConditionFailure = (err: unknown) => err instanceof ConditionalCheckFailedException;

/** The due-day partitions of GSI3 and the run's checkpoint item. */
export class DynamoDbDueIndex implements DueIndex {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async completedThrough(): Promise<string | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.dueRunCheckpoint(), ConsistentRead: true }));
    const saved = out.Item?.completedThrough;
    return typeof saved === 'string' ? saved : undefined;
  }

  async complete(dayText: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.dueRunCheckpoint(),
          UpdateExpression: 'SET completedThrough = :day, entity = :entity, updatedAt = :now',
          ConditionExpression: 'attribute_not_exists(completedThrough) OR completedThrough < :day',
          ExpressionAttributeValues: { ':day': dayText, ':entity': 'due_run_checkpoint', ':now': new Date().toISOString() },
        }),
      );
    } catch (err) {
      // A run beside this one got further.
      if (!isConditionFailure(err)) throw err;
    }
  }

  async page(dayText: string, upTo: string | undefined, from: unknown): Promise<DuePage> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: GSI3,
        KeyConditionExpression: upTo ? 'GSI3PK = :pk AND GSI3SK <= :upTo' : 'GSI3PK = :pk',
        ExpressionAttributeValues: { ':pk': indexKeys.dueOn(dayText), ...(upTo ? { ':upTo': upTo } : {}) },
        ProjectionExpression: 'userId, GSI3SK',
        Limit: DUE_PAGE_SIZE,
        ExclusiveStartKey: from as Record<string, unknown> | undefined,
      }),
    );
    const entries = (out.Items ?? []).map((item) => {
      const dueKey = String(item.GSI3SK);
      return { userId: typeof item.userId === 'string' ? item.userId : dueKey.slice(dueKey.indexOf('#') + 1), dueKey };
    });
    return { entries, ...(out.LastEvaluatedKey ? { next: out.LastEvaluatedKey } : {}) };
  }
}

const schedule = z.object({
  entity: z.optional(z.string()),
  erasure: z.optional(z.unknown()),
  version: z._default(z.number(), 0),
  GSI3SK: z.optional(z.string()),
  nextReviewAt: z.optional(z.string()),
  lastSaleAt: z.optional(z.string()),
});

const storedSale = z.object({
  status: z.string(),
  points: z._default(z.number(), 0),
  date: z.string(),
  awardedAt: z.optional(z.string()),
});

const storedMove = z.object({
  entity: z.string(),
  SK: z.string(),
  status: z.optional(z.string()),
  points: z._default(z.number(), 0),
  createdAt: z.optional(z.string()),
  notice: z.optional(z.string()),
  firstExpiryAt: z.optional(z.string()),
  coversUntil: z.optional(z.string()),
  reviewAt: z.optional(z.string()),
  to: z.optional(z.enum(TIER_NAMES)),
});

/**
 * A due customer's account and history in the single table: the account as the loyalty ledger reads it, the schedule
 * on its profile, its sales from GSI1 and its other movements and notices from its own partition (read consistently:
 * a redemption or an adjustment committed before the account was read is in it).
 */
export class DynamoDbReviewLedger implements ReviewLedger {
  private readonly accounts: DynamoDbLoyaltyLedger;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.accounts = new DynamoDbLoyaltyLedger(db, tableName);
  }

  async load(userId: string, attempt = 0): Promise<LoadedCustomer> {
    const account = await this.accounts.getAccount(userId, { consistent: true });
    if (!account) return { state: 'gone' };
    const profile = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.customer(userId),
        ConsistentRead: true,
        ProjectionExpression: 'entity, erasure, version, GSI3SK, nextReviewAt, lastSaleAt',
      }),
    );
    const stored = schedule.safeParse(profile.Item ?? {});
    if (!profile.Item || !stored.success || stored.data.entity === ERASED_CUSTOMER || stored.data.erasure) return { state: 'gone' };
    // Changed between the two reads: the account read first is stale, and the version guard would refuse its writes.
    if (stored.data.version !== account.version) {
      if (attempt >= 3) throw new Error(`customer ${userId}: the account kept changing while it was read`);
      return this.load(userId, attempt + 1);
    }
    const [sales, own] = await Promise.all([
      this.queryAll({
        TableName: this.tableName,
        IndexName: GSI1,
        KeyConditionExpression: 'GSI1PK = :pk',
        ExpressionAttributeNames: { '#status': 'status', '#date': 'date' },
        ExpressionAttributeValues: { ':pk': indexKeys.customerSales(userId), ':sale': 'sale' },
        FilterExpression: 'entity = :sale',
        ProjectionExpression: '#status, points, #date, awardedAt',
      }),
      this.queryAll({
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeNames: { '#status': 'status', '#to': 'to' },
        ExpressionAttributeValues: {
          ':pk': keys.customer(userId).PK,
          ':r': 'redemption',
          ':a': 'adjustment',
          ':e': 'expiry',
          ':n': 'notice',
        },
        FilterExpression: 'entity IN (:r, :a, :e, :n)',
        ProjectionExpression: 'entity, SK, #status, points, createdAt, notice, firstExpiryAt, coversUntil, reviewAt, #to',
        ConsistentRead: true,
      }),
    ]);
    const movements: PointsMovement[] = [];
    const notices: SentNotice[] = [];
    for (const item of sales) {
      const sale = storedSale.safeParse(item);
      if (!sale.success || (sale.data.status !== 'awarded' && sale.data.status !== 'reversed')) continue;
      movements.push({
        kind: 'sale',
        status: sale.data.status,
        points: sale.data.points,
        earnedAt: sale.data.date,
        ...(sale.data.awardedAt ? { awardedAt: sale.data.awardedAt } : {}),
      });
    }
    for (const item of own) {
      const parsed = storedMove.safeParse(item);
      if (!parsed.success) throw new Error(`customer ${userId}: a ${String(item.entity)} item does not parse`);
      const move = parsed.data;
      if (move.entity === 'redemption')
        movements.push({ kind: 'redemption', status: move.status === 'reversed' ? 'reversed' : 'issued', points: move.points });
      else if (move.entity === 'adjustment') movements.push({ kind: 'adjustment', points: move.points, at: move.createdAt ?? '' });
      else if (move.entity === 'expiry') movements.push({ kind: 'expiry', points: move.points });
      else if (move.notice === 'points_expiring' && move.firstExpiryAt && move.coversUntil)
        notices.push({ kind: 'points_expiring', expiresAt: move.firstExpiryAt, coversUntil: move.coversUntil });
      else if (move.notice === 'tier_will_downgrade' && move.reviewAt && move.to)
        notices.push({ kind: 'tier_will_downgrade', reviewAt: move.reviewAt, to: move.to });
    }
    return {
      state: 'live',
      dueKey: stored.data.GSI3SK,
      customer: {
        account,
        movements,
        notices,
        ...(stored.data.lastSaleAt ? { lastSaleAt: stored.data.lastSaleAt } : {}),
        ...(stored.data.nextReviewAt ? { nextReviewAt: stored.data.nextReviewAt } : {}),
      },
    };
  }

  async apply(before: LoyaltyAccount, after: LoyaltyAccount, changes: ReviewChanges, now: string): Promise<'applied' | 'stale'> {
    const { userId } = before;
    const entries: Record<string, unknown>[] = [];
    if (changes.expiry) {
      const { at, points, balanceAfter, reason } = changes.expiry;
      entries.push({
        ...keys.expiry(userId, at, before.version),
        GSI1PK: indexKeys.customerMoves(userId),
        GSI1SK: `${at}#EXPIRY#${before.version}`,
        entity: 'expiry',
        userId,
        at,
        points,
        balanceAfter,
        reason,
        recordedAt: now,
      });
    }
    if (changes.downgrade) {
      const { at, from, to, pointsInWindow, reason } = changes.downgrade;
      entries.push({
        ...keys.tierChange(userId, at, before.version),
        GSI1PK: indexKeys.customerMoves(userId),
        GSI1SK: `${at}#TIER#${before.version}`,
        entity: 'tier_change',
        userId,
        at,
        from,
        to,
        // A movement of no points: the history lists it with the others.
        points: 0,
        balanceAfter: after.points,
        pointsInWindow,
        reason,
        recordedAt: now,
      });
    }
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            // Once per customer and instant: a run repeated, or one beside this one, finds the entry there.
            ...entries.map((Item) => ({ Put: { TableName: this.tableName, Item, ConditionExpression: 'attribute_not_exists(PK)' } })),
            {
              Update: accountStandingUpdate(
                this.tableName,
                before,
                after,
                now,
                changes.nextReviewAt ? { nextReviewAt: changes.nextReviewAt } : {},
              ),
            },
          ],
        }),
      );
      return 'applied';
    } catch (err) {
      if (err instanceof TransactionCanceledException) {
        const codes = (err.CancellationReasons ?? []).map((r) => r.Code);
        if (codes.some((code) => code === 'ConditionalCheckFailed' || code === 'TransactionConflict')) return 'stale';
      }
      throw err;
    }
  }

  async notice(userId: string, notice: PlannedNotice, now: string): Promise<'written' | 'exists'> {
    const about = notice.kind === 'points_expiring' ? notice.expiresAt : notice.reviewAt;
    const keptUntil = notice.kind === 'points_expiring' ? notice.coversUntil : notice.reviewAt;
    // `expiresAt` is the table's TTL attribute: the notice keeps its first expiry under another name.
    const { kind, ...fields } =
      notice.kind === 'points_expiring' ? (({ expiresAt, ...rest }) => ({ ...rest, firstExpiryAt: expiresAt }))(notice) : notice;
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.notice(userId, kind, about),
            entity: 'notice',
            notice: kind,
            userId,
            ...fields,
            createdAt: now,
            [TTL_ATTRIBUTE]: expiryAfterDays(NOTICE_KEPT_DAYS, keptUntil),
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      return 'written';
    } catch (err) {
      if (isConditionFailure(err)) return 'exists';
      throw err;
    }
  }

  async reschedule(userId: string, dueKey: string, version: number | undefined, next: NextLook): Promise<boolean> {
    const values: Record<string, unknown> = { ':seen': dueKey };
    const guards = ['GSI3SK = :seen'];
    if (version !== undefined) {
      guards.push('(version = :version OR (attribute_not_exists(version) AND :version = :zero))');
      Object.assign(values, { ':version': version, ':zero': 0 });
    }
    let update: string;
    if (next.dueAt) {
      Object.assign(values, { ':pk': indexKeys.dueOn(next.dueAt), ':sk': `${next.dueAt}#${userId}` });
      update = 'SET GSI3PK = :pk, GSI3SK = :sk';
      if (next.nextReviewAt) {
        update += ', nextReviewAt = :review';
        values[':review'] = next.nextReviewAt;
      }
    } else update = 'REMOVE GSI3PK, GSI3SK, nextReviewAt';
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.customer(userId),
          UpdateExpression: update,
          ConditionExpression: guards.join(' AND '),
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  private async queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}
