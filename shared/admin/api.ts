import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod';
import { InvalidCursorError, daysBackwards } from '../adapters/dynamodb/admin-queries';
import { TOTAL } from '../adapters/dynamodb/stats-store';
import { keys } from '../adapters/dynamodb/table-keys';
import { ALL_TIME } from '../domain/stats';
import { assignUnmatchedSale } from '../ingest/assign-unmatched';
import { SYNC_SOURCES, type SyncSource } from '../topology';
import type { AdminContainer } from '../wiring/admin';
import { testConnection } from './connection-test';
import { importCsv } from './csv-import';
import { adjustPoints, getCustomer, linkCard, removeCard } from './customers';
import { AdminError, notFound } from './errors';
import { retryFailure } from './failures';
import { reverseSale } from './sales';
import { setSync, syncStates } from './sync';

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

type Route = (request: ApiRequest, app: AdminContainer) => Promise<ApiResult>;

const ok = (body: unknown, status = 200): ApiResult => ({ status, body });

const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD');
const limit = z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(100, 'must be at most 100').default(25);
const id = z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters');

const listQuery = z.object({ from: isoDay.optional(), to: isoDay.optional(), limit, cursor: z.string().optional() });

/** The day range a listing covers: the given one, or the last 30 days; at most 366 days. */
function dayRange(query: { from?: string; to?: string }, defaultDays = 30) {
  const to = query.to ?? new Date().toISOString().slice(0, 10);
  const from = query.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - (defaultDays - 1) * 86_400_000).toISOString().slice(0, 10);
  if (from > to) throw new AdminError(400, 'invalid request', [{ field: 'from', rule: 'must not be after to' }]);
  if (daysBackwards({ from, to }).length > 366) throw new AdminError(400, 'invalid request', [{ field: 'from', rule: 'the range must be at most 366 days' }]);
  return { from, to };
}

function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'path'): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new AdminError(
    400,
    'invalid request',
    result.error.issues.map((i) => ({ field: [where, ...i.path].join('.'), rule: i.message })),
  );
}

const requireObjectBody = (body: unknown) => (body === undefined ? {} : body);

