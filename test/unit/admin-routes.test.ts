import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { serveAdminRequest } from '../../shared/admin/http';
import { ROUTES } from '../../shared/admin/routes';
import { normalizeCardNumber } from '../../shared/domain/card-number';
import { memoryAdmin } from '../support/admin-fakes';
import { testHasher } from '../support/fakes';
import { authorizedContext } from '../support/lambda-events';

function event(routeKey: string, request: { path?: Record<string, string>; body?: unknown; query?: string } = {}): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey,
    rawPath: '/',
    rawQueryString: request.query ?? '',
    headers: { 'content-type': 'application/json' },
    pathParameters: request.path,
    body: request.body === undefined ? undefined : JSON.stringify(request.body),
    isBase64Encoded: false,
    requestContext: authorizedContext(),
  };
}

async function call(app: ReturnType<typeof memoryAdmin>['app'], routeKey: string, request: Parameters<typeof event>[1] = {}) {
  return serveAdminRequest(ROUTES[routeKey]!, event(routeKey, request), app).catch((err: unknown) => err);
}

describe('the route table over in-memory ports', () => {
  test('a transaction shows its card by last four only, its conflicts too', async () => {
    const { app, sales } = memoryAdmin();
    sales.awarded('S-1', 'pat', { points: 45 });
    sales.conflicts.set('S-1', [{ detectedAt: '2025-01-01', incoming: { transactionId: 'S-1', cardFullHash: 'h', cardLast4: '1111' } }]);
    const result = await call(app, 'GET /admin/transactions/{transactionId}', { path: { transactionId: 'S-1' } });
    expect(result).toMatchObject({
      status: 200,
      body: { transactionId: 'S-1', cardLast4: '1111', conflicts: [{ incoming: { cardLast4: '1111' } }] },
    });
    const body = (result as { body: Record<string, unknown> }).body;
    expect(body).not.toHaveProperty('cardFullHash');
    expect(body).not.toHaveProperty('cardLast4Hash');
    expect(body).not.toHaveProperty('contentHash');
    expect((body.conflicts as Array<{ incoming: object }>)[0]!.incoming).not.toHaveProperty('cardFullHash');
  });

  test('PUT /admin/users/{userId} creates (201), then updates (200) the profile', async () => {
    const { app } = memoryAdmin();
    const put = (name: string) => call(app, 'PUT /admin/users/{userId}', { path: { userId: 'sam' }, body: { name } });
    expect(await put('Sam')).toMatchObject({ status: 201, body: { userId: 'sam', name: 'Sam', points: 0 } });
    expect(await put('Samuel')).toMatchObject({ status: 200, body: { userId: 'sam', name: 'Samuel' } });
  });

  test('a reversal that gives up is a 503 the client can retry', async () => {
    const { app, ledger, sales } = memoryAdmin();
    sales.awarded('S-1', 'pat', { points: 45 });
    ledger.contendOn('pat', 1_000);
    expect(await call(app, 'POST /admin/transactions/{transactionId}/reverse', { path: { transactionId: 'S-1' } })).toMatchObject({
      status: 503,
      retryAfterSeconds: 1,
      message: expect.stringContaining('kept changing'),
    });
  });

  test('a required body that was not sent is reported field by field', async () => {
    const { app } = memoryAdmin();
    expect(await call(app, 'POST /admin/unmatched/{transactionId}/assign', { path: { transactionId: 'U-1' } })).toMatchObject({
      status: 400,
      details: [{ field: 'body.userId', rule: 'is required and must be a string' }],
    });
  });

  test('linking a card credits the recent unmatched sales it now matches', async () => {
    const { app, ledger, queries, directory } = memoryAdmin();
    await app.customers.upsertCustomer({ userId: 'sam' });
    // The card index the directory reads holds the card once it is linked.
    directory.link('sam', '5555 5555 5555 4444');
    const hashes = testHasher.hash(normalizeCardNumber('5555 5555 5555 4444')!);
    const day = new Date().toISOString().slice(0, 10);
    const held = { transactionId: 'U-1', date: `${day}T09:00:00.000Z`, amountCents: 450, product: 'Tea', machineId: 'VEND-1' };
    const record = {
      ...held,
      cardLast4: '4444',
      cardFullHash: hashes.fullHash,
      cardLast4Hash: hashes.lastFourHash,
      contentHash: 'c',
      source: 's',
      receivedAt: held.date,
    };
    ledger.sales.set('U-1', { ...record, status: 'unmatched' });
    queries.byKind.set('unmatched', [{ ...record, day }]);
    const result = await call(app, 'POST /admin/users/{userId}/cards', {
      path: { userId: 'sam' },
      body: { cardNumber: '5555 5555 5555 4444' },
    });
    expect(result).toMatchObject({ status: 201, body: { card: { last4: '4444' }, creditedUnmatchedSales: ['U-1'] } });
    expect(ledger.sales.get('U-1')).toMatchObject({ status: 'awarded', userId: 'sam' });
    expect(ledger.accounts.get('sam')).toMatchObject({ points: 45, purchaseCount: 1 });
  });
});

