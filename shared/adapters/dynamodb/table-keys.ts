/**
 * The single-table layout. Every item has PK/SK; three overloaded GSIs serve the access patterns:
 *
 * | item            | PK                     | SK                     | GSI1 (by customer / card)      | GSI2 (by last four) | GSI3 (by kind and day)      |
 * |-----------------|------------------------|------------------------|--------------------------------|---------------------|-----------------------------|
 * | customer        | CUSTOMER#<userId>      | PROFILE                |                                |                     |                             |
 * | linked card     | CUSTOMER#<userId>      | CARD#<cardId>          | CARDHASH#<hmac(number)>        | CARD4#<hmac(last4)> |                             |
 * | sale (awarded)  | SALE#<transactionId>   | SALE                   | CUSTOMER#<userId> / <date>#<id> |                     | SALE#<day>#<shard> / <date>#<id> |
 * | sale (unmatched)| SALE#<transactionId>   | SALE                   |                                |                     | UNMATCHED#<day> / <date>#<id> |
 * | conflict        | SALE#<transactionId>   | CONFLICT#<contentHash> |                                |                     | CONFLICT#<day> / <at>#<id>  |
 * | failure         | FAILURE#<failureId>    | FAILURE                |                                |                     | FAILURE#<day> / <at>#<id>   |
 * | processed file  | FILE#<fileId>          | FILE                   |                                |                     | FILE#<day> / <at>#<fileId>  |
 * | notification    | NOTIFICATION#<day>#<shard> | <at>#<eventId>     |                                |                     |                             |
 * | campaign version| CAMPAIGN               | <campaignId>#<version> |                                |                     |                             |
 * | redemption      | CUSTOMER#<userId>      | REDEMPTION#<key>       | MOVES#<userId> / <at>#REDEMPTION#<key> |             | REDEMPTION#<day> / <at>#<userId> |
 * | adjustment      | CUSTOMER#<userId>      | ADJUSTMENT#<key>       | MOVES#<userId> / <at>#ADJUSTMENT#<key> |             |                             |
 * | expiry          | CUSTOMER#<userId>      | EXPIRY#<at>#<version>  | MOVES#<userId> / <at>#EXPIRY#<version> |             |                             |
 * | tier change     | CUSTOMER#<userId>      | TIER#<at>#<version>    | MOVES#<userId> / <at>#TIER#<version> |               |                             |
 * | notice          | CUSTOMER#<userId>      | NOTICE#<kind>#<day>    |                                |                     |                             |
 * | due-run checkpoint | RUN#expire-points   | CHECKPOINT             |                                |                     |                             |
 * | customer (due)  | CUSTOMER#<userId>      | PROFILE                |                                |                     | DUE#<day> / <at>#<userId>   |
 *
 * Day-partitioned GSI3 keys keep any one partition from running hot when a bad file produces a burst of failures.
 * Every sale writes its day's index partition, so those are split further into DAY_SHARDS shards by a hash of the
 * sale's id (a partition takes about 1,000 writes a second: 16 shards lift the ceiling to about 16,000 sales a
 * second); notifications are listed by day from the table itself, sharded alike (no index write). The admin listings
 * read a day's shards in parallel and merge them. (Notifications written before this layout carry GSI3 keys
 * NOTIFICATION#<day>[#<shard>], read too until they expire.)
 * A customer's history is two GSI1 partitions read together: its sales (CUSTOMER#<userId>, by sale date) and its
 * other movements of points (MOVES#<userId>: redemptions, adjustments, expiries, by when they happened). A customer's
 * profile is in GSI3's DUE#<day> partition while the program expires points or requalifies tiers: the day the
 * scheduled run next looks at it (an award sets it only when absent; the run moves it).
 * A file's id is a hash of its bucket, key and ETag, so an object key that holds a card number is never a table key.
 */

import { createHash } from 'node:crypto';

export const GSI1 = 'GSI1';
export const GSI2 = 'GSI2';
export const GSI3 = 'GSI3';

