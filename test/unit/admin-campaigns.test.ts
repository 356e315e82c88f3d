import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { serveAdminRequest } from '../../shared/admin/http';
import { ROUTES } from '../../shared/admin/routes';
import { memoryAdmin } from '../support/admin-fakes';
import { authorizedContext } from '../support/lambda-events';

function event(routeKey: string, request: { path?: Record<string, string>; body?: unknown } = {}): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey,
    rawPath: '/',
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    pathParameters: request.path,
    body: request.body === undefined ? undefined : JSON.stringify(request.body),
    isBase64Encoded: false,
    requestContext: authorizedContext(),
  };
}

type Answer = { status: number; body: Record<string, unknown> & { details?: unknown } };

function admin() {
  const world = memoryAdmin();
  world.app.deps.program = { ...world.app.deps.program, machineGroups: { lobby: ['VEND-001', 'VEND-002'] } };
  const call = (routeKey: string, request: Parameters<typeof event>[1] = {}) =>
    serveAdminRequest(ROUTES[routeKey]!, event(routeKey, request), world.app).catch((err: unknown) => err) as Promise<Answer>;
  return { ...world, call };
}

const coffeeMornings = {
  name: 'Double points on coffee at VEND-001, weekdays 7–10',
  reward: { kind: 'multiplier', factor: 2 },
  when: { products: ['*coffee*'], machines: ['VEND-001'], daysOfWeek: [1, 2, 3, 4, 5], hours: { from: 7, to: 10 } },
  stacking: 'best_of',
};

