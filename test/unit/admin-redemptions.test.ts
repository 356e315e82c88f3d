import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { decodeStreamRecord } from '../../shared/adapters/dynamodb/stream-images';
import { serveAdminRequest } from '../../shared/admin/http';
import { eraseCustomer } from '../../shared/admin/privacy';
import { customerRedemptions, type RedemptionDeps, redeemReward, reverseRedemption } from '../../shared/admin/redemptions';
import { ROUTES } from '../../shared/admin/routes';
import { REDEMPTION_CODE_FORMAT } from '../../shared/domain/redemption';
import { batchDeltas } from '../../shared/domain/stats';
import { memoryAdmin } from '../support/admin-fakes';
import { authorizedContext, OPERATOR_CLAIMS } from '../support/lambda-events';
import { streamRecord } from '../support/stream-fakes';

const OPERATOR = { id: 'sub-admin', name: 'admin@hivis.local' };

function world(points = 1_000) {
  const admin = memoryAdmin();
  admin.ledger.addAccount('pat', { points, lifetimePoints: 2_000, tier: 'Gold', version: 4 });
  let codes = 0;
  const deps: RedemptionDeps = {
    ...admin.app.deps,
    customers: admin.customers,
    redemptions: admin.redemptions,
    clock: admin.clock,
    newCode: () => `TEST-000${++codes}`,
  };
  return { ...admin, deps };
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (err: unknown) => err,
  );

