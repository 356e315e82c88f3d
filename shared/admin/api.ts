import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod';
import { daysBackwards, daysIn, InvalidCursorError } from '../adapters/dynamodb/admin-queries';
import { TOTAL } from '../adapters/dynamodb/stats-store';
import { keys } from '../adapters/dynamodb/table-keys';
import { containsCardNumber, maskCardNumber, maskCardNumbersInText } from '../domain/card-number';
import { ALL_TIME } from '../domain/stats';
import { assignUnmatchedSale } from '../ingest/assign-unmatched';
import { isTransient, TransientIngestError } from '../ingest/errors';
import { SYNC_SOURCES, type SyncSource } from '../topology';
import type { AdminContainer } from '../wiring/admin';
import { testConnection } from './connection-test';
import { importCsv } from './csv-import';
import { adjustPoints, getCustomer, linkCard, removeCard } from './customers';
import { AdminError, busy, type FieldError, invalidRequest, notFound } from './errors';
import { retryFailure } from './failures';
import { reverseSale } from './sales';
import { setSync, startSync, syncStates } from './sync';

export interface ApiRequest {
  path: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  rawBody: string;
}

export interface ApiResult {
  status: number;
  body: unknown;
}

export type Route = (request: ApiRequest, app: AdminContainer) => Promise<ApiResult>;

const ok = (body: unknown, status = 200): ApiResult => ({ status, body });

/** No lone surrogate: text that encodes to UTF-8 as it is (a lone surrogate would be stored as U+FFFD). */
const isWellFormed = (text: string) => !/\p{Cs}/u.test(text);

/** The longest date range a listing or the stats may cover, in days. */
export const MAX_RANGE_DAYS = 366;

const isRealDay = (value: string) => {
  const time = Date.parse(`${value}T00:00:00Z`);
  return value >= '0001-01-01' && Number.isFinite(time) && new Date(time).toISOString().slice(0, 10) === value;
};
const isoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be a date as YYYY-MM-DD', abort: true })
  .refine(isRealDay, 'must be a real calendar date');
const limit = z
  .string()
  .regex(/^\d{1,9}$/, { error: 'must be a whole number', abort: true })
  .transform(Number)
  .pipe(z.number().min(1, 'must be at least 1').max(100, 'must be at most 100'))
  .default(25);
/** Ids from paths and queries: bounded, and text DynamoDB stores as sent (no lone surrogates). */
const id = z
  .string({ error: 'is required and must be a string' })
  .min(1, 'must not be empty')
  .max(128, { error: 'must be at most 128 characters', abort: true })
  .refine((v) => isWellFormed(v), 'must be well-formed Unicode text');
const customerId = id.refine((v) => !/\p{Cc}/u.test(v), 'must not contain control characters');
const cursor = z.string().optional();
/** Free text a client sends: bounded and well-formed. */
const text = (max: number) =>
  z
    .string({ error: 'is required and must be a string' })
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((v) => isWellFormed(v), 'must be well-formed Unicode text');

const listQuery = z.object({ from: isoDay.optional(), to: isoDay.optional(), limit, cursor });

const addDays = (day: string, days: number) => new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

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

function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'path'): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw invalidRequest(result.error.issues.map((i) => ({ field: [where, ...i.path.map(String)].join('.'), rule: i.message })));
}

const requireObjectBody = (body: unknown) => (body === undefined ? {} : body);

