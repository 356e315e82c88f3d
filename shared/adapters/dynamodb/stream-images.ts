import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import * as z from 'zod';
import type { CommittedItem, ItemChange } from '../../domain/committed-changes';
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

/**
 * The stored items the statistics and the notifications follow, by their entity, as the loyalty ledger and the
 * failure store write them. Every other item's change decodes to an empty change.
 */
const followedItems = new Map<unknown, z.ZodType<CommittedItem, unknown>>([
  ['sale', storedSaleSchema],
  ['conflict', storedConflictSchema],
  ['failure', storedFailureSchema],
]);

export type DecodedChange = { ok: true; change: ItemChange } | { ok: false; reason: string };

/** One stream record's old and new images, decoded into the domain's items. A followed item that does not parse is refused. */
export function decodeStreamRecord(record: DynamoDBRecord): DecodedChange {
  const old = decodeImage(record.dynamodb?.OldImage);
  if (!old.ok) return { ok: false, reason: `old image: ${old.reason}` };
  const next = decodeImage(record.dynamodb?.NewImage);
  if (!next.ok) return { ok: false, reason: `new image: ${next.reason}` };
  return { ok: true, change: { old: old.item, new: next.item } };
}

type DecodedImage = { ok: true; item?: CommittedItem } | { ok: false; reason: string };

function decodeImage(image: Record<string, unknown> | undefined): DecodedImage {
  if (!image) return { ok: true };
  let stored: Record<string, unknown>;
  try {
    stored = unmarshall(image as Record<string, AttributeValue>);
  } catch (err) {
    return { ok: false, reason: `not a DynamoDB image: ${(err as Error).message}` };
  }
  const schema = followedItems.get(stored.entity);
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