describe('finding customers and listing conflicts', () => {
  async function withCustomers() {
    const admin = memoryAdmin();
    for (const [userId, card] of [
      ['ana', '4111 1111 1111 1111'],
      ['bo', '5500 0000 0000 1111'],
      ['cy', '3530 1113 3330 0000'],
    ] as const) {
      await admin.customers.upsertCustomer({ userId, name: userId.toUpperCase() });
      await admin.customers.linkCard(userId, testHasher.hash(normalizeCardNumber(card)!));
      admin.directory.link(userId, card);
    }
    return admin;
  }

  test('by the last four of a card: every customer holding one, by id, with cards by last four only', async () => {
    const { app } = await withCustomers();
    const result = await call(app, 'GET /admin/users', { query: 'cardLast4=1111' });
    // pat, the fakes' own customer, holds a card ending 1111 too.
    expect(result).toMatchObject({ status: 200, body: { items: [{ userId: 'ana', name: 'ANA' }, { userId: 'bo' }, { userId: 'pat' }] } });
    const found = (result as { body: { items: { cards: unknown[] }[] } }).body.items;
    expect(found).toHaveLength(3);
    expect(found[0]!.cards).toEqual([{ cardId: expect.any(String), last4: '1111', linkedAt: expect.any(String) }]);
    expect(JSON.stringify(result)).not.toMatch(/hash/i);
  });

  test('by exact id: the customer, or nobody; every search is audited with what it found', async () => {
    const { app, audit } = await withCustomers();
    expect(await call(app, 'GET /admin/users', { query: 'userId=cy' })).toMatchObject({ status: 200, body: { items: [{ userId: 'cy' }] } });
    expect(await call(app, 'GET /admin/users', { query: 'userId=c' })).toMatchObject({ status: 200, body: { items: [] } });
    expect(audit.entries.map((e) => [e.target, e.detail])).toEqual([
      ['customer:cy', 'search by id cy: cy'],
      ['customer:c', 'search by id c: none found'],
    ]);
  });

  test.each([
    ['', 'query'],
    ['userId=ana&cardLast4=1111', 'query'],
    ['cardLast4=111', 'query.cardLast4'],
    ['cardLast4=11111', 'query.cardLast4'],
    ['cardLast4=4111111111111111', 'query.cardLast4'],
    ['userId=%07bell', 'query.userId'],
  ])('a malformed search (%s) is a 400 naming %s', async (query, field) => {
    const { app } = await withCustomers();
    expect(await call(app, 'GET /admin/users', { query })).toMatchObject({ status: 400, details: [expect.objectContaining({ field })] });
  });

  test('conflicts are listed with the refused delivery, its card by last four only', async () => {
    const { app, queries } = memoryAdmin();
    const day = new Date().toISOString().slice(0, 10);
    queries.byKind.set('conflicts', [
      {
        day,
        transactionId: 'C-1',
        detectedAt: `${day}T10:00:00Z`,
        existingContentHash: 'x',
        incoming: { transactionId: 'C-1', amountCents: 999, cardLast4: '1111', cardFullHash: 'h', cardLast4Hash: 'h4', contentHash: 'c' },
      },
    ]);
    const result = await call(app, 'GET /admin/conflicts');
    expect(result).toMatchObject({
      status: 200,
      body: { items: [{ transactionId: 'C-1', incoming: { amountCents: 999, cardLast4: '1111' } }] },
    });
    expect(JSON.stringify(result)).not.toMatch(/hash/i);
  });
});
