import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { AdminError } from '../../shared/admin/errors';
import { customerFromClaims } from '../../shared/auth/customer-token';
import { customerSummary, EXPIRY_READ_LIMIT, liveAccount } from '../../shared/customer/account';
import { customerHistory } from '../../shared/customer/history';
import { CUSTOMER_API, serveCustomerRequest } from '../../shared/customer/http';
import { DEFAULT_PROGRAM, type ProgramConfig } from '../../shared/domain/program';
import { CUSTOMER_ROUTES } from '../../shared/topology';
import { CUSTOMER_TOKENS, customerClaims, memoryCustomerApi, putCustomer, putMove, putSale } from '../support/customer-fakes';
import { OPERATOR_CLAIMS } from '../support/lambda-events';

const event = (routeKey: string, claims: Record<string, unknown> | undefined, rawQueryString = ''): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey,
    rawPath: routeKey.split(' ')[1],
    rawQueryString,
    headers: {},
    requestContext: { requestId: 'req-1', authorizer: claims ? { jwt: { claims, scopes: null } } : undefined },
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEventV2;

const refusal = async (promise: Promise<unknown>) => {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AdminError);
  return err as AdminError;
};

describe('who the token names', () => {
  test("an access token of the customers' app names its username as the loyalty id", () => {
    expect(customerFromClaims(customerClaims('alice'), CUSTOMER_TOKENS)).toEqual({ ok: true, userId: 'alice' });
  });

  test.each([
    ["an operator's token (another pool)", { ...OPERATOR_CLAIMS.admin, iss: 'https://cognito-idp.test/operators' }],
    ["a token of the customers' pool for another app client", customerClaims('alice', { client_id: 'console' })],
    ['an ID token', customerClaims('alice', { token_use: 'id' })],
    ['a client-credentials token', { ...customerClaims('x'), sub: 'loyalty-app', username: undefined }],
    ['a client-credentials token naming a username', customerClaims('x', { sub: 'loyalty-app' })],
    ['no username', customerClaims('alice', { username: '' })],
    ['a username with a control character', customerClaims('ali\u0000ce')],
  ])('refuses %s', (_, claims) => {
    expect(customerFromClaims(claims as Record<string, unknown>, CUSTOMER_TOKENS).ok).toBe(false);
  });

  test('the API answers 401 to a token that names no customer, before reading anything', async () => {
    const { table, container } = memoryCustomerApi();
    putCustomer(table, 'alice', { points: 10 });
    for (const claims of [undefined, OPERATOR_CLAIMS.admin, OPERATOR_CLAIMS.script, customerClaims('alice', { token_use: 'id' })]) {
      const err = await refusal(serveCustomerRequest(event('GET /customer/me', claims), container));
      expect(err.status).toBe(401);
    }
    expect(table.queries).toBe(0);
  });
});