export const ROUTES: Record<string, Route> = {
  'POST /admin/sync/start': async (_req, app) => ok(await startSync(app.sync, app.fileRequeue)),
  'POST /admin/sync/stop': async (_req, app) => ok(await setSync(app.sync, false)),

  'GET /admin/sync/status': async (_req, app) => {
    const sources = Object.keys(SYNC_SOURCES) as SyncSource[];
    const [sync, activity, t, queues] = await Promise.all([
      syncStates(app.sync),
      app.activity.readAll(sources),
      app.stats.totals(ALL_TIME),
      Promise.all(Object.entries(app.queues).map(([name, url]) => app.queueMonitor.depth(name, url))),
    ]);
    return ok({
      state: sync.state,
      sources: Object.fromEntries(
        sources.map((s) => [s, { state: sync.sources[s], lastProcessedAt: activity[s]?.lastProcessedAt ?? null }]),
      ),
      counts: {
        transactionsAwarded: t.awarded ?? 0,
        pointsAwarded: t.points ?? 0,
        reversed: t.reversed ?? 0,
        duplicates: Object.values(activity).reduce((sum, a) => sum + a.duplicates, 0),
        conflicts: t.conflicts ?? 0,
        failures: t.failures ?? 0,
        failuresResolved: t.failuresResolved ?? 0,
        unmatched: t.unmatched ?? 0,
      },
      queues: queues.map((q) => ({
        name: q.name,
        waiting: q.waiting,
        inFlight: q.inFlight,
        oldestMessageAgeSeconds: q.oldestMessageAgeSeconds,
      })),
    });
  },

  'POST /admin/sync/test': async (_req, app) => ok(await testConnection(app.checks)),

  'GET /admin/transactions': async (req, app) => {
    const q = parse(listQuery.extend({ customer: id.optional(), machine: id.optional() }), req.query, 'query');
    const range = dayRange(q);
    const page = q.customer
      ? await app.queries.customerSales(q.customer, q.limit, q.cursor, range)
      : await app.queries.byDay('SALE', range, q.limit, q.cursor, { machineId: q.machine });
    return ok({ ...page, items: page.items.map(redactSale) });
  },

  'GET /admin/transactions/{transactionId}': async (req, app) => {
    const { transactionId } = parse(z.object({ transactionId: id }), req.path, 'path');
    const sale = await app.customers.getSale(transactionId);
    if (!sale) throw notFound(`transaction ${transactionId}`);
    const conflicts = await app.queries.underPartition(keys.sale(transactionId).PK, 'CONFLICT#');
    return ok({
      ...redactSale(sale),
      conflicts: conflicts.map((c) => ({ ...c, incoming: c.incoming && redactSale(c.incoming as object) })),
    });
  },

  'POST /admin/transactions/{transactionId}/reverse': async (req, app) => {
    const { transactionId } = parse(z.object({ transactionId: id }), req.path, 'path');
    const { reason } = parse(z.object({ reason: text(500).default('refund') }), requireObjectBody(req.body), 'body');
    const result = await reverseSale(transactionId, reason, { ...app.deps, customers: app.customers, changes: app.changes });
    return ok({ ...result, sale: result.sale && redactSale(result.sale) });
  },

  'GET /admin/failures': async (req, app) => {
    const q = parse(listQuery, req.query, 'query');
    const page = await app.queries.byDay('FAILURE', dayRange(q), q.limit, q.cursor);
    return ok({ ...page, items: page.items.map(({ retryRecord, ...failure }) => ({ ...failure, retryable: Boolean(retryRecord) })) });
  },

  'POST /admin/failures/{failureId}/retry': async (req, app) => {
    const { failureId } = parse(
      z.object({ failureId: z.string().regex(/^[0-9a-f]{32}$/, 'must be a failure id (32 hex characters)') }),
      req.path,
      'path',
    );
    return ok(await retryFailure(failureId, { ...app.deps, db: app.db, tableName: app.tableName }));
  },

  'POST /admin/dlq/redrive': async (req, app) => {
    const { queue } = parse(z.object({ queue: z.enum(['moma', 'fileEvents', 'all']).default('all') }), requireObjectBody(req.body), 'body');
    const dlqs =
      queue === 'all'
        ? { moma: app.queues.momaDlq, fileEvents: app.queues.fileEventsDlq }
        : { [queue]: queue === 'moma' ? app.queues.momaDlq : app.queues.fileEventsDlq };
    const tasks = await Promise.all(
      Object.entries(dlqs).map(async ([name, url]) => {
        const depth = await app.queueMonitor.depth(name, url);
        return { queue: name, messages: depth.waiting, taskHandle: depth.waiting > 0 ? await app.queueMonitor.redrive(url) : null };
      }),
    );
    return ok({ redrives: tasks }, 202);
  },

  'GET /admin/unmatched': async (req, app) => {
    const q = parse(listQuery, req.query, 'query');
    const page = await app.queries.byDay('UNMATCHED', dayRange(q, 90), q.limit, q.cursor);
    return ok({ ...page, items: page.items.map(redactSale) });
  },

  'POST /admin/unmatched/{transactionId}/assign': async (req, app) => {
    const { transactionId } = parse(z.object({ transactionId: id }), req.path, 'path');
    const { userId: assignee } = parse(z.object({ userId: customerId }), requireObjectBody(req.body), 'body');
    const result = await assignUnmatchedSale(transactionId, assignee, { ...app.deps, sales: app.customers });
    switch (result.kind) {
      case 'awarded':
        return ok({ transactionId, userId: assignee, assigned: true });
      case 'already_assigned':
        if (result.userId === assignee) return ok({ transactionId, userId: assignee, assigned: false, alreadyAssigned: true });
        throw new AdminError(409, `transaction ${transactionId} is already awarded to another customer`);
      case 'not_found':
        throw notFound(`transaction ${transactionId}`);
      case 'customer_not_found':
        throw notFound(`customer ${assignee}`);
      case 'not_unmatched':
        throw new AdminError(409, `transaction ${transactionId} is ${result.status}, not unmatched`);
    }
  },

  'PUT /admin/users/{userId}': async (req, app) => {
    const { userId } = parse(z.object({ userId: customerId }), req.path, 'path');
    const profile = parse(
      z.object({
        name: text(200).optional(),
        email: z.email('must be an email address').max(254, 'must be at most 254 characters').optional(),
        pushEndpoint: text(2048).optional(),
      }),
      requireObjectBody(req.body),
      'body',
    );
    const existed = Boolean(await app.customers.getCustomer(userId));
    await app.customers.upsertCustomer({ userId, ...profile });
    return ok(await getCustomer(userId, { customers: app.customers, program: app.deps.program }), existed ? 200 : 201);
  },

  'GET /admin/users/{userId}': async (req, app) => {
    const { userId } = parse(z.object({ userId: customerId }), req.path, 'path');
    return ok(await getCustomer(userId, { customers: app.customers, program: app.deps.program }));
  },

  'POST /admin/users/{userId}/cards': async (req, app) => {
    const { userId } = parse(z.object({ userId: customerId }), req.path, 'path');
    const { cardNumber } = parse(
      z.object({ cardNumber: z.string({ error: 'is required and must be a string' }).max(64, 'must be at most 64 characters') }),
      requireObjectBody(req.body),
      'body',
    );
    return ok(
      await linkCard(userId, cardNumber, { ...app.deps, customers: app.customers, queries: app.queries, changes: app.changes }),
      201,
    );
  },

  'DELETE /admin/users/{userId}/cards/{cardId}': async (req, app) => {
    const { userId, cardId } = parse(
      z.object({ userId: customerId, cardId: z.string().regex(/^[0-9a-f]{16}$/, 'must be a card id (16 hex characters)') }),
      req.path,
      'path',
    );
    await removeCard(userId, cardId, { customers: app.customers });
    return ok({ userId, cardId, removed: true });
  },

  'GET /admin/users/{userId}/transactions': async (req, app) => {
    const { userId } = parse(z.object({ userId: customerId }), req.path, 'path');
    const q = parse(z.object({ limit, cursor }), req.query, 'query');
    if (!(await app.customers.getCustomer(userId))) throw notFound(`customer ${userId}`);
    const page = await app.queries.customerSales(userId, q.limit, q.cursor);
    return ok({ ...page, items: page.items.map(redactSale) });
  },

  'POST /admin/users/{userId}/adjustments': async (req, app) => {
    const { userId } = parse(z.object({ userId: customerId }), req.path, 'path');
    const body = parse(
      z.object({
        points: z
          .number({ error: 'is required and must be a number' })
          .int('must be a whole number')
          .refine((n) => n !== 0, 'must not be 0')
          .refine((n) => Math.abs(n) <= 1_000_000, 'must be at most 1000000 either way'),
        reason: text(500),
        idempotencyKey: z
          .string({ error: 'is required and must be a string' })
          .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1 to 128 letters, digits or ._:-'),
      }),
      requireObjectBody(req.body),
      'body',
    );
    const result = await adjustPoints(userId, body, { customers: app.customers, changes: app.changes });
    return ok(result, result.applied ? 201 : 200);
  },

  'POST /admin/import': async (req, app) => ok(await importCsv(req.rawBody, app.deps)),

  'GET /admin/notifications': async (req, app) => {
    const q = parse(listQuery, req.query, 'query');
    return ok(await app.queries.byDay('NOTIFICATION', dayRange(q, 30), q.limit, q.cursor));
  },

  'GET /admin/stats': async (req, app) => {
    const q = parse(z.object({ from: isoDay.optional(), to: isoDay.optional() }), req.query, 'query');
    const range = dayRange(q, 7);
    const days = await Promise.all(
      daysBackwards(range)
        .reverse()
        .map(async (day) => ({ day, items: await app.stats.figures(day) })),
    );
    const byMachine = new Map<string, { sales: number; amountCents: number; points: number }>();
    const byProduct = new Map<string, { sales: number; amountCents: number; points: number }>();
    const add = (map: typeof byMachine, key: string, item: Record<string, unknown>) => {
      const entry = map.get(key) ?? { sales: 0, amountCents: 0, points: 0 };
      entry.sales += Number(item.sales ?? 0);
      entry.amountCents += Number(item.amountCents ?? 0);
      entry.points += Number(item.points ?? 0);
      map.set(key, entry);
    };
    const byDay = days.map(({ day, items }) => {
      const figures = items.filter((i) => i.SK !== TOTAL);
      for (const item of figures) {
        add(byMachine, String(item.machineId), item);
        add(byProduct, String(item.product), item);
      }
      return {
        day,
        sales: figures.reduce((s, i) => s + Number(i.sales ?? 0), 0),
        amountCents: figures.reduce((s, i) => s + Number(i.amountCents ?? 0), 0),
        points: figures.reduce((s, i) => s + Number(i.points ?? 0), 0),
      };
    });
    const list = (map: typeof byMachine, name: string) =>
      [...map.entries()].map(([key, v]) => ({ [name]: key, ...v })).sort((a, b) => b.sales - a.sales);
    return ok({ from: range.from, to: range.to, byDay, byMachine: list(byMachine, 'machineId'), byProduct: list(byProduct, 'product') });
  },
};

