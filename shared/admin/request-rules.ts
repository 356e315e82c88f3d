import * as z from 'zod';
import { addDays, daysIn } from './days';
import { invalidRequest } from './errors';

/** The rules of what a request may hold: the schemas of paths, queries and bodies, and how a broken one is answered. */

/** No lone surrogate: text that encodes to UTF-8 as it is (a lone surrogate would be stored as U+FFFD). */
export const isWellFormed = (text: string) => !/\p{Cs}/u.test(text);

/** The longest date range a listing or the stats may cover, in days. */
export const MAX_RANGE_DAYS = 366;

const isRealDay = (value: string) => {
  const time = Date.parse(`${value}T00:00:00Z`);
  return value >= '0001-01-01' && Number.isFinite(time) && new Date(time).toISOString().slice(0, 10) === value;
};
export const isoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be a date as YYYY-MM-DD', abort: true })
  .refine(isRealDay, 'must be a real calendar date');
export const limit = z
  .string()
  .regex(/^\d{1,9}$/, { error: 'must be a whole number', abort: true })
  .transform(Number)
  .pipe(z.number().min(1, 'must be at least 1').max(100, 'must be at most 100'))
  .default(25);
/** Ids from paths and queries: bounded, and text DynamoDB stores as sent (no lone surrogates). */
export const id = z
  .string({ error: 'is required and must be a string' })
  .min(1, 'must not be empty')
  .max(128, { error: 'must be at most 128 characters', abort: true })
  .refine((v) => isWellFormed(v), 'must be well-formed Unicode text');
export const customerId = id.refine((v) => !/\p{Cc}/u.test(v), 'must not contain control characters');
export const cursor = z.string().optional();
/** Free text a client sends: bounded and well-formed. */
export const text = (max: number) =>
  z
    .string({ error: 'is required and must be a string' })
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((v) => isWellFormed(v), 'must be well-formed Unicode text');

export const listQuery = z.object({ from: isoDay.optional(), to: isoDay.optional(), limit, cursor });
export const failureId = z.string().regex(/^[0-9a-f]{32}$/, 'must be a failure id (32 hex characters)');
export const cardId = z.string().regex(/^[0-9a-f]{16}$/, 'must be a card id (16 hex characters)');

export const profileBody = z.object({
  name: text(200).optional(),
  email: z.email('must be an email address').max(254, 'must be at most 254 characters').optional(),
  pushEndpoint: text(2048).optional(),
  marketingConsent: z.boolean({ error: 'must be true or false' }).optional(),
});

export const cardBody = z.object({
  cardNumber: z.string({ error: 'is required and must be a string' }).max(64, 'must be at most 64 characters'),
});

/** A client's key that makes a change happen once, however often it is sent. */
export const idempotencyKey = z
  .string({ error: 'is required and must be a string' })
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1 to 128 letters, digits or ._:-');

export const adjustmentBody = z.object({
  points: z
    .number({ error: 'is required and must be a number' })
    .int('must be a whole number')
    .refine((n) => n !== 0, 'must not be 0')
    .refine((n) => Math.abs(n) <= 1_000_000, 'must be at most 1000000 either way'),
  reason: text(500),
  idempotencyKey,
});

export const redemptionBody = z.object({
  // The shape of the program's reward ids; whether one is in the catalogue is the use case's to say.
  rewardId: z
    .string({ error: 'is required and must be a string' })
    .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be a reward id: lower-case letters, digits and dashes (at most 40)'),
  idempotencyKey,
});

export const redemptionReversalBody = z.object({ reason: text(500) });

/**
 * The day range a listing covers: the given one, or the last `defaultDays` days up to `to`; at most
 * MAX_RANGE_DAYS, counted arithmetically before any day is visited.
 */
export function dayRange(query: { from?: string; to?: string }, defaultDays = 30, today = new Date().toISOString().slice(0, 10)) {
  const to = query.to ?? today;
  const earliest = '0001-01-01';
  const from = query.from ?? (daysIn({ from: earliest, to }) < defaultDays ? earliest : addDays(to, -(defaultDays - 1)));
  // Only a given `from` can be after `to`; a range too long is named by the parameter that made it so.
  if (from > to)
    throw invalidRequest([
      { field: 'query.from', rule: query.to !== undefined ? 'must not be after query.to' : `must not be after today (${to})` },
    ]);
  const field = query.from !== undefined ? 'query.from' : 'query.to';
  if (daysIn({ from, to }) > MAX_RANGE_DAYS)
    throw invalidRequest([{ field, rule: `the range from ${from} to ${to} must cover at most ${MAX_RANGE_DAYS} days` }]);
  return { from, to };
}

/** The value as the schema reads it, or a 400 naming each broken rule by its field (`body.points`, `query.from`). */
export function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'path'): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw invalidRequest(result.error.issues.map((i) => ({ field: [where, ...i.path.map(String)].join('.'), rule: i.message })));
}

/** A route's JSON body, or an empty object when none was sent (so a required field is reported by name). */
export const bodyOrEmpty = (body: unknown) => (body === undefined ? {} : body);