describe('redeemReward, against in-memory ports', () => {
  test('takes the reward’s points off the balance and records the redemption with its code', async () => {
    const { deps, ledger, redemptions } = world(1_000);
    const result = await redeemReward('pat', { rewardId: 'free-vend', idempotencyKey: 'k-1' }, OPERATOR, deps);
    expect(result).toEqual({
      redeemed: true,
      balance: 700,
      redemption: {
        entity: 'redemption',
        redemptionId: 'k-1',
        userId: 'pat',
        rewardId: 'free-vend',
        rewardName: 'Free vend (up to $3.00)',
        kind: 'free_vend',
        points: 300,
        valueCents: 300,
        code: 'TEST-0001',
        status: 'issued',
        createdAt: '2025-01-02T00:00:00.000Z',
        madeBy: 'admin@hivis.local',
        madeById: 'sub-admin',
        balanceAfter: 700,
      },
    });
    // Only the balance moves: lifetime points and the tier stay.
    expect(ledger.accounts.get('pat')).toMatchObject({ points: 700, lifetimePoints: 2_000, tier: 'Gold', version: 5 });
    expect(redemptions.items.size).toBe(1);
  });

  test('the same key again answers the same redemption and takes nothing more, even once the balance is short', async () => {
    const { deps, ledger, redemptions } = world(500);
    const first = await redeemReward('pat', { rewardId: 'free-vend', idempotencyKey: 'k-1' }, OPERATOR, deps);
    // 200 points left: the same request must still answer its redemption, not "short".
    const again = await redeemReward('pat', { rewardId: 'free-vend', idempotencyKey: 'k-1' }, OPERATOR, deps);
    expect(again).toEqual({ redeemed: false, redemption: first.redemption, balance: 200 });
    expect(ledger.accounts.get('pat')!.points).toBe(200);
    expect(redemptions.items.size).toBe(1);
  });

  test('the same key with another reward is a 409 showing what the key redeemed', async () => {
    const { deps } = world();
    await redeemReward('pat', { rewardId: 'free-vend', idempotencyKey: 'k-1' }, OPERATOR, deps);
    expect(await refusal(redeemReward('pat', { rewardId: 'credit-5', idempotencyKey: 'k-1' }, OPERATOR, deps))).toMatchObject({
      status: 409,
      message: expect.stringContaining('idempotency key k-1 was already used to redeem free-vend, not credit-5'),
      details: { existing: { rewardId: 'free-vend', redemptionId: 'k-1' } },
    });
  });

  test('a short balance is a 409 naming the balance and the cost; nothing changes', async () => {
    const { deps, ledger, redemptions } = world(250);
    expect(await refusal(redeemReward('pat', { rewardId: 'free-vend', idempotencyKey: 'k-1' }, OPERATOR, deps))).toMatchObject({
      status: 409,
      message: 'the balance of 250 points does not cover free-vend (Free vend (up to $3.00)), which costs 300 points',
      details: { balance: 250, cost: 300, rewardId: 'free-vend' },
    });
    expect(ledger.accounts.get('pat')).toMatchObject({ points: 250, version: 4 });
    expect(redemptions.items.size).toBe(0);
  });

  test('a negative balance (a refund after spending) redeems nothing', async () => {
    const { deps } = world(-40);
    expect(await refusal(redeemReward('pat', { rewardId: 'free-vend', idempotencyKey: 'k-1' }, OPERATOR, deps))).toMatchObject({
      status: 409,
      details: { balance: -40 },
    });
  });

  test('an unknown reward is a 400 naming body.rewardId and the rewards there are; a prototype name is unknown too', async () => {
    const { deps } = world();
    for (const rewardId of ['gold-bar', '__proto__', 'constructor'])
      expect(await refusal(redeemReward('pat', { rewardId, idempotencyKey: 'k-1' }, OPERATOR, deps))).toMatchObject({
        status: 400,
        details: [{ field: 'body.rewardId', rule: 'is not a reward of the program (its rewards: free-vend, credit-5)' }],
      });
  });

  test('a reward taken out of the catalogue since still answers its key', async () => {
    const { deps } = world();
    const first = await redeemReward('pat', { rewardId: 'free-vend', idempotencyKey: 'k-1' }, OPERATOR, deps);
    const later = { ...deps, program: { ...deps.program, rewards: deps.program.rewards.filter((r) => r.id !== 'free-vend') } };
    expect(await redeemReward('pat', { rewardId: 'free-vend', idempotencyKey: 'k-1' }, OPERATOR, later)).toMatchObject({
      redeemed: false,
      redemption: first.redemption,
    });
  });

  test('an unknown customer is 404; an erased one, or one being erased, 410', async () => {
    const { deps, customers } = world();
    expect(await refusal(redeemReward('nobody', { rewardId: 'free-vend', idempotencyKey: 'k-1' }, OPERATOR, deps))).toMatchObject({
      status: 404,
    });
    customers.erasing.set('pat', { pseudonym: 'anon-1', startedAt: '2025-01-01T00:00:00Z' });
    expect(await refusal(redeemReward('pat', { rewardId: 'free-vend', idempotencyKey: 'k-1' }, OPERATOR, deps))).toMatchObject({
      status: 410,
    });
    customers.tombstones.set('pat', '2025-01-01T00:00:00Z');
    expect(await refusal(redeemReward('pat', { rewardId: 'free-vend', idempotencyKey: 'k-1' }, OPERATOR, deps))).toMatchObject({
      status: 410,
      message: expect.stringContaining('was erased'),
    });
  });

  test('an account changed since it was read is read again after a backoff, with the same code', async () => {
    const { deps, ledger, waits, redemptions } = world();
    ledger.contendOn('pat', 2);
    const result = await redeemReward('pat', { rewardId: 'free-vend', idempotencyKey: 'k-1' }, OPERATOR, deps);
    expect(result).toMatchObject({ redeemed: true, redemption: { code: 'TEST-0001' } });
    expect(redemptions.commits).toBe(3);
    expect(waits).toHaveLength(2);
    expect(ledger.reads.every((r) => r.consistent)).toBe(true);
  });

  test('contention that outlasts the retries is a 503, nothing redeemed', async () => {
    const { deps, ledger, redemptions } = world();
    ledger.contendOn('pat', 1_000);
    expect(await refusal(redeemReward('pat', { rewardId: 'free-vend', idempotencyKey: 'k-1' }, OPERATOR, deps))).toMatchObject({
      status: 503,
      retryAfterSeconds: 1,
      message: expect.stringContaining('nothing was redeemed'),
    });
    expect(redemptions.items.size).toBe(0);
    expect(ledger.accounts.get('pat')!.points).toBe(1_000);
  });

  test('concurrent redemptions with different keys never overspend', async () => {
    const { deps, ledger } = world(1_000);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => redeemReward('pat', { rewardId: 'free-vend', idempotencyKey: `k-${i}` }, OPERATOR, deps)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect(ledger.accounts.get('pat')!.points).toBe(100);
  });
});

