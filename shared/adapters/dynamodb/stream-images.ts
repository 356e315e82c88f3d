import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import * as z from 'zod';
import type { CommittedAccountEvent, CommittedItem, ItemChange, NotifiedChange, NotifiedItem } from '../../domain/committed-changes';
import { TIER_NAMES } from '../../domain/program';

const achievementSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('punch_card_completed'), cardsCompleted: z.number() }),
  z.object({ type: z.literal('bonus_awarded'), points: z.number(), reason: z.literal('punch_card') }),
  z.object({ type: z.literal('tier_upgraded'), from: z.enum(TIER_NAMES), to: z.enum(TIER_NAMES) }),
]);

const storedSaleFields = {
  entity: z.literal('sale'),
  transactionId: z.string(),
  date: z.string(),
  amountCents: z.number(),
  product: z.string(),
  machineId: z.string(),
  receivedAt: z.string(),
};

const storedAwardFields = {
  userId: z.string(),
  points: z.number(),
  purchasePoints: z.number(),
  campaignPoints: z.number().optional(),
  balanceAfter: z.number(),
  tierAfter: z.enum(TIER_NAMES),
  achievements: z.array(achievementSchema),
  awardedAt: z.string(),
};

const storedSaleSchema = z
  .discriminatedUnion('status', [
    z.object({ ...storedSaleFields, status: z.literal('unmatched'), unmatchedReason: z.enum(['unknown_card', 'ambiguous']) }),
    z.object({ ...storedSaleFields, ...storedAwardFields, status: z.enum(['awarded', 'reversed']) }),
  ])
  .transform(({ entity: _, ...sale }) => ({ kind: 'sale' as const, ...sale }));

const storedConflictSchema = z
  .object({ entity: z.literal('conflict'), transactionId: z.string(), detectedAt: z.string() })
  .transform(({ entity: _, ...conflict }) => ({ kind: 'conflict' as const, ...conflict }));

const storedFailureSchema = z
  .object({
    entity: z.literal('failure'),
    status: z.enum(['open', 'resolved']),
    firstSeenAt: z.string(),
    resolvedAt: z.string().optional(),
  })
  .transform(({ entity: _, ...failure }) => ({ kind: 'failure' as const, ...failure }));

const storedRedemptionSchema = z
  .object({
    entity: z.literal('redemption'),
    status: z.enum(['issued', 'reversed']),
    points: z.number(),
    createdAt: z.string(),
    pseudonymous: z.boolean().optional(),
  })
  .transform(({ entity: _, pseudonymous, ...redemption }) => ({
    kind: 'redemption' as const,
    ...redemption,
    pseudonymous: pseudonymous === true,
  }));

/**
 * The stored items the statistics and the notifications follow, by their entity, as the loyalty ledger, the
 * failure store and the redemptions write them. Every other item's change decodes to an empty change.
 */
const followedItems = new Map<unknown, z.ZodType<CommittedItem, unknown>>([
  ['sale', storedSaleSchema],
  ['conflict', storedConflictSchema],
  ['failure', storedFailureSchema],
  ['redemption', storedRedemptionSchema],
]);

const storedExpirySchema = z
  .object({
    entity: z.literal('expiry'),
    userId: z.string(),
    at: z.string(),
    points: z.number(),
    balanceAfter: z.number(),
    reason: z.string(),
  })
  .transform(({ entity: _, ...expiry }) => ({ kind: 'expiry' as const, ...expiry }));

const storedTierChangeSchema = z
  .object({
    entity: z.literal('tier_change'),
    userId: z.string(),
    at: z.string(),
    from: z.enum(TIER_NAMES),
    to: z.enum(TIER_NAMES),
    reason: z.string(),
  })
  .transform(({ entity: _, ...change }) => ({ kind: 'tier_change' as const, ...change }));