/** What the admin API shows of a sale: its card only by last four, never the keyed hashes. */
function redactSale(sale: object) {
  const { cardFullHash: _full, cardLast4Hash: _last4, contentHash: _content, ...shown } = sale as Record<string, unknown>;
  return shown;
}

/** The body each route takes; a route not listed takes none (a body sent to it is ignored). */
const BODIES: Partial<Record<string, { type: 'application/json' | 'text/csv'; required: boolean }>> = {
  'POST /admin/transactions/{transactionId}/reverse': { type: 'application/json', required: false },
  'POST /admin/dlq/redrive': { type: 'application/json', required: false },
  'POST /admin/unmatched/{transactionId}/assign': { type: 'application/json', required: true },
  'PUT /admin/users/{userId}': { type: 'application/json', required: false },
  'POST /admin/users/{userId}/cards': { type: 'application/json', required: true },
  'POST /admin/users/{userId}/adjustments': { type: 'application/json', required: true },
  'POST /admin/import': { type: 'text/csv', required: true },
};

/** JSON bodies nest at most this deep; none of the routes needs more than two levels. */
export const MAX_JSON_DEPTH = 32;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A field name built from client input, kept short and masked (it is echoed in the error). */
const fieldName = (name: string) => maskCardNumbersInText(name.length > 64 ? `${name.slice(0, 64)}…` : name);