export const ROUTES: Record<string, Route> = {
  'POST /admin/sync/start': async (_req, app) => ok(await setSync(app.sync, true)),
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
      sources: Object.fromEntries(sources.map((s) => [s, { state: sync.sources[s], lastProcessedAt: activity[s]?.lastProcessedAt ?? null }])),
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
      queues: queues.map((q) => ({ name: q.name, waiting: q.waiting, inFlight: q.inFlight, oldestMessageAgeSeconds: q.oldestMessageAgeSeconds })),
    });
  },

  'POST /admin/sync/test': async (_req, app) => ok(await testConnection(app.checks)),

  'GET /admin/transactions': async (req, app) => {
    const q = parse(listQuery.extend({ customer: id.optional(), machine: id.optional() }), req.query, 'query');
    const range = dayRange(q);
    const page = q.customer ? await app.queries.customerSales(q.customer, q.limit, q.cursor, range) : await app.queries.byDay('SALE', range, q.limit, q.cursor, { machineId: q.machine });
    return ok({ ...page, items: page.items.map(redactSale) });
  },

  'GET /admin/transactions/{transactionId}': async (req, app) => {
    const { transactionId } = parse(z.object({ transactionId: id }), req.path, 'path');
    const sale = await app.customers.getSale(transactionId);
    if (!sale) throw notFound(`transaction ${transactionId}`);
    const conflicts = await app.queries.underPartition(keys.sale(transactionId).PK, 'CONFLICT#');
    return ok({ ...redactSale(sale), conflicts: conflicts.map((c) => ({ ...c, incoming: c.incoming && redactSale(c.incoming as object) })) });
  },

  'POST /admin/transactions/{transactionId}/reverse': async (req, app) => {
    const { transactionId } = parse(z.object({ transactionId: id }), req.path, 'path');
    const { reason } = parse(z.object({ reason: z.string().min(1, 'must not be empty').max(500).default('refund') }), requireObjectBody(req.body), 'body');
    const result = await reverseSale(transactionId, reason, { ...app.deps, customers: app.customers, changes: app.changes });
    return ok({ ...result, sale: result.sale && redactSale(result.sale) });
  },

  'GET /admin/failures': async (req, app) => {
    const q = parse(listQuery, req.query, 'query');
    const page = await app.queries.byDay('FAILURE', dayRange(q), q.limit, q.cursor);
    return ok({ ...page, items: page.items.map(({ retryRecord, ...failure }) => ({ ...failure, retryable: Boolean(retryRecord) })) });
  },

  'POST /admin/failures/{failureId}/retry': async (req, app) => {
    const { failureId } = parse(z.object({ failureId: z.string().regex(/^[0-9a-f]{32}$/, 'must be a failure id (32 hex characters)') }), req.path, 'path');
    return ok(await retryFailure(failureId, { ...app.deps, db: app.db, tableName: app.tableName }));
  },

  'POST /admin/dlq/redrive': async (req, app) => {
    const { queue } = parse(z.object({ queue: z.enum(['moma', 'fileEvents', 'all']).default('all') }), requireObjectBody(req.body), 'body');
    const dlqs = queue === 'all' ? { moma: app.queues.momaDlq, fileEvents: app.queues.fileEventsDlq } : { [queue]: queue === 'moma' ? app.queues.momaDlq : app.queues.fileEventsDlq };
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
    const { userId } = parse(z.object({ userId: id }), requireObjectBody(req.body), 'body');
    const result = await assignUnmatchedSale(transactionId, userId, { ...app.deps, sales: app.customers });
    switch (result.kind) {
      case 'awarded':
        return ok({ transactionId, userId, assigned: true });
      case 'already_assigned':
        if (result.userId === userId) return ok({ transactionId, userId, assigned: false, alreadyAssigned: true });
        throw new AdminError(409, `transaction ${transactionId} is already awarded to another customer`);
      case 'not_found':
        throw notFound(`transaction ${transactionId}`);
      case 'customer_not_found':
        throw notFound(`customer ${userId}`);
      case 'not_unmatched':
        throw new AdminError(409, `transaction ${transactionId} is ${result.status}, not unmatched`);
    }
  },

  'PUT /admin/users/{userId}': async (req, app) => {
    const { userId } = parse(z.object({ userId: id }), req.path, 'path');
    const profile = parse(
      z.object({
        name: z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional(),
        email: z.email('must be an email address').optional(),
        pushEndpoint: z.string().max(2048).optional(),
      }),
      requireObjectBody(req.body),
      'body',
    );
    const existed = Boolean(await app.customers.getCustomer(userId));
    await app.customers.upsertCustomer({ userId, ...profile });
    return ok(await getCustomer(userId, { customers: app.customers, program: app.deps.program }), existed ? 200 : 201);
  },

  'GET /admin/users/{userId}': async (req, app) => {
    const { userId } = parse(z.object({ userId: id }), req.path, 'path');
    return ok(await getCustomer(userId, { customers: app.customers, program: app.deps.program }));
  },

  'POST /admin/users/{userId}/cards': async (req, app) => {
    const { userId } = parse(z.object({ userId: id }), req.path, 'path');
    const { cardNumber } = parse(z.object({ cardNumber: z.string({ error: 'is required and must be a string' }) }), requireObjectBody(req.body), 'body');
    return ok(await linkCard(userId, cardNumber, { ...app.deps, customers: app.customers, queries: app.queries, changes: app.changes }), 201);
  },

  'DELETE /admin/users/{userId}/cards/{cardId}': async (req, app) => {
    const { userId, cardId } = parse(z.object({ userId: id, cardId: z.string().regex(/^[0-9a-f]{16}$/, 'must be a card id (16 hex characters)') }), req.path, 'path');
    await removeCard(userId, cardId, { customers: app.customers });
    return ok({ userId, cardId, removed: true });
  },

  'GET /admin/users/{userId}/transactions': async (req, app) => {
    const { userId } = parse(z.object({ userId: id }), req.path, 'path');
    const q = parse(z.object({ limit, cursor: z.string().optional() }), req.query, 'query');
    if (!(await app.customers.getCustomer(userId))) throw notFound(`customer ${userId}`);
    const page = await app.queries.customerSales(userId, q.limit, q.cursor);
    return ok({ ...page, items: page.items.map(redactSale) });
  },

  'POST /admin/users/{userId}/adjustments': async (req, app) => {
    const { userId } = parse(z.object({ userId: id }), req.path, 'path');
    const body = parse(
      z.object({
        points: z.number({ error: 'is required and must be a number' }).int('must be a whole number').refine((n) => n !== 0, 'must not be 0').refine((n) => Math.abs(n) <= 1_000_000, 'must be at most 1000000 either way'),
        reason: z.string({ error: 'is required and must be a string' }).min(1, 'must not be empty').max(500, 'must be at most 500 characters'),
        idempotencyKey: z.string({ error: 'is required and must be a string' }).regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1 to 128 letters, digits or ._:-'),
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
    const days = await Promise.all(daysBackwards(range).reverse().map(async (day) => ({ day, items: await app.stats.figures(day) })));
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
    const list = (map: typeof byMachine, name: string) => [...map.entries()].map(([key, v]) => ({ [name]: key, ...v })).sort((a, b) => b.sales - a.sales);
    return ok({ from: range.from, to: range.to, byDay, byMachine: list(byMachine, 'machineId'), byProduct: list(byProduct, 'product') });
  },
};

/** What the admin API shows of a sale: its card only by last four, never the keyed hashes. */
function redactSale(sale: object) {
  const { cardFullHash: _full, cardLast4Hash: _last4, contentHash: _content, ...shown } = sale as Record<string, unknown>;
  return shown;
}

export function toApiRequest(event: APIGatewayProxyEventV2): ApiRequest {
  const rawBody = event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : '';
  const contentType = (event.headers?.['content-type'] ?? event.headers?.['Content-Type'] ?? '').toLowerCase();
  let body: unknown;
  if (rawBody && !contentType.startsWith('text/csv')) {
    try {
      body = JSON.parse(rawBody);
    } catch {
      throw new AdminError(400, 'invalid request', [{ field: 'body', rule: 'must be valid JSON' }]);
    }
  }
  return { path: (event.pathParameters ?? {}) as Record<string, string>, query: (event.queryStringParameters ?? {}) as Record<string, string>, body, rawBody };
}

export { InvalidCursorError };
