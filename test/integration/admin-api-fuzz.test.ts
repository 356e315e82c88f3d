import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { LocalStackClient, waitFor } from '../../local/local-client';
import { HmacCardHasher } from '../../shared/adapters/card-hasher';
import { containsCardNumber, normalizeCardNumber } from '../../shared/domain/card-number';
import { ADMIN_ROUTES } from '../../shared/topology';
import { momaSale } from '../support/moma';

/**
 * Every route of docs/openapi.yaml, sent what a careless or hostile client would send, over real HTTP to the local
 * stack: random path parameters, query strings, bodies, content types and headers. Whatever is sent, the answer is
 * never a 5xx, never carries a stack trace, a card number or a card hash. Ids are this file's own (`fz-`, `FZ-`) so
 * that no other test's customers or sales are touched; sync stop and the DLQ redrive are not fuzzed (they would
 * disturb the other files), sync start only at the end.
 */

let local: LocalStackClient;
let hasher: HmacCardHasher;
const OWNER = 'fz-owner';
/** Requests of the random run; ADMIN_FUZZ_RUNS raises it for a longer search. */
const RUNS = Number(process.env.ADMIN_FUZZ_RUNS ?? 300);
const OWNER_CARD = luhnComplete('6011 0009 9013 942');

beforeAll(async () => {
  local = LocalStackClient.fromEnv();
  hasher = new HmacCardHasher(readFileSync(path.join(process.env.HIVIS_LOCAL_STATE_DIR!, 'card-pepper'), 'utf8').trim());
  await local.admin('PUT', `/admin/users/${OWNER}`, { name: 'Fuzz owner' });
});
afterAll(() => local.destroy());

/** The routes the description documents, as API Gateway route keys. */
function documentedRoutes(): string[] {
  const spec = readFileSync(path.join(__dirname, '..', '..', 'docs', 'openapi.yaml'), 'utf8');
  const routes: string[] = [];
  for (const block of spec.split(/\n {2}(?=\/admin)/).slice(1)) {
    const route = block.slice(0, block.indexOf(':'));
    for (const [, method] of block.matchAll(/\n {4}(get|put|post|delete|patch):/g)) routes.push(`${method!.toUpperCase()} ${route}`);
  }
  return routes;
}

/** Completes 11 to 18 digits (spaces allowed) with the Luhn check digit. */
function luhnComplete(partial: string): string {
  const digits = partial.replace(/\D/g, '');
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return `${partial}${(10 - (sum % 10)) % 10}`;
}

const cardNumber = fc
  .tuple(fc.constantFrom('4', '5', '37', '6011', '35'), fc.stringMatching(/^[0-9]{10,13}$/), fc.constantFrom('', ' ', '-'))
  .map(([prefix, body, sep]) => {
    const full = luhnComplete(`${prefix}${body}`.slice(0, 18));
    return sep ? full.replace(/(\d{4})(?=\d)/g, `$1${sep}`) : full;
  });

/** Strings a client might put anywhere: odd characters, huge lengths, card numbers, hashes, injection attempts. */
const nasty = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: cardNumber },
  { weight: 1, arbitrary: cardNumber.map((c) => `id ${c} end`) },
  { weight: 1, arbitrary: fc.stringMatching(/^[0-9a-f]{64}$/) },
  { weight: 1, arbitrary: fc.integer({ min: 129, max: 20_000 }).map((n) => 'x'.repeat(n)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '..',
      '.',
      '#',
      'a#b',
      'a/b',
      '%',
      '%00',
      '\u0000',
      '\r\n',
      '<script>',
      "' OR 1=1 --",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4j-style lookup string, sent literally as hostile input
      '${jndi:x}',
      '__proto__',
      'constructor',
      '😀'.repeat(40),
      ' ',
      '',
    ),
  },
);

const day = fc.oneof(
  fc.date({ min: new Date('2020-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  fc.constantFrom(
    '2025-02-30',
    '2025-13-01',
    '2023-02-29',
    '0000-01-01',
    '0001-01-01',
    '9999-12-31',
    '2025-1-1',
    'yesterday',
    '20250101',
    '2025-01-01T00:00:00Z',
  ),
  nasty,
);

const queryValue = fc.oneof(
  day,
  nasty,
  fc.integer({ min: -1_000, max: 100_000 }).map(String),
  fc.constantFrom('1e2', '0x10', '1.5', 'NaN', 'Infinity', '25'),
);
const queryKey = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('from', 'to', 'limit', 'cursor', 'customer', 'machine') },
  { weight: 1, arbitrary: fc.constantFrom('limit[]', 'from[0]', '__proto__', 'x', '') },
  { weight: 1, arbitrary: nasty },
);
const queryString = fc.array(fc.tuple(queryKey, queryValue), { maxLength: 6 }).map((pairs) => new URLSearchParams(pairs).toString());

