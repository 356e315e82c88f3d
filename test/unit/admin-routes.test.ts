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