describe('GET /customer/me', () => {
  test('balance, lifetime points, the tier and the points the next needs, the punch card, rewards with what each still needs', async () => {
    const { table, container } = memoryCustomerApi();
    putCustomer(table, 'alice', { name: 'Alice', points: 320, lifetimePoints: 620, tier: 'Silver', punchCount: 3, punchCardsCompleted: 1 });
    const me = await customerSummary('alice', container);
    expect(me).toMatchObject({
      userId: 'alice',
      name: 'Alice',
      points: 320,
      lifetimePoints: 620,
      pendingPoints: 0,
      tier: { name: 'Silver', next: { name: 'Gold', minLifetimePoints: 2_000, pointsNeeded: 1_380 } },
      punchCard: { punches: 3, of: 10, bonusPoints: 50, completed: 1 },
      expiry: { mode: 'off', nextExpiryAt: null, points: 0 },
      rewards: [
        { id: 'free-vend', points: 300, affordable: true, pointsMissing: 0 },
        { id: 'credit-5', points: 500, affordable: false, pointsMissing: 180 },
      ],
    });
    expect(me).not.toHaveProperty('campaignCards');
  });

  test('the top tier has no next; campaign punch cards are shown when the account has them', async () => {
    const { table, container } = memoryCustomerApi();
    putCustomer(table, 'alice', {
      points: 9_000,
      lifetimePoints: 9_000,
      tier: 'Platinum',
      campaignUsage: { 'coffee-card': { points: 40, days: { '2026-05-01': 40 }, punches: 2, cardsCompleted: 1 }, broken: 'x' },
    });
    const me = await customerSummary('alice', container);
    expect(me.tier).toMatchObject({ name: 'Platinum', next: null });
    expect(me.campaignCards).toEqual([{ campaignId: 'coffee-card', points: 40, punches: 2, cardsCompleted: 1 }]);
  });

  test('an erased customer, or one being erased, is 410; a signed-in customer without an account is 404', async () => {
    const { table, container } = memoryCustomerApi();
    table.put({ PK: 'CUSTOMER#gone', SK: 'PROFILE', entity: 'erased-customer', erasedAt: '2026-01-01T00:00:00Z' });
    putCustomer(table, 'leaving', { erasure: { pseudonym: 'anon-1' } });
    expect((await refusal(liveAccount('gone', container))).status).toBe(410);
    expect((await refusal(liveAccount('leaving', container))).status).toBe(410);
    const missing = await refusal(liveAccount('newcomer', container));
    expect(missing.status).toBe(404);
    expect(missing.message).toContain('no loyalty account');
    expect((await refusal(customerHistory('gone', {}, container))).status).toBe(410);
  });

  test('takes no parameters: a customer id in the query is 400, not another customer', async () => {
    const { table, container } = memoryCustomerApi();
    putCustomer(table, 'alice');
    const err = await refusal(serveCustomerRequest(event('GET /customer/me', customerClaims('alice'), 'userId=bob'), container));
    expect(err).toMatchObject({ status: 400, details: [{ field: 'query.userId', rule: 'is not a parameter of this route' }] });
  });

  describe('expiry', () => {
    const withExpiry = (expiry: ProgramConfig['expiry']): ProgramConfig => ({ ...DEFAULT_PROGRAM, expiry });

    test('by age: the oldest points left of the balance (spent oldest first) expire first, on their day', async () => {
      const { table, container } = memoryCustomerApi({
        program: withExpiry({ mode: 'age', days: 365, noticeDays: 14 }),
        now: '2026-03-01T00:00:00Z',
      });
      putCustomer(table, 'alice', { points: 60 });
      putSale(table, 'alice', 'T1', '2025-06-01T10:00:00.000Z', { points: 50 });
      putSale(table, 'alice', 'T2', '2025-09-01T10:00:00.000Z', { points: 40 });
      putMove(table, 'alice', 'REDEMPTION', '2025-10-01T10:00:00.000Z', 'r1', { entity: 'redemption', points: 30 });
      const { expiry } = await customerSummary('alice', container);
      // 90 earned, 30 spent from the oldest lot: 20 of T1 left, expiring a year after it.
      expect(expiry).toEqual({ mode: 'age', days: 365, nextExpiryAt: '2026-06-01T10:00:00.000Z', points: 20 });
    });

    test('by inactivity: everything goes a period after the last earning', async () => {
      const { table, container } = memoryCustomerApi({ program: withExpiry({ mode: 'inactivity', days: 180, noticeDays: 14 }) });
      putCustomer(table, 'alice', { points: 75 });
      putSale(table, 'alice', 'T1', '2026-01-10T00:00:00.000Z', { points: 35 });
      putSale(table, 'alice', 'T2', '2026-02-10T00:00:00.000Z', { points: 40 });
      const { expiry } = await customerSummary('alice', container);
      expect(expiry).toEqual({ mode: 'inactivity', days: 180, nextExpiryAt: '2026-08-09T00:00:00.000Z', points: 75 });
    });

    test('a balance the history read does not cover is an estimate, read within a bound', async () => {
      const { table, container } = memoryCustomerApi({ program: withExpiry({ mode: 'age', days: 30, noticeDays: 7 }) });
      putCustomer(table, 'alice', { points: 5_000_000 });
      for (let i = 0; i < EXPIRY_READ_LIMIT + 50; i++)
        putSale(table, 'alice', `T${String(i).padStart(5, '0')}`, new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString(), { points: 1 });
      const { expiry } = await customerSummary('alice', container);
      expect(expiry).toMatchObject({ mode: 'age', estimated: true });
      expect(table.queries).toBeLessThanOrEqual(2 * (EXPIRY_READ_LIMIT / 100));
    });
  });
});

