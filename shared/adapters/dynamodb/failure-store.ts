import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { maskCardNumbers, maskCardNumbersInText } from '../../domain/card-number';
import type { FieldError } from '../../domain/moma-record';
import { expiryOf } from '../../domain/retention';
import { toWellFormed } from '../../domain/sale';
import { classifyError, describeError, TransientIngestError } from '../../ingest/errors';
import type { FailureReport, FailureStore } from '../../ingest/ports';
import { indexKeys, keys, TTL_ATTRIBUTE } from './table-keys';
import { buildUpdate } from './update-expression';

export const failureIdFor = (sourceId: string) => createHash('sha256').update(sourceId).digest('hex').slice(0, 32);

/**
 * Bounds of what a failure item keeps of its input, in characters (at most 3 UTF-8 bytes each for the BMP):
 * the whole item stays far below DynamoDB's 400 KB, whatever the input.
 */
export const FAILURE_LIMITS = {
  raw: 4_000,
  reason: 1_000,
  transactionId: 128,
  source: 512,
  sourceId: 1_024,
  errors: 20,
  errorField: 64,
  errorRule: 300,
  retryRecord: 2_000,
} as const;

/** A card number that starts before the cut is at most this many characters long (19 digits, two separators per gap). */
const CARD_SPAN = 64;

/**
 * Input text as it may be stored: card numbers masked, at most `limit` characters, well-formed UTF-16 (a cut or a
 * hostile input can leave a lone surrogate, which DynamoDB would refuse). Masks a window a little longer than the
 * limit, so a card number straddling the cut is masked before it is cut.
 */
export function boundText(text: string, limit: number): string {
  const masked = maskCardNumbersInText(text.length > limit + CARD_SPAN ? text.slice(0, limit + CARD_SPAN) : text);
  const cut = masked.length > limit ? masked.slice(0, limit) : masked;
  return toWellFormed(cut);
}

function serialize(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(maskCardNumbers(value)) ?? String(value);
  } catch {
    return '[unserializable]';
  }
}

function boundedErrors(errors: FieldError[] | undefined): FieldError[] {
  return (errors ?? []).slice(0, FAILURE_LIMITS.errors).map((e) => ({
    field: boundText(String(e.field), FAILURE_LIMITS.errorField),
    rule: boundText(String(e.rule), FAILURE_LIMITS.errorRule),
  }));
}

/**
 * A retry copy is only worth keeping whole: a truncated record would be retried as a different sale. One that does
 * not fit is dropped, and the failure is then not retryable (Moma must send the sale again).
 */
function boundedRetry(retry: FailureReport['retry']): string | null {
  if (!retry) return null;
  // The card's keyed hashes are kept as they are (hex, never a number); the record's strings are masked.
  const text = JSON.stringify({ record: maskCardNumbers(retry.record), card: retry.card });
  return text.length <= FAILURE_LIMITS.retryRecord ? text : null;
}

/** The attributes a failure item stores: every string from input masked and bounded, with the original lengths. */
export function failureAttributes(failure: FailureReport) {
  const raw = failure.raw === undefined ? undefined : serialize(failure.raw);
  const errorCount = failure.errors?.length ?? 0;
  return {
    sourceId: boundText(failure.sourceId, FAILURE_LIMITS.sourceId),
    source: boundText(failure.source, FAILURE_LIMITS.source),
    reason: boundText(failure.reason, FAILURE_LIMITS.reason),
    reasonLength: failure.reason.length,
    errors: boundedErrors(failure.errors),
    errorCount,
    raw: raw === undefined ? null : boundText(raw, FAILURE_LIMITS.raw),
    rawLength: raw === undefined ? null : raw.length,
    rawTruncated: raw !== undefined && raw.length > FAILURE_LIMITS.raw,
    transactionId: failure.transactionId === undefined ? null : boundText(failure.transactionId, FAILURE_LIMITS.transactionId),
    transactionIdLength: failure.transactionId === undefined ? null : failure.transactionId.length,
    retryRecord: boundedRetry(failure.retry),
  };
}

/** What is left when even the bounded failure cannot be stored: where, and why, nothing copied from the input. */
export function minimalFailureAttributes(failure: FailureReport, refusal: unknown) {
  return {
    sourceId: boundText(failure.sourceId, FAILURE_LIMITS.sourceId),
    source: boundText(failure.source, FAILURE_LIMITS.source),
    reason: boundText(
      `${failure.reason.slice(0, 300)} (the full failure could not be stored: ${describeError(refusal)})`,
      FAILURE_LIMITS.reason,
    ),
    reasonLength: failure.reason.length,
    errors: [],
    errorCount: failure.errors?.length ?? 0,
    raw: null,
    rawLength: null,
    rawTruncated: false,
    transactionId: null,
    transactionIdLength: null,
    retryRecord: null,
  };
}

/** Records that could not be processed, one item per failing input; a redelivery counts another occurrence. */
export class DynamoDbFailureStore implements FailureStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Stores the failure, bounded and masked. If DynamoDB refuses even that (a permanent error), a minimal failure
   * without any copy of the input is stored instead; if that is refused too, the caller gets a transient error so
   * the input is redelivered (and eventually parked in a DLQ) rather than silently dropped.
   */
  async recordFailure(failure: FailureReport): Promise<void> {
    const failureId = failureIdFor(failure.sourceId);
    try {
      await this.write(failureId, failureAttributes(failure));
    } catch (err) {
      if (classifyError(err) === 'transient') throw err;
      try {
        await this.write(failureId, minimalFailureAttributes(failure, err));
      } catch (second) {
        if (classifyError(second) === 'transient') throw second;
        throw new TransientIngestError(`failure ${failureId} could not be stored: ${describeError(second)}`, second);
      }
    }
  }

  private async write(failureId: string, attributes: ReturnType<typeof failureAttributes>) {
    const now = new Date().toISOString();
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.failure(failureId),
        ...buildUpdate({
          set: { entity: 'failure', failureId, ...attributes, lastSeenAt: now, [TTL_ATTRIBUTE]: expiryOf('failures', now) },
          setIfMissing: { status: 'open', firstSeenAt: now, GSI3PK: indexKeys.byDay('FAILURE', now), GSI3SK: `${now}#${failureId}` },
          add: { occurrences: 1 },
        }),
      }),
    );
  }
}