export const TABLE_INDEXES = [
  { indexName: GSI1, partitionKey: 'GSI1PK', sortKey: 'GSI1SK' },
  { indexName: GSI2, partitionKey: 'GSI2PK', sortKey: 'GSI2SK' },
  { indexName: GSI3, partitionKey: 'GSI3PK', sortKey: 'GSI3SK' },
] as const;

export const TTL_ATTRIBUTE = 'expiresAt';

export const day = (iso: string) => iso.slice(0, 10);

export const keys = {
  customer: (userId: string) => ({ PK: `CUSTOMER#${userId}`, SK: 'PROFILE' }),
  card: (userId: string, cardId: string) => ({ PK: `CUSTOMER#${userId}`, SK: `CARD#${cardId}` }),
  sale: (transactionId: string) => ({ PK: `SALE#${transactionId}`, SK: 'SALE' }),
  conflict: (transactionId: string, contentHash: string) => ({ PK: `SALE#${transactionId}`, SK: `CONFLICT#${contentHash}` }),
  failure: (failureId: string) => ({ PK: `FAILURE#${failureId}`, SK: 'FAILURE' }),
  file: (bucket: string, key: string, eTag: string) => ({ PK: `FILE#${fileId(bucket, key, eTag)}`, SK: 'FILE' }),
  /** A notification, in its day's shard: the key follows from the event, so a second record of it is the same item. */
  campaignVersion: (campaignId: string, version: number) => ({ PK: 'CAMPAIGN', SK: `${campaignId}#${String(version).padStart(6, '0')}` }),
  redemption: (userId: string, key: string) => ({ PK: `CUSTOMER#${userId}`, SK: `REDEMPTION#${key}` }),
  /**
   * An expiry or a tier change, by its instant and the account version it was planned on: the same plan (a run repeated,
   * or one beside it) is the same item, and a later change at the same instant (a reversed redemption leaving more to
   * expire) is another.
   */
  expiry: (userId: string, at: string, version: number) => ({ PK: `CUSTOMER#${userId}`, SK: `EXPIRY#${at}#${planVersion(version)}` }),
  tierChange: (userId: string, at: string, version: number) => ({ PK: `CUSTOMER#${userId}`, SK: `TIER#${at}#${planVersion(version)}` }),
  /** One notice per customer, kind and day it is about: a second run writing it finds it there. */
  notice: (userId: string, kind: string, isoDate: string) => ({ PK: `CUSTOMER#${userId}`, SK: `NOTICE#${kind}#${day(isoDate)}` }),
  /** The last day the scheduled expiry run finished (every earlier due day is empty). */
  dueRunCheckpoint: () => ({ PK: 'RUN#expire-points', SK: 'CHECKPOINT' }),
  notification: (occurredAt: string, eventId: string) => ({
    PK: notificationPartition(day(occurredAt), shardOf(eventId)),
    SK: `${occurredAt}#${eventId}`,
  }),
};

const planVersion = (version: number) => String(version).padStart(9, '0');

const notificationPartition = (dayText: string, shard: number) => `NOTIFICATION#${dayText}#${shard}`;

/** Every table partition of a day's notifications. */
export const notificationPartitions = (dayText: string) =>
  Array.from({ length: DAY_SHARDS }, (_, shard) => notificationPartition(dayText, shard));

/**
 * The identity of one stored version of an object: SHA-256 over bucket, key and ETag (an identity, not a secret; the
 * NUL separators cannot occur in a bucket name or an ETag, so no two triples join to the same text).
 */
export const fileId = (bucket: string, key: string, eTag: string) =>
  createHash('sha256').update(`${bucket}\u0000${key}\u0000${eTag}`).digest('hex');

export type DayKind = 'SALE' | 'UNMATCHED' | 'CONFLICT' | 'FAILURE' | 'FILE' | 'NOTIFICATION' | 'REDEMPTION';
/** The kinds written once per sale or per notification: their day partitions are sharded. */
export type ShardedDayKind = Extract<DayKind, 'SALE' | 'NOTIFICATION'>;
export const DAY_SHARDS = 16;

export const isShardedDayKind = (kind: DayKind): kind is ShardedDayKind => kind === 'SALE' || kind === 'NOTIFICATION';

