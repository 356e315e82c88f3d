import { createHash, randomUUID } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { CustomerErasure, CustomerRecords, ErasureStart, Listed } from '../../admin/ports';
import { ERASED_CUSTOMER, PSEUDONYM_PREFIX } from '../../domain/erasure';
import { adjustmentIndexKeys } from './account-changes';
import { redemptionIndexKeys } from './redemptions';
import { dayShards, GSI1, indexKeys, keys, withoutKeys } from './table-keys';

/** The account figures an erased customer's pseudonymous account keeps, so balances and tiers add up as before. */
const ACCOUNT_FIGURES = ['points', 'lifetimePoints', 'tier', 'punchCount', 'punchCardsCompleted', 'purchaseCount', 'createdAt'] as const;
/** What a sale loses when it moves to the pseudonym: everything that could find the card again. */
const SALE_CARD_ATTRIBUTES = 'cardFullHash, cardLast4Hash, cardLast4';

const isConditionFailure = (err: unknown) => (err as Error).name === 'ConditionalCheckFailedException';

/** Everything a query returns, page after page (for the small per-customer partitions: cards, adjustments). */
async function queryAll(db: DynamoDBDocumentClient, input: QueryCommandInput): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await db.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    items.push(...(out.Items ?? []));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return items;
}

const customerPartition = (db: DynamoDBDocumentClient, tableName: string, userId: string, prefix: string) =>
  queryAll(db, {
    TableName: tableName,
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
    ExpressionAttributeValues: { ':pk': keys.customer(userId).PK, ':prefix': prefix },
    ConsistentRead: true,
  });

const notificationsOfDay = async (db: DynamoDBDocumentClient, tableName: string, userId: string, day: string) =>
  (
    await Promise.all(
      dayShards('NOTIFICATION', day).map((shard) =>
        queryAll(db, {
          TableName: tableName,
          IndexName: shard.indexName,
          KeyConditionExpression: '#pk = :pk',
          FilterExpression: 'userId = :user',
          ExpressionAttributeNames: { '#pk': shard.partitionKey },
          ExpressionAttributeValues: { ':pk': shard.partition, ':user': userId },
        }),
      ),
    )
  ).flat();

/** The records an export reads beside the profile, cards and sales. */
export class DynamoDbCustomerRecords implements CustomerRecords {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async adjustments(userId: string): Promise<Listed[]> {
    return (await customerPartition(this.db, this.tableName, userId, 'ADJUSTMENT#')).map(withoutKeys);
  }

  async redemptions(userId: string): Promise<Listed[]> {
    return (await customerPartition(this.db, this.tableName, userId, 'REDEMPTION#')).map(withoutKeys);
  }

  async accountEvents(userId: string) {
    const [expiries, tierChanges, notices] = await Promise.all(
      ['EXPIRY#', 'TIER#', 'NOTICE#'].map(async (prefix) =>
        (await customerPartition(this.db, this.tableName, userId, prefix)).map(withoutKeys),
      ),
    );
    return { expiries: expiries!, tierChanges: tierChanges!, notices: notices! };
  }

  async notificationsOn(userId: string, day: string): Promise<Listed[]> {
    return (await notificationsOfDay(this.db, this.tableName, userId, day)).map(withoutKeys);
  }
}

/**
 * Erasure in the single table. The profile item carries `erasure: {pseudonym, startedAt}` while it runs, which makes
 * every step resumable; the tombstone that ends it keeps only the id and when it was erased.
 */