function header(headers: Record<string, string | undefined> | undefined, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {})) if (key.toLowerCase() === name) return value;
  return undefined;
}

/** The media type of a Content-Type header, when it is `type/subtype` with at most a UTF-8 charset parameter. */
export function mediaType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const [type, ...params] = contentType.split(';').map((p) => p.trim().toLowerCase());
  if (!type || !/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type)) return undefined;
  for (const param of params) {
    const [name, value] = param.split('=').map((p) => p.trim().replace(/^"(.*)"$/, '$1'));
    if (name === 'charset' && value !== 'utf-8' && value !== 'utf8') return undefined;
  }
  return type;
}

function decodeBody(event: APIGatewayProxyEventV2): string {
  if (!event.body) return '';
  if (!event.isBase64Encoded) {
    if (!isWellFormed(event.body)) throw invalidRequest([{ field: 'body', rule: 'must be UTF-8 text' }]);
    return event.body;
  }
  try {
    return utf8.decode(Buffer.from(event.body, 'base64'));
  } catch {
    throw invalidRequest([{ field: 'body', rule: 'must be UTF-8 text' }]);
  }
}

/** Rejects what no route accepts in a JSON body: deep nesting, prototype keys, and text DynamoDB cannot store as sent. */
function checkJson(value: unknown, path: string, depth: number): void {
  if (depth > MAX_JSON_DEPTH) throw invalidRequest([{ field: path, rule: `must nest at most ${MAX_JSON_DEPTH} levels deep` }]);
  if (typeof value === 'string') {
    if (!isWellFormed(value)) throw invalidRequest([{ field: path, rule: 'must be well-formed Unicode text' }]);
  } else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) checkJson(item, `${path}.${i}`, depth + 1);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const field = `${path}.${fieldName(key)}`;
      if (FORBIDDEN_KEYS.has(key)) throw invalidRequest([{ field, rule: 'is not an accepted key' }]);
      if (!isWellFormed(key)) throw invalidRequest([{ field: path, rule: 'keys must be well-formed Unicode text' }]);
      checkJson(item, field, depth + 1);
    }
  }
}