const noticeFields = { entity: z.literal('notice'), userId: z.string(), createdAt: z.string() };
const storedNoticeSchema = z
  .discriminatedUnion('notice', [
    z.object({
      ...noticeFields,
      notice: z.literal('points_expiring'),
      points: z.number(),
      // Stored under another name: `expiresAt` is the table's TTL attribute.
      firstExpiryAt: z.string(),
      lastExpiresAt: z.string(),
    }),
    z.object({
      ...noticeFields,
      notice: z.literal('tier_will_downgrade'),
      reviewAt: z.string(),
      from: z.enum(TIER_NAMES),
      to: z.enum(TIER_NAMES),
      pointsNeeded: z.number(),
    }),
  ])
  .transform(({ entity: _, ...notice }) =>
    notice.notice === 'points_expiring'
      ? (({ firstExpiryAt, ...rest }) => ({ kind: 'notice' as const, ...rest, expiresAt: firstExpiryAt }))(notice)
      : { kind: 'notice' as const, ...notice },
  );

/** What the notifications follow besides: the scheduled expiry and requalification run's records. */
const notifiedItems = new Map<unknown, z.ZodType<NotifiedItem, unknown>>([
  ...followedItems,
  ['expiry', storedExpirySchema as z.ZodType<CommittedAccountEvent, unknown>],
  ['tier_change', storedTierChangeSchema as z.ZodType<CommittedAccountEvent, unknown>],
  ['notice', storedNoticeSchema as z.ZodType<CommittedAccountEvent, unknown>],
]);

export type DecodedChange = { ok: true; change: ItemChange } | { ok: false; reason: string };

/** One stream record's old and new images, decoded into the domain's items. A followed item that does not parse is refused. */
export function decodeStreamRecord(record: DynamoDBRecord): DecodedChange {
  return decodeRecord(record, followedItems);
}

export type DecodedNotifiedChange = { ok: true; change: NotifiedChange } | { ok: false; reason: string };

/** As decodeStreamRecord, for the notifications: the expiry run's records decode too. */
export function decodeNotifiedRecord(record: DynamoDBRecord): DecodedNotifiedChange {
  return decodeRecord(record, notifiedItems);
}

function decodeRecord<T>(
  record: DynamoDBRecord,
  items: Map<unknown, z.ZodType<T, unknown>>,
): { ok: true; change: { old?: T; new?: T } } | { ok: false; reason: string } {
  const old = decodeImage(record.dynamodb?.OldImage, items);
  if (!old.ok) return { ok: false, reason: `old image: ${old.reason}` };
  const next = decodeImage(record.dynamodb?.NewImage, items);
  if (!next.ok) return { ok: false, reason: `new image: ${next.reason}` };
  return { ok: true, change: { old: old.item, new: next.item } };
}

type DecodedImage<T> = { ok: true; item?: T } | { ok: false; reason: string };

function decodeImage<T>(image: Record<string, unknown> | undefined, items: Map<unknown, z.ZodType<T, unknown>>): DecodedImage<T> {
  if (!image) return { ok: true };
  let stored: Record<string, unknown>;
  try {
    stored = unmarshall(image as Record<string, AttributeValue>);
  } catch (err) {
    return { ok: false, reason: `not a DynamoDB image: ${(err as Error).message}` };
  }
  const schema = items.get(stored.entity);
  if (!schema) return { ok: true };
  const parsed = schema.safeParse(stored);
  if (!parsed.success) {
    return { ok: false, reason: `${stored.entity} item does not parse: ${summarise(parsed.error)}` };
  }
  return { ok: true, item: parsed.data };
}

const summarise = (error: z.ZodError) =>
  error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(item)'} ${issue.message}`)
    .join('; ');

/**
 * A batch's identity, from the sequence numbers of its first and last records: the stream delivers the same
 * records again after a failure, so the same batch always has the same id.
 */
export function streamBatchId(records: readonly DynamoDBRecord[]): string {
  return `${records[0]?.dynamodb?.SequenceNumber}-${records[records.length - 1]?.dynamodb?.SequenceNumber}`;
}

/** The record's position in its shard: what a partial batch response names to have the stream retry from there. */
export const sequenceNumberOf = (record: DynamoDBRecord): string | undefined => record.dynamodb?.SequenceNumber;