describe('reverseRedemption and the listing', () => {
  test('gives back exactly the points, once; a second reverse is a 409', async () => {
    const { deps, ledger } = world(1_000);
    await redeemReward('pat', { rewardId: 'credit-5', idempotencyKey: 'k-1' }, OPERATOR, deps);
    expect(ledger.accounts.get('pat')!.points).toBe(500);
    expect(await reverseRedemption('pat', 'k-1', 'customer changed their mind', OPERATOR, deps)).toMatchObject({
      reversed: true,
      balance: 1_000,
      redemption: { status: 'reversed', reversalReason: 'customer changed their mind', reversedBy: 'admin@hivis.local' },
    });
    expect(ledger.accounts.get('pat')).toMatchObject({ points: 1_000, lifetimePoints: 2_000 });
    expect(await refusal(reverseRedemption('pat', 'k-1', 'again', OPERATOR, deps))).toMatchObject({
      status: 409,
      message: expect.stringContaining('redemption k-1 was already reversed'),
    });
    expect(ledger.accounts.get('pat')!.points).toBe(1_000);
  });

  test('a customer being erased cannot have a redemption reversed (410), even once it moved away', async () => {
    const { deps, customers, redemptions } = world();
    await redeemReward('pat', { rewardId: 'free-vend', idempotencyKey: 'k-1' }, OPERATOR, deps);
    customers.erasing.set('pat', { pseudonym: 'anon-1', startedAt: '2025-01-01T00:00:00Z' });
    expect(await refusal(reverseRedemption('pat', 'k-1', 'r', OPERATOR, deps))).toMatchObject({ status: 410 });
    redemptions.items.clear();
    expect(await refusal(reverseRedemption('pat', 'k-1', 'r', OPERATOR, deps))).toMatchObject({ status: 410 });
  });

  test('an unknown redemption is 404; a stale account is read again', async () => {
    const { deps, ledger } = world();
    expect(await refusal(reverseRedemption('pat', 'none', 'r', OPERATOR, deps))).toMatchObject({ status: 404 });
    await redeemReward('pat', { rewardId: 'free-vend', idempotencyKey: 'k-1' }, OPERATOR, deps);
    ledger.contendOn('pat', 1);
    expect(await reverseRedemption('pat', 'k-1', 'r', OPERATOR, deps)).toMatchObject({ reversed: true, balance: 1_000 });
  });

  test('lists the customer’s redemptions newest first', async () => {
    const { deps, clock } = world();
    await redeemReward('pat', { rewardId: 'free-vend', idempotencyKey: 'k-1' }, OPERATOR, deps);
    clock.advance(60_000);
    await redeemReward('pat', { rewardId: 'credit-5', idempotencyKey: 'k-2' }, OPERATOR, deps);
    const page = await customerRedemptions('pat', { limit: 25 }, deps);
    expect(page.items.map((r) => r.redemptionId)).toEqual(['k-2', 'k-1']);
    expect(await refusal(customerRedemptions('nobody', { limit: 25 }, deps))).toMatchObject({ status: 404 });
  });
});