/** A path parameter, percent-encoded so that the target stays a valid URL (malformed targets are the gateway's tests). */
const pathParameter = fc.oneof(
  { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 20 }).map((s) => `fz-${s}`) },
  { weight: 1, arbitrary: fc.stringMatching(/^[0-9a-f]{16}$/) },
  { weight: 1, arbitrary: fc.stringMatching(/^[0-9a-f]{32}$/) },
  { weight: 3, arbitrary: nasty.map((s) => `FZ-${s}`) },
  { weight: 1, arbitrary: fc.constant(OWNER) },
);
const encode = (segment: string) => {
  try {
    return encodeURIComponent(segment);
  } catch {
    return encodeURIComponent(segment.replace(/[\ud800-\udfff]/g, '?'));
  }
};

/** A JSON value with the fields the routes read, of any type, or anything at all. */
const fieldValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), nasty, cardNumber, fc.integer(), fc.double(), fc.constant(null));
const jsonBody = fc.oneof(
  fc
    .record(
      {
        reason: fieldValue,
        userId: fieldValue,
        queue: fc.oneof(fc.constantFrom('nope', 'all'), fieldValue),
        name: fieldValue,
        email: fieldValue,
        pushEndpoint: fieldValue,
        cardNumber: fc.oneof(cardNumber, fieldValue),
        points: fieldValue,
        idempotencyKey: fieldValue,
        rewardId: fc.oneof(fc.constantFrom('free-vend', 'credit-5', '__proto__'), fieldValue),
        // Campaign definitions, never a valid one (a campaign the fuzz made would change every later sale's points).
        reward: fc.oneof(fc.constant({ kind: 'multiplier', factor: 1 }), fc.constant({ kind: 'bonus', points: -5 }), fieldValue),
        when: fc.oneof(fc.constant({ products: ['*'.repeat(80)], hours: { from: 3, to: 3 } }), fieldValue),
        caps: fieldValue,
        stacking: fieldValue,
        expectedVersion: fieldValue,
      },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o)),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.integer({ min: 33, max: 5_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.constantFrom(
    '{"__proto__":{"userId":"fz-x","points":5}}',
    '{"constructor":{"prototype":{}}}',
    '{"points":1e999}',
    '{"reason":"\\ud800"}',
    'NaN',
    '{"a":1,}',
    '{',
    '',
    ' ',
    'null',
    '[]',
    'true',
  ),
  cardNumber.map((c) => `{"reason":"${c}","cardNumber":"${c}","userId":"fz-${c}"}`),
);
const body = fc.oneof(
  { weight: 5, arbitrary: jsonBody },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 10_000, max: 300_000 }).map((n) => JSON.stringify({ reason: 'r'.repeat(n), name: 'n'.repeat(n) })),
  },
  { weight: 1, arbitrary: fc.constant(undefined) },
);
const contentType = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'text/csv',
      'text/plain',
      'application/octet-stream',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=latin1',
      'application/json, text/csv',
      'APPLICATION/JSON',
      'json',
      ';',
      '',
    ),
  },
  { weight: 1, arbitrary: fc.constant(undefined) },
);
const headerName = fc.stringMatching(/^x-[a-z0-9-]{1,20}$/);
const headerValue = fc.oneof(
  fc.stringMatching(/^[\x21-\x7e]{0,60}$/),
  cardNumber,
  fc.integer({ min: 1, max: 1_500 }).map((n) => 'h'.repeat(n)),
);
const extraHeaders = fc.dictionary(headerName, headerValue, { maxKeys: 4 });

// Not fuzzed: the routes that would change the stack under the other tests (a stopped sync, an erased customer whom the
// later cases use). Their refusals of bad input are tested on their own.
const FUZZED_ROUTES = ADMIN_ROUTES.filter(
  (r) => !['POST /admin/sync/stop', 'POST /admin/sync/start', 'POST /admin/dlq/redrive', 'POST /admin/users/{userId}/erase'].includes(r),
);
const request = fc.record({
  routeKey: fc.constantFrom(...FUZZED_ROUTES),
  params: fc.array(pathParameter, { minLength: 2, maxLength: 2 }),
  query: queryString,
  body,
  contentType,
  headers: extraHeaders,
});