describe('GET /customer/me/history', () => {
  test('every movement newest first, each with a reason, sales without hashes, content hash or source', async () => {
    const { table, container } = memoryCustomerApi();
    putCustomer(table, 'alice', { points: 100 });
    putSale(table, 'alice', 'T1', '2026-01-01T10:00:00.000Z', {
      points: 95,
      purchasePoints: 35,
      bonusPoints: 50,
      campaignPoints: 10,
      campaigns: [{ campaignId: 'double', version: 2, points: 10, secret: 'x' }],
    });
    putSale(table, 'alice', 'T2', '2026-01-03T10:00:00.000Z', {
      status: 'reversed',
      reversedAt: '2026-01-04T09:00:00.000Z',
      reversedBy: 'op',
    });
    putMove(table, 'alice', 'ADJUSTMENT', '2026-01-02T10:00:00.000Z', 'k1', {
      entity: 'adjustment',
      points: 15,
      reason: 'Goodwill',
      madeById: 'sub-op',
    });
    putMove(table, 'alice', 'REDEMPTION', '2026-01-05T10:00:00.000Z', 'k2', {
      entity: 'redemption',
      points: 300,
      code: 'K7QM-2XHD',
      status: 'issued',
      rewardId: 'free-vend',
      madeById: 'sub-op',
    });
    putMove(table, 'alice', 'EXPIRY', '2026-01-06T10:00:00.000Z', 'e', { entity: 'expiry', points: 5 });
    putMove(table, 'alice', 'TIER', '2026-01-07T10:00:00.000Z', 't', { entity: 'tier-change', from: 'Gold', to: 'Silver' });
    putMove(table, 'alice', 'SECRET', '2026-01-08T10:00:00.000Z', 's', { entity: 'something-internal', points: 1 });
    const { items, nextCursor } = await customerHistory('alice', {}, container);
    expect(nextCursor).toBeUndefined();
    expect(items.map((m) => m.kind)).toEqual(['tier_change', 'expiry', 'redemption', 'sale', 'adjustment', 'sale']);
    expect(items[0]).toEqual({
      kind: 'tier_change',
      at: '2026-01-07T10:00:00.000Z',
      reason: 'Tier changed',
      points: 0,
      from: 'Gold',
      to: 'Silver',
    });
    expect(items[1]).toMatchObject({ kind: 'expiry', points: -5, reason: 'Points expired' });
    expect(items[2]).toEqual({
      kind: 'redemption',
      at: '2026-01-05T10:00:00.000Z',
      reason: 'Reward redeemed',
      points: -300,
      code: 'K7QM-2XHD',
      status: 'issued',
      rewardId: 'free-vend',
    });
    expect(items[3]).toMatchObject({
      kind: 'sale',
      status: 'reversed',
      reason: 'Purchase refunded',
      reversedAt: '2026-01-04T09:00:00.000Z',
    });
    expect(items[4]).toEqual({ kind: 'adjustment', at: '2026-01-02T10:00:00.000Z', reason: 'Goodwill', points: 15 });
    expect(items[5]).toEqual({
      kind: 'sale',
      at: '2026-01-01T10:00:00.000Z',
      reason: 'Purchase',
      transactionId: 'T1',
      status: 'awarded',
      points: 95,
      purchasePoints: 35,
      bonusPoints: 50,
      campaignPoints: 10,
      campaigns: [{ campaignId: 'double', version: 2, points: 10 }],
      amountCents: 350,
      product: 'Large Coffee',
      machineId: 'VEND-001',
    });
    expect(JSON.stringify(items)).not.toMatch(/hash|source|madeBy|sqs|reversedBy/i);
  });

  test('pages follow each other without a gap or a repeat across both partitions, ties of sort keys included', async () => {
    const { table, container } = memoryCustomerApi();
    putCustomer(table, 'alice');
    const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString();
    for (let i = 0; i < 23; i++) putSale(table, 'alice', `T${i}`, at(i));
    for (let i = 0; i < 17; i++)
      putMove(table, 'alice', 'ADJUSTMENT', at(i * 2), `k${i}`, { entity: 'adjustment', points: 1, reason: `r${i}` });
    // A sale whose sort key equals a movement's: both pages must hold one each.
    putSale(table, 'alice', 'ADJUSTMENT#k3', at(6));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await customerHistory('alice', { limit: '4', ...(cursor ? { cursor } : {}) }, container);
      seen.push(...page.items.map((m) => (m.kind === 'sale' ? `sale:${m.transactionId}` : `${m.kind}:${m.reason}`)));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(23 + 17 + 1);
    expect(new Set(seen).size).toBe(seen.length);
  });

  test('a cursor altered, malformed or of another customer is 400 naming query.cursor', async () => {
    const { table, container } = memoryCustomerApi();
    for (const userId of ['alice', 'bob']) {
      putCustomer(table, userId);
      for (let i = 0; i < 3; i++) putSale(table, userId, `${userId}-T${i}`, `2026-01-0${i + 1}T00:00:00.000Z`);
    }
    const { nextCursor } = await customerHistory('bob', { limit: '1' }, container);
    expect(nextCursor).toBeDefined();
    const [payload, signature] = nextCursor!.split('.') as [string, string];
    const forged = `${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), position: { before: '9', from: 'sales' } })).toString('base64url')}.${signature}`;
    for (const cursor of [nextCursor!, forged, 'not-a-cursor', `${payload}.${'A'.repeat(43)}`]) {
      const err = await refusal(
        serveCustomerRequest(event('GET /customer/me/history', customerClaims('alice'), `cursor=${encodeURIComponent(cursor)}`), container),
      );
      expect(err.status).toBe(400);
      expect(err.message).toBe('invalid cursor');
      expect(err.details).toEqual([{ field: 'query.cursor', rule: expect.any(String) }]);
    }
  });

  test.each([
    ['limit=0', 'query.limit'],
    ['limit=101', 'query.limit'],
    ['limit=ten', 'query.limit'],
    ['limit=1&limit=2', 'query.limit'],
    ['customer=bob', 'query.customer'],
  ])('%s is 400 naming %s', async (query, field) => {
    const { table, container } = memoryCustomerApi();
    putCustomer(table, 'alice');
    const err = await refusal(serveCustomerRequest(event('GET /customer/me/history', customerClaims('alice'), query), container));
    expect(err.status).toBe(400);
    expect(err.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  });
});

describe("the customers' API description", () => {
  const spec = readFileSync(path.join(__dirname, '..', '..', 'docs', 'customer-openapi.yaml'), 'utf8');

  test("the handler implements exactly the topology's customer routes, each documented with its 401, 404 and 410", () => {
    expect(Object.keys(CUSTOMER_API).sort()).toEqual([...CUSTOMER_ROUTES].sort());
    for (const routeKey of CUSTOMER_ROUTES) {
      const [method, route] = routeKey.split(' ') as [string, string];
      const block = spec.split(/\n {2}(?=\/customer)/).find((b) => b.startsWith(`${route}:`));
      expect([routeKey, block?.includes(`${method.toLowerCase()}:`)]).toEqual([routeKey, true]);
      for (const status of ["'401'", "'404'", "'410'"]) expect([routeKey, block?.includes(status)]).toEqual([routeKey, true]);
    }
    expect(spec).toContain("'invalid cursor'");
  });
});

describe('campaigns as the customer sees them', () => {
  test('by name, as the version that applied had it, and a campaign punch card with its size', async () => {
    const { table, container } = memoryCustomerApi();
    const card = (version: number, name: string) => ({
      campaign: {
        id: 'cmp-00000000000000c1',
        version,
        name,
        reward: { kind: 'punch_card' as const, purchases: 7, bonusPoints: 70 },
        when: {},
        stacking: 'additive' as const,
      },
      validFrom: '2026-01-01T00:00:00.000Z',
    });
    container.campaigns = { versions: async () => [card(1, 'Seventh coffee free'), card(2, 'Seventh coffee on us')] };
    putCustomer(table, 'alice', {
      points: 35,
      campaignUsage: { 'cmp-00000000000000c1': { points: 0, days: {}, punches: 3, cardsCompleted: 1 } },
    });
    putSale(table, 'alice', 'T-C', '2026-05-01T08:00:00.000Z', {
      points: 35,
      campaigns: [{ campaignId: 'cmp-00000000000000c1', version: 1, points: 0, punch: { of: 7, completed: false } }],
    });
    const summary = await customerSummary('alice', container);
    expect(summary.campaignCards).toEqual([
      expect.objectContaining({ campaignId: 'cmp-00000000000000c1', name: 'Seventh coffee on us', of: 7, punches: 3 }),
    ]);
    const history = await customerHistory('alice', {}, container);
    expect(history.items[0]).toMatchObject({
      campaigns: [{ campaignId: 'cmp-00000000000000c1', name: 'Seventh coffee free', version: 1 }],
    });
  });
});