describe('redemptions in the statistics', () => {
  const issued = {
    kind: 'redemption' as const,
    status: 'issued' as const,
    points: 300,
    createdAt: '2025-03-04T10:00:00Z',
    pseudonymous: false,
  };

  test('a redemption counts on its day; its reversal takes it back out on the same day', () => {
    expect(batchDeltas([{ new: issued }])).toEqual([
      { kind: 'counts', day: '2025-03-04', counts: { redemptions: 1, pointsRedeemed: 300 } },
      { kind: 'counts', day: 'ALL', counts: { redemptions: 1, pointsRedeemed: 300 } },
    ]);
    const reversed = { ...issued, status: 'reversed' as const };
    expect(batchDeltas([{ new: issued }, { old: issued, new: reversed }])).toEqual([
      { kind: 'counts', day: '2025-03-04', counts: { redemptions: 0, pointsRedeemed: 0, redemptionsReversed: 1 } },
      { kind: 'counts', day: 'ALL', counts: { redemptions: 0, pointsRedeemed: 0, redemptionsReversed: 1 } },
    ]);
  });

  test('a stored redemption decodes from the stream into those counts; any other entity of the customer partition to none', () => {
    const stored = {
      PK: 'CUSTOMER#pat',
      SK: 'REDEMPTION#k-1',
      entity: 'redemption',
      redemptionId: 'k-1',
      userId: 'pat',
      rewardId: 'free-vend',
      points: 300,
      code: 'K7QM-2XHD',
      status: 'issued',
      createdAt: '2025-03-04T10:00:00.000Z',
    };
    const decoded = [
      decodeStreamRecord(streamRecord({ new: stored }, '1')),
      decodeStreamRecord(streamRecord({ old: stored, new: { ...stored, status: 'reversed' } }, '2')),
      decodeStreamRecord(streamRecord({ new: { ...stored, SK: 'ADJUSTMENT#k-1', entity: 'adjustment' } }, '3')),
    ];
    const changes = decoded.map((d) => (d.ok ? d.change : undefined));
    expect(changes[0]).toEqual({
      new: { kind: 'redemption', status: 'issued', points: 300, createdAt: stored.createdAt, pseudonymous: false },
    });
    expect(changes[2]).toEqual({});
    expect(batchDeltas(changes.filter((c) => c !== undefined)).find((d) => d.day === '2025-03-04')).toEqual({
      kind: 'counts',
      day: '2025-03-04',
      counts: { redemptions: 0, pointsRedeemed: 0, redemptionsReversed: 1 },
    });
    expect(decodeStreamRecord(streamRecord({ new: { ...stored, points: 'lots' } }))).toMatchObject({ ok: false });
  });

  test('an erasure’s move counts nothing: the pseudonymous copy was counted as the original, whose deletion is not followed', () => {
    expect(batchDeltas([{ new: { ...issued, pseudonymous: true } }, { old: issued }])).toEqual([]);
    // Reversing the moved copy later still takes the original's count back out.
    expect(
      batchDeltas([{ old: { ...issued, pseudonymous: true }, new: { ...issued, pseudonymous: true, status: 'reversed' } }]),
    ).toHaveLength(2);
  });
});