describe('campaigns through the admin API', () => {
  test('created as version 1 in force after the functions’ cache period, then changed and ended as new versions', async () => {
    const { call, clock, campaigns } = admin();
    const created = await call('POST /admin/campaigns', { body: coffeeMornings });
    expect(created.status).toBe(201);
    const id = created.body.campaignId as string;
    expect(id).toMatch(/^cmp-[0-9a-f]{16}$/);
    const savedAt = clock.now().getTime();
    expect(created.body.current).toMatchObject({
      id,
      version: 1,
      status: 'scheduled',
      validFrom: new Date(savedAt + 15_000).toISOString(),
      validTo: null,
      savedBy: expect.any(String),
    });

    clock.advance(15_000);
    const listed = await call('GET /admin/campaigns');
    expect(listed.body).toMatchObject({ timeZone: 'UTC', takesEffectAfterSeconds: 15, machineGroups: { lobby: ['VEND-001', 'VEND-002'] } });
    expect(listed.body.items).toMatchObject([{ id, version: 1, status: 'active' }]);

    const changed = await call('PUT /admin/campaigns/{campaignId}', {
      path: { campaignId: id },
      body: { ...coffeeMornings, reward: { kind: 'multiplier', factor: 3 }, expectedVersion: 1 },
    });
    expect(changed.status).toBe(200);
    expect(changed.body.versions).toMatchObject([
      { version: 2, reward: { factor: 3 }, status: 'scheduled' },
      { version: 1, reward: { factor: 2 }, status: 'active' },
    ]);
    // Version 1 stays in force until version 2 takes over, to the millisecond.
    const [v2, v1] = campaigns.stored.slice().reverse();
    expect(v1!.validTo).toBe(v2!.validFrom);

    const stale = await call('PUT /admin/campaigns/{campaignId}', {
      path: { campaignId: id },
      body: { ...coffeeMornings, expectedVersion: 1 },
    });
    expect(stale).toMatchObject({ status: 409, message: expect.stringContaining('is at version 2, not 1') });

    const ended = await call('POST /admin/campaigns/{campaignId}/end', { path: { campaignId: id }, body: { expectedVersion: 2 } });
    expect(ended.status).toBe(200);
    clock.advance(15_000);
    expect((await call('GET /admin/campaigns/{campaignId}', { path: { campaignId: id } })).body.current).toMatchObject({
      version: 2,
      status: 'ended',
    });
    expect(
      await call('PUT /admin/campaigns/{campaignId}', { path: { campaignId: id }, body: { ...coffeeMornings, expectedVersion: 2 } }),
    ).toMatchObject({
      status: 409,
      message: expect.stringContaining('has ended'),
    });
  });

  test.each([
    [{ ...coffeeMornings, reward: { kind: 'multiplier', factor: 1 } }, 'body.reward.factor', 'must be more than 1'],
    [{ ...coffeeMornings, reward: { kind: 'multiplier', factor: 26 } }, 'body.reward.factor', 'must be at most 25'],
    [{ ...coffeeMornings, reward: { kind: 'free_money' } }, 'body.reward.kind', 'must be { kind: multiplier'],
    [{ ...coffeeMornings, when: { daysOfWeek: [1, 1] } }, 'body.when.daysOfWeek', 'must not repeat a day'],
    [{ ...coffeeMornings, when: { daysOfWeek: [0] } }, 'body.when.daysOfWeek.0', 'must be at least 1'],
    [{ ...coffeeMornings, when: { hours: { from: 7, to: 7 } } }, 'body.when.hours', 'must differ'],
    [{ ...coffeeMornings, when: { hours: { from: 7.5, to: 9 } } }, 'body.when.hours.from', 'whole number'],
    [{ ...coffeeMornings, when: { dates: { from: '2025-02-30' } } }, 'body.when.dates.from', 'real calendar date'],
    [{ ...coffeeMornings, when: { dates: { from: '2025-03-02', to: '2025-03-01' } } }, 'body.when.dates', 'must not be after to'],
    [{ ...coffeeMornings, when: { products: ['x'.repeat(81)] } }, 'body.when.products.0', 'at most 80'],
    [{ ...coffeeMornings, when: { products: [] } }, 'body.when.products', 'at least one product'],
    [{ ...coffeeMornings, when: { machines: ['group:basement'] } }, 'body.when.machines.0', 'names no machine group'],
    [{ ...coffeeMornings, name: 'Card 4111 1111 1111 1111 promo' }, 'body.name', 'must not contain a card number'],
    [{ ...coffeeMornings, name: '' }, 'body.name', 'must not be empty'],
    [{ ...coffeeMornings, reward: { kind: 'punch_card', purchases: 7, bonusPoints: 100 } }, 'body.stacking', 'must be additive'],
    [{ ...coffeeMornings, caps: { perCustomerPerDay: 0 } }, 'body.caps.perCustomerPerDay', 'at least 1'],
    [{ ...coffeeMornings, surprise: true }, 'body', 'surprise'],
    [{ ...coffeeMornings, when: { __proto__: { products: ['*'] }, hoursx: 1 } }, 'body.when', 'hoursx'],
  ])('a broken definition is a 400 naming the field: %#', async (body, field, rule) => {
    const { call, campaigns } = admin();
    const answer = await call('POST /admin/campaigns', { body });
    expect(answer).toMatchObject({ status: 400 });
    expect((answer as unknown as { details: { field: string; rule: string }[] }).details).toEqual(
      expect.arrayContaining([expect.objectContaining({ field, rule: expect.stringContaining(rule) })]),
    );
    expect(campaigns.stored).toHaveLength(0);
  });

  test('at most 50 campaigns are open at once: the 51st is a 409 until one ends', async () => {
    const { call } = admin();
    const ids: string[] = [];
    for (let i = 0; i < 50; i += 1)
      ids.push(((await call('POST /admin/campaigns', { body: { ...coffeeMornings, name: `c${i}` } })).body.campaignId as string) ?? '');
    expect(await call('POST /admin/campaigns', { body: coffeeMornings })).toMatchObject({
      status: 409,
      message: expect.stringContaining('end one'),
    });
    await call('POST /admin/campaigns/{campaignId}/end', { path: { campaignId: ids[0]! }, body: { expectedVersion: 1 } });
    expect(await call('POST /admin/campaigns', { body: coffeeMornings })).toMatchObject({ status: 201 });
  });

  test('a campaign id that is not one is a 400; an unknown one a 404', async () => {
    const { call } = admin();
    expect(await call('GET /admin/campaigns/{campaignId}', { path: { campaignId: '../PROFILE' } })).toMatchObject({ status: 400 });
    expect(await call('GET /admin/campaigns/{campaignId}', { path: { campaignId: 'cmp-0123456789abcdef' } })).toMatchObject({
      status: 404,
    });
  });
});
