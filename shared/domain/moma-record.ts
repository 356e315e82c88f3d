import * as z from '../support/zod-mini';
import { CARD_FORMAT_RULE, containsCardNumber, type NormalizedCard, normalizeCardNumber } from './card-number';
import { DEFAULT_PROGRAM } from './program';

/** ISO 8601 date-time with an explicit zone (Z or ±hh:mm). */
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Date.parse rolls 30 February over into March; a sale date must exist on the calendar as written. */
function isRealDateTime(text: string): boolean {
  const [year, month, dayOfMonth, hour, minute] = [
    text.slice(0, 4),
    text.slice(5, 7),
    text.slice(8, 10),
    text.slice(11, 13),
    text.slice(14, 16),
  ].map(Number) as [number, number, number, number, number];
  const calendar = new Date(Date.UTC(year, month - 1, dayOfMonth));
  return (
    calendar.getUTCFullYear() === year &&
    calendar.getUTCMonth() === month - 1 &&
    calendar.getUTCDate() === dayOfMonth &&
    hour < 24 &&
    minute < 60 &&
    !Number.isNaN(Date.parse(text))
  );
}

export function momaRecordSchema(maxAmountCents = DEFAULT_PROGRAM.maxAmountCents) {
  return z.object({
    transactionId: z.string({ error: 'is required and must be a string' }).check(
      z.trim(),
      z.minLength(1, 'must not be empty'),
      z.maxLength(128, 'must be at most 128 characters'),
      // It is stored and shown everywhere; a card number in it would leak. (The length guard keeps the scan cheap.)
      z.refine((id) => id.length > 128 || !containsCardNumber(id), 'must not contain a card number'),
    ),
    date: z
      .string({ error: 'is required and must be a string' })
      .check(
        z.regex(ISO_WITH_ZONE, 'must be an ISO 8601 date-time with a time zone, e.g. 2025-01-01T14:30:00Z'),
        z.refine(isRealDateTime, 'is not a real date'),
      ),
    amount: z
      .number({ error: 'is required and must be a number of cents' })
      .check(
        z.int('must be an integer number of cents'),
        z.positive('must be greater than 0'),
        z.lte(maxAmountCents, `must be at most ${maxAmountCents} cents`),
      ),
    cardNumber: z.pipe(
      z.string({ error: 'is required and must be a string' }),
      z.transform((raw: string, ctx): NormalizedCard => {
        const card = normalizeCardNumber(raw);
        if (!card) {
          // The issue classic zod's ctx.addIssue adds (zod/mini's transforms have no addIssue).
          ctx.issues.push({ code: 'custom', message: CARD_FORMAT_RULE, input: raw });
          return z.NEVER;
        }
        return card;
      }),
    ),
    product: z
      .string({ error: 'is required and must be a string' })
      .check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(256, 'must be at most 256 characters')),
    machineId: z
      .string({ error: 'is required and must be a string' })
      .check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(64, 'must be at most 64 characters')),
  });
}

/** The fields a Moma record has; nothing else of the input is ever read. */
export const MOMA_FIELDS = ['transactionId', 'date', 'amount', 'cardNumber', 'product', 'machineId'] as const;

/**
 * The record's own Moma fields, on an object with no prototype: an inherited value (a `__proto__` key in the input,
 * a polluted prototype) never makes a required field look present.
 */
export function ownMomaFields(input: object): Record<string, unknown> {
  const fields: Record<string, unknown> = Object.create(null);
  for (const name of MOMA_FIELDS) if (Object.hasOwn(input, name)) fields[name] = (input as Record<string, unknown>)[name];
  return fields;
}

export type MomaSale = z.output<ReturnType<typeof momaRecordSchema>>;

export interface FieldError {
  field: string;
  rule: string;
}

export type ValidationResult = { ok: true; sale: MomaSale } | { ok: false; errors: FieldError[] };

const defaultSchema = momaRecordSchema();

export function validateMomaRecord(input: unknown, schema = defaultSchema): ValidationResult {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, errors: [{ field: '(record)', rule: 'must be a JSON object' }] };
  }
  const parsed = schema.safeParse(ownMomaFields(input));
  if (parsed.success) return { ok: true, sale: parsed.data };
  return {
    ok: false,
    errors: parsed.error.issues.map((issue) => ({ field: issue.path.join('.') || '(record)', rule: issue.message })),
  };
}

export function describeErrors(errors: FieldError[]): string {
  return errors.map((e) => `${e.field} ${e.rule}`).join('; ');
}