describe('the redemption routes, through the handler', () => {
  function event(
    routeKey: string,
    request: { path?: Record<string, string>; body?: unknown; rawBody?: string; query?: string; claims?: Record<string, string> } = {},
  ): APIGatewayProxyEventV2 {
    return {
      version: '2.0',
      routeKey,
      rawPath: '/',
      rawQueryString: request.query ?? '',
      headers: { 'content-type': 'application/json' },
      pathParameters: request.path,
      body: request.rawBody ?? (request.body === undefined ? undefined : JSON.stringify(request.body)),
      isBase64Encoded: false,
      requestContext: authorizedContext(request.claims),
    };
  }
  const call = (app: ReturnType<typeof memoryAdmin>['app'], routeKey: string, request: Parameters<typeof event>[1] = {}) =>
    serveAdminRequest(ROUTES[routeKey]!, event(routeKey, request), app).catch((err: unknown) => err);
  const REDEEM = 'POST /admin/users/{userId}/redemptions';
  const REVERSE = 'POST /admin/users/{userId}/redemptions/{redemptionId}/reverse';
  const LIST = 'GET /admin/users/{userId}/redemptions';

  function admin(points = 1_000) {
    const world = memoryAdmin();
    world.ledger.addAccount('pat', { points });
    return world;
  }

  test('201 with the code, then 200 for the same key; the customer read lists the rewards it can afford; audited', async () => {
    const { app, audit } = admin(400);
    const body = { rewardId: 'free-vend', idempotencyKey: 'b6f7d1c4-4d0e-4e55-9e57-5c0b1f6f0d11' };
    const first = await call(app, REDEEM, { path: { userId: 'pat' }, body });
    expect(first).toMatchObject({
      status: 201,
      body: { redeemed: true, balance: 100, redemption: { code: expect.stringMatching(REDEMPTION_CODE_FORMAT) } },
    });
    expect(await call(app, REDEEM, { path: { userId: 'pat' }, body })).toMatchObject({
      status: 200,
      body: { redeemed: false, balance: 100 },
    });
    expect(await call(app, 'GET /admin/users/{userId}', { path: { userId: 'pat' } })).toMatchObject({
      status: 200,
      body: {
        points: 100,
        rewards: [
          { id: 'free-vend', points: 300, affordable: false },
          { id: 'credit-5', points: 500, affordable: false },
        ],
      },
    });
    const entries = audit.entries.filter((e) => e.action === REDEEM);
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({ target: 'customer:pat', outcome: 'succeeded', status: 201 });
    expect(entries[0]!.detail).toContain('free-vend for 300 points');
    expect(entries[0]!.detail).not.toContain((first as { body: { redemption: { code: string } } }).body.redemption.code);
  });

  test('hostile bodies and ids are 400s naming the field, before anything is read', async () => {
    const { app, redemptions } = admin();
    const cases: Array<[Parameters<typeof event>[1], string]> = [
      [{ path: { userId: 'pat' }, body: { rewardId: '__proto__', idempotencyKey: 'k' } }, 'body.rewardId'],
      [{ path: { userId: 'pat' }, body: { rewardId: 'FREE VEND', idempotencyKey: 'k' } }, 'body.rewardId'],
      [{ path: { userId: 'pat' }, body: { rewardId: 'x'.repeat(41), idempotencyKey: 'k' } }, 'body.rewardId'],
      [{ path: { userId: 'pat' }, body: { rewardId: 7, idempotencyKey: 'k' } }, 'body.rewardId'],
      [{ path: { userId: 'pat' }, body: { rewardId: 'free-vend', idempotencyKey: 'a/b' } }, 'body.idempotencyKey'],
      [{ path: { userId: 'pat' }, body: { rewardId: 'free-vend', idempotencyKey: 'k'.repeat(129) } }, 'body.idempotencyKey'],
      [{ path: { userId: 'pat' }, body: { rewardId: 'free-vend', idempotencyKey: 'k#REDEMPTION#x' } }, 'body.idempotencyKey'],
      [{ path: { userId: 'pat' }, body: { rewardId: 'free-vend' } }, 'body.idempotencyKey'],
      [{ path: { userId: 'pat' }, rawBody: '{"__proto__":{"rewardId":"free-vend"},"idempotencyKey":"k"}' }, 'body.__proto__'],
      [{ path: { userId: 'pat\u0000' }, body: { rewardId: 'free-vend', idempotencyKey: 'k' } }, 'path.userId'],
      [{ path: { userId: 'x'.repeat(129) }, body: { rewardId: 'free-vend', idempotencyKey: 'k' } }, 'path.userId'],
    ];
    for (const [request, field] of cases) {
      const result = await call(app, REDEEM, request);
      expect([field, result]).toEqual([
        field,
        expect.objectContaining({ status: 400, details: expect.arrayContaining([expect.objectContaining({ field })]) }),
      ]);
    }
    const reverse = await call(app, REVERSE, { path: { userId: 'pat', redemptionId: '../k' }, body: { reason: 'r' } });
    expect(reverse).toMatchObject({ status: 400, details: [expect.objectContaining({ field: 'path.redemptionId' })] });
    expect(await call(app, REVERSE, { path: { userId: 'pat', redemptionId: 'k' }, body: {} })).toMatchObject({
      status: 400,
      details: [expect.objectContaining({ field: 'body.reason' })],
    });
    expect(await call(app, REVERSE, { path: { userId: 'pat', redemptionId: 'k' }, body: { reason: 'r'.repeat(501) } })).toMatchObject({
      status: 400,
    });
    expect(redemptions.commits).toBe(0);
  });

  test('a body of another type is 415; a missing one names the fields', async () => {
    const { app } = admin();
    const wrongType = {
      ...event(REDEEM, { path: { userId: 'pat' }, body: { rewardId: 'free-vend', idempotencyKey: 'k' } }),
      headers: { 'content-type': 'text/plain' },
    };
    expect(await serveAdminRequest(ROUTES[REDEEM]!, wrongType, app).catch((e: unknown) => e)).toMatchObject({ status: 415 });
    expect(await call(app, REDEEM, { path: { userId: 'pat' } })).toMatchObject({
      status: 400,
      details: [expect.objectContaining({ field: 'body.rewardId' }), expect.objectContaining({ field: 'body.idempotencyKey' })],
    });
  });

  test('a viewer lists redemptions but may not redeem or reverse; the listing is audited as a customer read', async () => {
    const { app, audit } = admin();
    await call(app, REDEEM, { path: { userId: 'pat' }, body: { rewardId: 'free-vend', idempotencyKey: 'k-1' } });
    const viewer = OPERATOR_CLAIMS.viewer;
    expect(await call(app, LIST, { path: { userId: 'pat' }, claims: viewer })).toMatchObject({
      status: 200,
      body: { items: [{ redemptionId: 'k-1', status: 'issued' }] },
    });
    expect(
      await call(app, REDEEM, { path: { userId: 'pat' }, body: { rewardId: 'free-vend', idempotencyKey: 'k-2' }, claims: viewer }),
    ).toMatchObject({
      status: 403,
    });
    expect(await call(app, REVERSE, { path: { userId: 'pat', redemptionId: 'k-1' }, body: { reason: 'r' }, claims: viewer })).toMatchObject(
      {
        status: 403,
      },
    );
    expect(audit.entries.find((e) => e.action === LIST)).toMatchObject({ target: 'customer:pat', outcome: 'succeeded' });
    expect(audit.entries.filter((e) => e.outcome === 'refused')).toHaveLength(2);
    expect(await call(app, LIST, { path: { userId: 'pat' }, query: 'limit=0' })).toMatchObject({ status: 400 });
  });

  test('reverse through the route gives the points back; again is 409', async () => {
    const { app, ledger } = admin(1_000);
    await call(app, REDEEM, { path: { userId: 'pat' }, body: { rewardId: 'credit-5', idempotencyKey: 'k-1' } });
    expect(await call(app, REVERSE, { path: { userId: 'pat', redemptionId: 'k-1' }, body: { reason: 'wrong customer' } })).toMatchObject({
      status: 200,
      body: { reversed: true, balance: 1_000 },
    });
    expect(await call(app, REVERSE, { path: { userId: 'pat', redemptionId: 'k-1' }, body: { reason: 'wrong customer' } })).toMatchObject({
      status: 409,
    });
    expect(ledger.accounts.get('pat')!.points).toBe(1_000);
  });

  test('an erased customer’s redemptions move to the pseudonym and are in the export before', async () => {
    const world = admin(1_000);
    const { app } = world;
    await call(app, REDEEM, { path: { userId: 'pat' }, body: { rewardId: 'free-vend', idempotencyKey: 'pat-visit-1' } });
    const exported = await call(app, 'GET /admin/users/{userId}/export', { path: { userId: 'pat' } });
    expect(exported).toMatchObject({
      status: 200,
      body: { section: 'profile', redemptions: [{ redemptionId: 'pat-visit-1', points: 300 }] },
    });
    const result = await eraseCustomer('pat', {
      customers: app.customers,
      records: app.records,
      erasure: app.erasure,
      cursors: app.exportCursors,
      queries: app.queries,
      audit: app.audit,
      program: app.deps.program,
      clock: app.clock,
      sleep: async (ms) => world.clock.advance(ms),
    });
    expect(result).toMatchObject({ complete: true, moved: { redemptions: 1 } });
    const left = [...world.redemptions.items.values()];
    expect(left).toEqual([expect.objectContaining({ userId: 'anon-1', points: 300 })]);
    expect(JSON.stringify(left)).not.toContain('pat');
    expect(await call(app, LIST, { path: { userId: 'pat' } })).toMatchObject({ status: 410 });
  });
});