/** A stable shard of an id: the first 32 bits of its SHA-256, modulo the shard count. */
const shardOf = (id: string) => createHash('sha256').update(id).digest().readUInt32BE(0) % DAY_SHARDS;

export const indexKeys = {
  cardByFullHash: (hash: string) => `CARDHASH#${hash}`,
  cardByLastFourHash: (hash: string) => `CARD4#${hash}`,
  customerSales: (userId: string) => `CUSTOMER#${userId}`,
  /** A customer's movements of points other than sales (redemptions, adjustments, expiries), in GSI1. */
  customerMoves: (userId: string) => `MOVES#${userId}`,
  /** The GSI3 partition of the customers the scheduled expiry and requalification run looks at on a day. */
  dueOn: (isoDate: string) => `DUE#${day(isoDate)}`,
  byDay: (kind: Exclude<DayKind, ShardedDayKind>, isoDate: string) => `${kind}#${day(isoDate)}`,
  /** The day partition of a sale or a notification: its day's shard for this id. */
  byDayShard: (kind: ShardedDayKind, isoDate: string, id: string) => `${kind}#${day(isoDate)}#${shardOf(id)}`,
  /**
   * Every partition one day's items of a kind can be in: the day's shards, and for a sharded kind the unsharded day
   * partition too (where items written before the sharding are).
   */
  dayPartitions: (kind: DayKind, dayText: string): string[] =>
    isShardedDayKind(kind)
      ? [`${kind}#${dayText}`, ...Array.from({ length: DAY_SHARDS }, (_, shard) => `${kind}#${dayText}#${shard}`)]
      : [`${kind}#${dayText}`],
};

/** Strips DynamoDB's key attributes from an item before it leaves the adapter. */
export function withoutKeys<T extends Record<string, unknown>>(
  item: T,
): Omit<T, 'PK' | 'SK' | 'GSI1PK' | 'GSI1SK' | 'GSI2PK' | 'GSI2SK' | 'GSI3PK' | 'GSI3SK'> {
  const { PK: _pk, SK: _sk, GSI1PK: _a, GSI1SK: _b, GSI2PK: _c, GSI2SK: _d, GSI3PK: _e, GSI3SK: _f, ...rest } = item;
  return rest;
}

/** The condition that the customer's profile is a live customer's: not a tombstone, no erasure running. */
export const liveCustomer = (userId: string) => ({
  Key: keys.customer(userId),
  ConditionExpression: 'entity = :customer AND attribute_not_exists(erasure)',
  ExpressionAttributeValues: { ':customer': 'customer' },
});

/**
 * A card link's keys: its sort key derived from the card's hash (a second link of the card finds the first), and the
 * index keys the card is looked up by, the full number's hash when known and always the last four's.
 */
export const cardLinkKeys = (userId: string, card: { fullHash?: string; lastFourHash: string }) => ({
  ...keys.card(userId, (card.fullHash ?? card.lastFourHash).slice(0, 16)),
  ...(card.fullHash ? { GSI1PK: indexKeys.cardByFullHash(card.fullHash), GSI1SK: `CUSTOMER#${userId}` } : {}),
  GSI2PK: indexKeys.cardByLastFourHash(card.lastFourHash),
  GSI2SK: `CUSTOMER#${userId}`,
});

/** One partition of a day's items: of GSI3, or (notifications) of the table itself. */
export interface DayShard {
  indexName?: string;
  partitionKey: string;
  sortKey: string;
  partition: string;
}

/** Where a sharded kind's items of a day are: its GSI3 shards; for notifications, the table's own day shards first. */
export function dayShards(kind: ShardedDayKind, day: string): DayShard[] {
  const indexed = indexKeys
    .dayPartitions(kind, day)
    .map((partition) => ({ indexName: GSI3, partitionKey: 'GSI3PK', sortKey: 'GSI3SK', partition }));
  if (kind !== 'NOTIFICATION') return indexed;
  return [...notificationPartitions(day).map((partition) => ({ partitionKey: 'PK', sortKey: 'SK', partition })), ...indexed];
}
