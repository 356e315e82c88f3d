import { randomUUID } from 'node:crypto';
import { LocalStackClient, waitFor } from '../../local/local-client';
import { REDEMPTION_CODE_FORMAT } from '../../shared/domain/redemption';

/**
 * Redemption through the admin API on the local stack: the gateway, the JWT check, the real handler and its Lambda
 * events, DynamoDB Local, the stats function on the table's stream, and the audit trail.
 */

let local: LocalStackClient;
beforeAll(() => {
  local = LocalStackClient.fromEnv();
});
afterAll(() => local.destroy());

const RAY = 'rdm-ray';
const path = (userId: string) => `/admin/users/${userId}/redemptions`;
const today = () => new Date().toISOString().slice(0, 10);
const redemptionsToday = async () => {
  const stats = await local.admin('GET', `/admin/stats?from=${today()}&to=${today()}`);
  const day = (stats.body.byDay as { redemptions: number; pointsRedeemed: number }[])[0]!;
  return { redemptions: day.redemptions, pointsRedeemed: day.pointsRedeemed };
};

describe('redemptions through the admin API', () => {
  test('redeem, replay, refuse, list, reverse; counted in the stats and the audit trail', async () => {
    expect((await local.admin('PUT', `/admin/users/${RAY}`, { name: 'Ray' })).status).toBe(201);
    const credit = { points: 650, reason: 'welcome bonus', idempotencyKey: `rdm-${randomUUID()}` };
    expect((await local.admin('POST', `/admin/users/${RAY}/adjustments`, credit)).status).toBe(201);
    const before = await redemptionsToday();

    const customer = await local.admin('GET', `/admin/users/${RAY}`);
    expect(customer.body.rewards).toEqual([
      expect.objectContaining({ id: 'free-vend', points: 300, affordable: true }),
      expect.objectContaining({ id: 'credit-5', points: 500, affordable: true }),
    ]);

    const key = randomUUID();
    const redeemed = await local.admin('POST', path(RAY), { rewardId: 'credit-5', idempotencyKey: key });
    expect(redeemed).toMatchObject({
      status: 201,
      body: {
        redeemed: true,
        balance: 150,
        redemption: {
          redemptionId: key,
          rewardId: 'credit-5',
          kind: 'credit',
          points: 500,
          valueCents: 500,
          status: 'issued',
          balanceAfter: 150,
        },
      },
    });
    expect(redeemed.body.redemption.code).toMatch(REDEMPTION_CODE_FORMAT);
    expect(redeemed.body.redemption).not.toHaveProperty('PK');
    expect(redeemed.body.redemption).not.toHaveProperty('GSI1PK');

    const replayed = await local.admin('POST', path(RAY), { rewardId: 'credit-5', idempotencyKey: key });
    expect(replayed).toMatchObject({
      status: 200,
      body: { redeemed: false, balance: 150, redemption: { code: redeemed.body.redemption.code } },
    });
    expect((await local.admin('POST', path(RAY), { rewardId: 'free-vend', idempotencyKey: key })).status).toBe(409);

    const short = await local.admin('POST', path(RAY), { rewardId: 'free-vend', idempotencyKey: randomUUID() });
    expect(short).toMatchObject({
      status: 409,
      body: { message: 'the balance of 150 points does not cover free-vend (Free vend (up to $3.00)), which costs 300 points' },
    });
    expect((await local.admin('POST', path(RAY), { rewardId: 'gold-bar', idempotencyKey: randomUUID() })).body).toEqual({
      message: 'invalid request',
      errors: [{ field: 'body.rewardId', rule: 'is not a reward of the program (its rewards: free-vend, credit-5)' }],
    });
    expect((await local.admin('GET', `/admin/users/${RAY}`)).body.rewards.map((r: { affordable: boolean }) => r.affordable)).toEqual([
      false,
      false,
    ]);

    const listed = await local.admin('GET', `${path(RAY)}?limit=10`, undefined, { token: local.endpoints.viewerToken });
    expect(listed).toMatchObject({ status: 200, body: { items: [{ redemptionId: key, status: 'issued' }] } });

    await waitFor(
      async () => {
        const now = await redemptionsToday();
        return now.redemptions === before.redemptions + 1 && now.pointsRedeemed === before.pointsRedeemed + 500;
      },
      'the stats to count the redemption',
      30_000,
    );

    const reverse = `${path(RAY)}/${key}/reverse`;
    expect((await local.admin('POST', reverse, { reason: 'redeemed by mistake' }, { token: local.endpoints.viewerToken })).status).toBe(
      403,
    );
    expect(await local.admin('POST', reverse, { reason: 'redeemed by mistake' })).toMatchObject({
      status: 200,
      body: { reversed: true, balance: 650, redemption: { status: 'reversed', reversalReason: 'redeemed by mistake' } },
    });
    expect((await local.admin('POST', reverse, { reason: 'again' })).status).toBe(409);
    expect((await local.customer(RAY))?.points).toBe(650);
    await waitFor(
      async () => {
        const now = await redemptionsToday();
        return now.redemptions === before.redemptions && now.pointsRedeemed === before.pointsRedeemed;
      },
      'the stats to take the reversed redemption back out',
      30_000,
    );

    const audit = await local.admin('GET', `/admin/audit?target=customer:${RAY}&limit=100`);
    const actions = (audit.body.items as { action: string; outcome: string }[]).map((e) => `${e.action} ${e.outcome}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'POST /admin/users/{userId}/redemptions succeeded',
        'POST /admin/users/{userId}/redemptions refused',
        'GET /admin/users/{userId}/redemptions succeeded',
        'POST /admin/users/{userId}/redemptions/{redemptionId}/reverse succeeded',
      ]),
    );
  });

  test('hostile requests are 4xx naming the field, never a 5xx', async () => {
    await local.admin('PUT', '/admin/users/rdm-hostile', { name: 'Hostile' });
    const cases: Array<[string, string, unknown, number]> = [
      ['POST', path('rdm-hostile'), { rewardId: '__proto__', idempotencyKey: 'k' }, 400],
      ['POST', path('rdm-hostile'), '{"__proto__":{"rewardId":"free-vend"},"idempotencyKey":"k"}', 400],
      ['POST', path('rdm-hostile'), { rewardId: 'free-vend', idempotencyKey: 'k'.repeat(200) }, 400],
      ['POST', path('rdm-hostile'), { rewardId: ['free-vend'], idempotencyKey: 'k' }, 400],
      ['POST', path('rdm-hostile'), 'not json', 400],
      ['POST', path('rdm-hostile'), { rewardId: 'free-vend', idempotencyKey: 'k', extra: 'x'.repeat(1_100_000) }, 413],
      ['POST', `${path('rdm-hostile')}/${encodeURIComponent('a#b')}/reverse`, { reason: 'r' }, 400],
      ['POST', `${path('rdm-hostile')}/unknown-key/reverse`, { reason: 'r' }, 404],
      ['GET', `${path('rdm-hostile')}?cursor=forged.${'A'.repeat(43)}`, undefined, 400],
      ['GET', path('rdm-nobody'), undefined, 404],
    ];
    for (const [method, target, body, status] of cases) {
      const answer = await local.admin(method, target, body);
      expect([method, target, answer.status]).toEqual([method, target, status]);
    }
    const wrongType = await local.admin(
      'POST',
      path('rdm-hostile'),
      { rewardId: 'free-vend', idempotencyKey: 'k' },
      { contentType: 'text/plain' },
    );
    expect(wrongType.status).toBe(415);
  });

  test('an erased customer answers 410; its redemptions were in its export', async () => {
    const ERIN = 'rdm-erin';
    await local.admin('PUT', `/admin/users/${ERIN}`, { name: 'Erin' });
    await local.admin('POST', `/admin/users/${ERIN}/adjustments`, { points: 300, reason: 'bonus', idempotencyKey: `rdm-${randomUUID()}` });
    expect((await local.admin('POST', path(ERIN), { rewardId: 'free-vend', idempotencyKey: 'erin-1' })).status).toBe(201);
    const profile = await local.admin('GET', `/admin/users/${ERIN}/export`);
    expect(profile.body.redemptions).toEqual([expect.objectContaining({ redemptionId: 'erin-1', points: 300 })]);
    const erased = await local.admin('POST', `/admin/users/${ERIN}/erase`, { reason: 'test: asked to be forgotten' });
    expect(erased).toMatchObject({ status: 200, body: { complete: true, moved: { redemptions: 1, adjustments: 1 } } });
    expect((await local.admin('POST', path(ERIN), { rewardId: 'free-vend', idempotencyKey: 'erin-2' })).status).toBe(410);
    expect((await local.admin('GET', path(ERIN))).status).toBe(410);
    expect((await local.admin('POST', `${path(ERIN)}/erin-1/reverse`, { reason: 'r' })).status).toBe(410);
  });
});