export class DynamoDbCustomerErasure implements CustomerErasure {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async start(userId: string, at: string): Promise<ErasureStart> {
    const profile = await this.profile(userId);
    if (!profile) return { state: 'missing' };
    if (profile.entity === ERASED_CUSTOMER) return { state: 'erased', erasedAt: String(profile.erasedAt) };
    let erasure = profile.erasure as { pseudonym: string; startedAt: string } | undefined;
    if (!erasure) {
      erasure = { pseudonym: `${PSEUDONYM_PREFIX}${randomUUID()}`, startedAt: at };
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.customer(userId),
            // The next version: an award planned on the account before now fails its condition, reads again and
            // finds the erasure (no account to award to). The customer leaves the expiry run's due days at once.
            UpdateExpression:
              'SET erasure = :erasure, marketingConsent = :false, updatedAt = :at, #version = if_not_exists(#version, :zero) + :one REMOVE #name, email, pushEndpoint, marketingConsentAt, GSI3PK, GSI3SK, nextReviewAt',
            ConditionExpression: 'attribute_exists(PK) AND entity = :customer AND attribute_not_exists(erasure)',
            ExpressionAttributeNames: { '#name': 'name', '#version': 'version' },
            ExpressionAttributeValues: { ':erasure': erasure, ':false': false, ':at': at, ':customer': 'customer', ':zero': 0, ':one': 1 },
          }),
        );
      } catch (err) {
        // Another call started (or finished) it meanwhile: go on with what it chose.
        if (isConditionFailure(err)) return this.start(userId, at);
        throw err;
      }
    }
    await this.deleteCards(userId);
    return { state: 'erasing', ...erasure };
  }

  private async deleteCards(userId: string) {
    for (const card of await customerPartition(this.db, this.tableName, userId, 'CARD#')) {
      await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: { PK: card.PK, SK: card.SK } }));
    }
  }

  async moveSales(userId: string, pseudonym: string, more: () => boolean) {
    let moved = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      if (!more()) return { moved, done: false };
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: GSI1,
          KeyConditionExpression: 'GSI1PK = :pk',
          ExpressionAttributeValues: { ':pk': indexKeys.customerSales(userId) },
          ProjectionExpression: 'PK, SK, transactionId',
          Limit: 100,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const sale of out.Items ?? []) {
        if (await this.moveSale(String(sale.transactionId), userId, pseudonym)) moved++;
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return { moved, done: true };
  }

  /**
   * The sale to the pseudonym, without its card; its conflicting deliveries lose their card first, so a call cut
   * short after moving the sale has left none behind (the next one no longer finds the sale).
   */
  private async moveSale(transactionId: string, userId: string, pseudonym: string): Promise<boolean> {
    const conflicts = await queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :conflict)',
      ExpressionAttributeValues: { ':pk': keys.sale(transactionId).PK, ':conflict': 'CONFLICT#' },
      ProjectionExpression: 'PK, SK',
      ConsistentRead: true,
    });
    for (const conflict of conflicts) {
      await ignoringConditionFailure(
        this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { PK: conflict.PK, SK: conflict.SK },
            UpdateExpression: 'REMOVE incoming.cardFullHash, incoming.cardLast4Hash, incoming.cardLast4',
            // Expired (TTL) meanwhile: nothing left to clean.
            ConditionExpression: 'attribute_exists(incoming)',
          }),
        ),
      );
    }
    // False when moved already (the index lags behind the table).
    return ignoringConditionFailure(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.sale(transactionId),
          UpdateExpression: `SET userId = :pseudonym, GSI1PK = :pk REMOVE ${SALE_CARD_ATTRIBUTES}`,
          ConditionExpression: 'userId = :user',
          ExpressionAttributeValues: { ':pseudonym': pseudonym, ':pk': indexKeys.customerSales(pseudonym), ':user': userId },
        }),
      ),
    );
  }

  async moveAdjustments(userId: string, pseudonym: string): Promise<number> {
    return this.moveKeyedItems(userId, pseudonym, 'ADJUSTMENT#', (adjustment, movedKey) => {
      const { idempotencyKey: _key, ...kept } = adjustment;
      // Adjustments made before the movements index have no place in it, and get none now.
      const indexed = adjustment.GSI1PK ? adjustmentIndexKeys(pseudonym, movedKey, String(adjustment.createdAt)) : {};
      return { ...kept, ...indexed };
    });
  }

  async moveRedemptions(userId: string, pseudonym: string): Promise<number> {
    // Marked pseudonymous: the statistics counted it when it was made, and must not count the moved copy again.
    return this.moveKeyedItems(userId, pseudonym, 'REDEMPTION#', (redemption, movedKey) => ({
      ...redemption,
      ...redemptionIndexKeys(pseudonym, movedKey, String(redemption.createdAt)),
      redemptionId: movedKey,
      pseudonymous: true,
    }));
  }

  /**
   * Moves the customer's items under a key prefix to the pseudonym's partition, each in one transaction (put there,
   * deleted here). The client's idempotency key in the sort key is free text (it may name the customer) and means
   * nothing once the account moved: the new key follows from the old one, so two calls moving the same item put it
   * there once.
   */
  private async moveKeyedItems(
    userId: string,
    pseudonym: string,
    prefix: 'ADJUSTMENT#' | 'REDEMPTION#' | 'EXPIRY#' | 'TIER#',
    reshape: (item: Record<string, unknown>, movedKey: string) => Record<string, unknown>,
  ): Promise<number> {
    let moved = 0;
    for (const item of await customerPartition(this.db, this.tableName, userId, prefix)) {
      const movedKey = `moved-${createHash('sha256').update(String(item.SK)).digest('hex').slice(0, 32)}`;
      try {
        await this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.tableName,
                  Item: { ...reshape(item, movedKey), PK: keys.customer(pseudonym).PK, SK: `${prefix}${movedKey}`, userId: pseudonym },
                  ConditionExpression: 'attribute_not_exists(PK)',
                },
              },
              {
                Delete: {
                  TableName: this.tableName,
                  Key: { PK: item.PK, SK: item.SK },
                  ConditionExpression: 'attribute_exists(PK)',
                },
              },
            ],
          }),
        );
        moved++;
      } catch (err) {
        // Moved by a call running beside this one.
        if (!(err instanceof TransactionCanceledException)) throw err;
      }
    }
    return moved;
  }

  /** Day by day, each finished day noted on the erasure, so a call cut short resumes at the next day, not the first. */
  async moveNotifications(userId: string, pseudonym: string, days: string[], more: () => boolean) {
    let moved = 0;
    const done = new Set(((await this.profile(userId))?.erasure as { notificationDaysDone?: string[] } | undefined)?.notificationDaysDone);
    for (const day of days) {
      if (done.has(day)) continue;
      if (!more()) return { moved, done: false };
      for (const notification of await notificationsOfDay(this.db, this.tableName, userId, day)) {
        const changed = await ignoringConditionFailure(
          this.db.send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: { PK: notification.PK, SK: notification.SK },
              UpdateExpression: 'SET userId = :pseudonym',
              ConditionExpression: 'userId = :user',
              ExpressionAttributeValues: { ':pseudonym': pseudonym, ':user': userId },
            }),
          ),
        );
        if (changed) moved++;
      }
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.customer(userId),
          UpdateExpression: 'SET erasure.notificationDaysDone = list_append(if_not_exists(erasure.notificationDaysDone, :none), :day)',
          ConditionExpression: 'erasure.pseudonym = :pseudonym',
          ExpressionAttributeValues: { ':none': [], ':day': [day], ':pseudonym': pseudonym },
        }),
      );
    }
    return { moved, done: true };
  }

  /**
   * The expiry run's records: expiries and tier changes keep the books and move to the pseudonym (marked, so they are
   * not announced again); notices of what was to come mean nothing any more and are deleted.
   */
  private async moveReviewRecords(userId: string, pseudonym: string) {
    for (const prefix of ['EXPIRY#', 'TIER#'] as const) {
      await this.moveKeyedItems(userId, pseudonym, prefix, (entry) => ({
        ...entry,
        GSI1PK: indexKeys.customerMoves(pseudonym),
        pseudonymous: true,
      }));
    }
    for (const notice of await customerPartition(this.db, this.tableName, userId, 'NOTICE#')) {
      await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: { PK: notice.PK, SK: notice.SK } }));
    }
  }

  async finish(userId: string, pseudonym: string, at: string): Promise<boolean> {
    await this.moveReviewRecords(userId, pseudonym);
    // A link written while the erasure began (its check a moment old) is deleted too.
    await this.deleteCards(userId);
    const profile = await this.profile(userId);
    if (profile?.entity === ERASED_CUSTOMER) return true;
    if ((profile?.erasure as { pseudonym?: string } | undefined)?.pseudonym !== pseudonym) return false;
    const version = Number(profile?.version ?? 0);
    const figures = Object.fromEntries(
      ACCOUNT_FIGURES.filter((name) => profile?.[name] !== undefined).map((name) => [name, profile![name]]),
    );
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...keys.customer(pseudonym),
                  entity: 'customer',
                  userId: pseudonym,
                  pseudonymous: true,
                  ...figures,
                  version,
                  updatedAt: at,
                },
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
            {
              // The next version, so an award planned on the old account fails its condition and finds no account.
              Put: {
                TableName: this.tableName,
                Item: { ...keys.customer(userId), entity: ERASED_CUSTOMER, userId, erasedAt: at, version: version + 1 },
                ConditionExpression:
                  'erasure.pseudonym = :pseudonym AND (#version = :version OR (attribute_not_exists(#version) AND :version = :zero))',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':pseudonym': pseudonym, ':version': version, ':zero': 0 },
              },
            },
          ],
        }),
      );
      return true;
    } catch (err) {
      // An award or adjustment landed since the records moved: the next call moves it and finishes.
      if (err instanceof TransactionCanceledException) return false;
      throw err;
    }
  }

  private async profile(userId: string) {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.customer(userId), ConsistentRead: true }));
    return out.Item;
  }
}

/** The write's outcome: true when it was made, false when its condition failed (done already, or nothing to do). */
async function ignoringConditionFailure(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}