/** Query parameters, each at most once: API Gateway would join repeated values with commas, which no rule expects. */
function queryOf(event: APIGatewayProxyEventV2): Record<string, string> {
  const query: Record<string, string> = Object.create(null);
  if (typeof event.rawQueryString === 'string') {
    const errors: FieldError[] = [];
    for (const [key, value] of new URLSearchParams(event.rawQueryString)) {
      if (key in query) errors.push({ field: `query.${fieldName(key)}`, rule: 'must be given at most once' });
      query[key] = value;
    }
    if (errors.length > 0) throw invalidRequest(errors.filter((e, i) => errors.findIndex((o) => o.field === e.field) === i));
    return query;
  }
  for (const [key, value] of Object.entries(event.queryStringParameters ?? {})) if (typeof value === 'string') query[key] = value;
  return query;
}

/**
 * The request as the routes see it, or a 4xx naming what is wrong: the body decoded (base64 included) and
 * checked against the route's content type (415 otherwise), JSON parsed and bounded, query parameters once each.
 */
export function toApiRequest(event: APIGatewayProxyEventV2): ApiRequest {
  const path: Record<string, string> = Object.create(null);
  for (const [key, value] of Object.entries(event.pathParameters ?? {})) if (typeof value === 'string') path[key] = value;
  const query = queryOf(event);
  const expected = BODIES[event.routeKey];
  if (!expected) return { path, query, body: undefined, rawBody: '' };
  if (!event.body) return { path, query, body: undefined, rawBody: '' };
  const contentType = header(event.headers, 'content-type');
  if (mediaType(contentType) !== expected.type) {
    throw new AdminError(415, `unsupported media type: this route takes ${expected.type}`, [
      {
        field: 'header.content-type',
        rule: `must be ${expected.type} (a charset parameter, if any, must be utf-8)${contentType === undefined ? '; none was sent' : ''}`,
      },
    ]);
  }
  const rawBody = decodeBody(event);
  if (expected.type === 'text/csv') return { path, query, body: undefined, rawBody };
  if (rawBody.trim() === '') return { path, query, body: undefined, rawBody };
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw invalidRequest([{ field: 'body', rule: 'must be valid JSON' }]);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw invalidRequest([{ field: 'body', rule: 'must be a JSON object' }]);
  checkJson(body, 'body', 0);
  return { path, query, body, rawBody };
}

/** Errors of the layers below that say something to the client, as the AdminError the client gets; undefined for faults. */
export function asAdminError(err: unknown): AdminError | undefined {
  if (err instanceof AdminError) return err;
  if (err instanceof InvalidCursorError) return new AdminError(400, 'invalid cursor', [{ field: 'query.cursor', rule: err.rule }]);
  if (err instanceof TransientIngestError) return busy(`${err.message}; nothing was changed, try again`);
  // An AWS service that throttled, timed out or failed on its side (the one classifier says so): worth asking again.
  // Other errors stay faults: a bug must not pass for a busy table.
  if (err instanceof Error && '$metadata' in err && isTransient(err))
    return busy(`a service this API depends on is busy or unavailable (${err.name}); try again`);
  return undefined;
}

/** Serves one request of a known route: its result, or an AdminError for anything the client can correct. */
export async function serveAdminRequest(route: Route, event: APIGatewayProxyEventV2, app: AdminContainer): Promise<ApiResult> {
  try {
    return await route(toApiRequest(event), app);
  } catch (err) {
    throw asAdminError(err) ?? err;
  }
}

const HASH_ATTRIBUTE = /hash/i;

/**
 * The last line of defence of every response: no attribute named like a hash leaves, and any card number that
 * reached a value, a key or a number is masked to its last four.
 */
export function responseBody(body: unknown): string {
  const text = JSON.stringify(body, (key, value: unknown) => {
    if (HASH_ATTRIBUTE.test(key)) return undefined;
    if (typeof value === 'string') return maskCardNumbersInText(value);
    if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) >= 1e11 && containsCardNumber(String(value)))
      return maskCardNumber(value);
    return value;
  });
  return maskCardNumbersInText(text ?? 'null');
}