interface Sent {
  method: string;
  target: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

type FuzzRequest = typeof request extends fc.Arbitrary<infer T> ? T : never;

function toHttp(r: FuzzRequest): Sent {
  const [method, route] = r.routeKey.split(' ') as [string, string];
  let i = 0;
  const target = route.replace(/\{\w+\}/g, () => encode(r.params[i++] ?? 'fz-x')) + (r.query ? `?${r.query}` : '');
  return {
    method,
    target,
    headers: { ...r.headers, ...(r.contentType !== undefined && r.body !== undefined ? { 'content-type': r.contentType } : {}) },
    body: method === 'GET' || method === 'DELETE' ? undefined : r.body,
  };
}

const STACK_TRACE = /\n\s+at |\bat [\w.<>]+ \(|[\w/\\-]+\.(ts|js):\d+|node_modules|\/work\/|file:\/\//;

async function send(sent: Sent): Promise<{ status: number; text: string }> {
  const response = await fetch(`${local.endpoints.adminApiUrl}${sent.target}`, {
    method: sent.method,
    headers: { authorization: `Bearer ${local.endpoints.adminToken}`, ...sent.headers },
    body: sent.body,
  });
  return { status: response.status, text: await response.text() };
}

/**
 * Every 64-hex string a request of this run sent (as sent and percent-decoded): the audit trail may show an
 * earlier request's id back to an admin, and an id a client sent is its own.
 */
const sentHex = new Set<string>();
const decoded = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};
function rememberSent(sent: Sent) {
  const text = `${sent.target} ${decoded(sent.target)} ${typeof sent.body === 'string' ? sent.body : ''} ${JSON.stringify(sent.headers)}`;
  for (const hex of text.toLowerCase().match(/[0-9a-f]{64}/g) ?? []) sentHex.add(hex);
}

/** What no answer may hold, given what was sent (an echoed 64-hex id the client sent is its own). */
function assertSafe(sent: Sent, answer: { status: number; text: string }, cards: string[]) {
  const context = `${sent.method} ${sent.target.slice(0, 300)} -> ${answer.status} ${answer.text.slice(0, 500)}`;
  if (answer.status >= 500) throw new Error(`5xx: ${context}`);
  if (STACK_TRACE.test(answer.text)) throw new Error(`stack trace or file path: ${context}`);
  if (containsCardNumber(answer.text)) throw new Error(`card number in the answer: ${context}`);
  rememberSent(sent);
  for (const hex of answer.text.toLowerCase().match(/[0-9a-f]{64}/g) ?? [])
    if (!sentHex.has(hex)) throw new Error(`a 64-hex hash in the answer: ${context}`);
  for (const card of cards) {
    const hashes = hasher.hash(normalizeCardNumber(card)!);
    for (const hash of [hashes.fullHash, hashes.lastFourHash])
      if (hash && answer.text.includes(hash)) throw new Error(`a card hash in the answer: ${context}`);
  }
  if (answer.text && answer.status !== 401) JSON.parse(answer.text);
}

const cardsIn = (text: string) => [...text.matchAll(/\d(?:[ -]?\d){11,18}/g)].map((m) => m[0]).filter((c) => containsCardNumber(c));

describe('admin API fuzz', () => {
  test('the fuzzed routes are the routes docs/openapi.yaml documents and the topology declares', () => {
    expect(documentedRoutes().sort()).toEqual([...ADMIN_ROUTES].sort());
  });

  test(
    'no request a client can send gets a 5xx, a stack trace, a card number or a card hash',
    async () => {
      const started = Date.now();
      let sentCount = 0;
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          const sent = toHttp(r);
          const answer = await send(sent);
          sentCount += 1;
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          assertSafe(sent, answer, [OWNER_CARD, ...cardsIn(`${sent.target} ${String(sent.body ?? '')}`)]);
        }),
        { numRuns: RUNS, endOnFailure: true, interruptAfterTimeLimit: RUNS > 300 ? RUNS * 300 : 90_000 },
      );
      console.log(
        `admin fuzz: ${sentCount} requests in ${Date.now() - started} ms; statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
      );
      expect(sentCount).toBeGreaterThan(Math.min(100, RUNS / 2));
      expect([...statuses.keys()].some((s) => s >= 400 && s < 500)).toBe(true);
    },
    Math.max(150_000, RUNS * 400),
  );

  test('every listing refuses tampered, foreign, truncated and malformed cursors with 400 invalid cursor', async () => {
    // Three sales of this file's own customer and machine, so that every kind of listing has a second page.
    const pagerCard = luhnComplete('4000 0566 5566 556');
    await local.addCustomer('fz-pager', pagerCard);
    const today = new Date().toISOString().slice(0, 10);
    for (let i = 1; i <= 3; i++)
      await local.sendMomaMessage(
        momaSale({
          transactionId: `FZ-PAGE-${i}`,
          cardNumber: pagerCard,
          machineId: 'VEND-FZ',
          amount: 100,
          // In the day's first seconds: never newer than a sale made now, whatever the hour.
          date: `${today}T00:00:0${i}Z`,
        }),
      );
    await waitFor(async () => (await local.customer('fz-pager'))?.points === 30, 'the three sales of fz-pager');
    // Pages of one item, so that every listing with two items or more hands out a cursor.
    const cursors: Record<string, string | undefined> = {};
    for (const listing of [
      '/admin/transactions',
      '/admin/failures',
      '/admin/unmatched',
      '/admin/notifications',
      '/admin/transactions?machine=VEND-FZ',
      '/admin/transactions?customer=fz-pager',
      '/admin/users/fz-pager/transactions',
    ]) {
      cursors[listing] = (await local.admin('GET', `${listing}${listing.includes('?') ? '&' : '?'}limit=1`)).body.nextCursor;
    }
    const anyCursor = Object.values(cursors).find(Boolean);
    for (const listing of [
      '/admin/transactions',
      '/admin/transactions?machine=VEND-FZ',
      '/admin/transactions?customer=fz-pager',
      '/admin/users/fz-pager/transactions',
    ])
      expect([listing, cursors[listing]]).toEqual([listing, expect.any(String)]);
    // A cursor opens its own listing's next page.
    expect(
      (await local.admin('GET', `/admin/users/fz-pager/transactions?limit=1&cursor=${cursors['/admin/users/fz-pager/transactions']}`)).body
        .items,
    ).toEqual([expect.objectContaining({ transactionId: 'FZ-PAGE-2' })]);
    const listings = Object.keys(cursors);
    for (const listing of listings) {
      const own = cursors[listing];
      const bad = [
        'garbage!',
        'eyJkYXkiOiIyMDI1LTAxLTAxIn0',
        'a.b',
        '.'.repeat(3),
        'x'.repeat(3_000),
        Buffer.from(JSON.stringify({ PK: 'x', SK: 'y' })).toString('base64url'),
      ];
      if (own)
        bad.push(own.slice(0, -2), own.slice(0, -1) + (own.endsWith('A') ? 'B' : 'A'), (own.startsWith('A') ? 'B' : 'A') + own.slice(1));
      const foreign = Object.entries(cursors).find(([other, c]) => other !== listing && c)?.[1] ?? anyCursor;
      if (foreign) bad.push(foreign);
      for (const cursor of bad) {
        const answer = await local.admin('GET', `${listing}${listing.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}`);
        expect([listing, cursor.slice(0, 40), answer]).toEqual([
          listing,
          cursor.slice(0, 40),
          { status: 400, body: { message: 'invalid cursor', errors: [{ field: 'query.cursor', rule: expect.any(String) }] } },
        ]);
      }
    }
    // A cursor of the failures listing is no cursor of the same listing with another range.
    const failures = cursors['/admin/failures'];
    if (failures)
      expect((await local.admin('GET', `/admin/failures?from=2020-01-01&to=2020-01-31&cursor=${failures}`)).body.message).toBe(
        'invalid cursor',
      );
  });

  test('impossible dates and over-long ranges are 400 naming the parameter, answered at once', async () => {
    for (const listing of ['/admin/transactions', '/admin/failures', '/admin/unmatched', '/admin/notifications', '/admin/stats']) {
      expect((await local.admin('GET', `${listing}?from=2025-02-30`)).body).toEqual({
        message: 'invalid request',
        errors: [{ field: 'query.from', rule: 'must be a real calendar date' }],
      });
      expect((await local.admin('GET', `${listing}?to=2023-02-29`)).body.errors).toEqual([
        { field: 'query.to', rule: 'must be a real calendar date' },
      ]);
      const started = Date.now();
      const long = await local.admin('GET', `${listing}?from=0001-01-01&to=9999-12-31`);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(long).toEqual({
        status: 400,
        body: { message: 'invalid request', errors: [{ field: 'query.from', rule: expect.stringContaining('at most 366 days') }] },
      });
      expect((await local.admin('GET', `${listing}?from=2024-01-01&to=2024-12-31`)).status).toBe(200);
    }
  });

  test("bodies must have their route's content type: 415 otherwise; invalid JSON is 400", async () => {
    const adjust = `/admin/users/${OWNER}/adjustments`;
    const csv = await local.admin('POST', adjust, 'points,reason\n1,x', { contentType: 'text/csv' });
    expect(csv).toEqual({
      status: 415,
      body: {
        message: 'unsupported media type: this route takes application/json',
        errors: [{ field: 'header.content-type', rule: expect.stringContaining('must be application/json') }],
      },
    });
    expect((await local.admin('PUT', `/admin/users/${OWNER}`, '{"name":"x"}', { contentType: 'text/plain' })).status).toBe(415);
    expect((await local.admin('POST', '/admin/import', '{"rows":[]}', { contentType: 'application/json' })).status).toBe(415);
    expect((await local.admin('POST', adjust, '{"points":', { contentType: 'application/json' })).body).toEqual({
      message: 'invalid request',
      errors: [{ field: 'body', rule: 'must be valid JSON' }],
    });
    expect((await local.admin('POST', adjust, '[1,2]', { contentType: 'application/json; charset=utf-8' })).body.errors).toEqual([
      { field: 'body', rule: 'must be a JSON object' },
    ]);
    expect((await local.admin('POST', adjust, '{"__proto__":{"points":5,"reason":"x","idempotencyKey":"fz-proto"}}')).body.errors).toEqual([
      { field: 'body.__proto__', rule: 'is not an accepted key' },
    ]);
    expect(
      (await local.admin('POST', adjust, { points: '5', reason: 7, idempotencyKey: ['k'] })).body.errors
        .map((e: { field: string }) => e.field)
        .sort(),
    ).toEqual(['body.idempotencyKey', 'body.points', 'body.reason']);
    // Bytes that are not UTF-8, sent as an opaque type to a JSON route, and as JSON.
    expect(
      (
        await send({
          method: 'POST',
          target: adjust,
          headers: { 'content-type': 'application/octet-stream' },
          body: Buffer.from([0xff, 0xfe, 0x00]),
        })
      ).status,
    ).toBe(415);
    // An optional body may be empty.
    expect((await local.admin('PUT', `/admin/users/${OWNER}`)).status).toBe(200);
  });

  test('card ids are opaque: nothing of the card hash, the same id when the card is linked again', async () => {
    const linked = await local.admin('POST', `/admin/users/${OWNER}/cards`, { cardNumber: OWNER_CARD });
    expect(linked.status).toBe(201);
    const cardId = linked.body.card.cardId as string;
    const hashes = hasher.hash(normalizeCardNumber(OWNER_CARD)!);
    for (const hash of [hashes.fullHash!, hashes.lastFourHash]) expect(hash.includes(cardId)).toBe(false);
    expect((await local.admin('POST', `/admin/users/${OWNER}/cards`, { cardNumber: OWNER_CARD.replace(/\s/g, '') })).body.card.cardId).toBe(
      cardId,
    );
    const customer = await local.admin('GET', `/admin/users/${OWNER}`);
    expect(customer.body.cards.filter((c: { last4: string }) => c.last4 === OWNER_CARD.slice(-4))).toEqual([
      { cardId, last4: OWNER_CARD.slice(-4), linkedAt: expect.any(String) },
    ]);
    expect(JSON.stringify(customer.body)).not.toMatch(/hash/i);
    expect((await local.admin('DELETE', `/admin/users/${OWNER}/cards/${cardId}`)).body).toEqual({ userId: OWNER, cardId, removed: true });
  });

  test('sync start, fuzzed last, says how many unprocessed files it re-queued', async () => {
    for (const headers of [{}, { 'content-type': 'text/csv' }, { 'x-junk': '4111111111111111' }] as Record<string, string>[]) {
      const sent = { method: 'POST', target: '/admin/sync/start?x=1', headers, body: '\u0000{' };
      const answer = await send(sent);
      assertSafe(sent, answer, []);
      expect(JSON.parse(answer.text)).toMatchObject({ state: 'running', requeuedFiles: expect.any(Number), requeueComplete: true });
    }
  });
});
