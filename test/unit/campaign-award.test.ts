import fc from 'fast-check';
import type { Campaign, CampaignSettings, CampaignVersion } from '../../shared/domain/campaigns';
import { type LoyaltyAccount, newAccount, planAward, planReversal } from '../../shared/domain/loyalty';
import { DEFAULT_PROGRAM } from '../../shared/domain/program';
import { CachedCampaignSource } from '../../shared/ingest/campaign-cache';
import { ingestRecord } from '../../shared/ingest/ingest-sale';
import { memoryIngest } from '../support/fakes';

const coffeeMornings: Campaign = {
  id: 'cmp-0000000000000001',
  version: 1,
  name: 'Double points on coffee at VEND-001, weekdays 7–10',
  reward: { kind: 'multiplier', factor: 2 },
  when: { products: ['*coffee*'], machines: ['VEND-001'], daysOfWeek: [1, 2, 3, 4, 5], hours: { from: 7, to: 10 } },
  caps: { perCustomerPerDay: 60 },
  stacking: 'best_of',
};
// Monday 2 June 2025, 08:30 UTC.
const mondayMorning = '2025-06-02T08:30:00Z';
const settings = (campaigns: Campaign[]): CampaignSettings => ({ timeZone: 'UTC', machineGroups: {}, campaigns });
const coffee = { product: 'Flat White Coffee', machineId: 'VEND-001', date: mondayMorning };

describe('an award under campaigns', () => {
  test('double points on a matching sale, recorded with the version; capped per day; the next day starts again', () => {
    const first = planAward(newAccount('pat'), 350, DEFAULT_PROGRAM, { sale: coffee, settings: settings([coffeeMornings]) });
    expect(first).toMatchObject({ purchasePoints: 35, campaignPoints: 35, totalPoints: 35 + 35, campaignDay: '2025-06-02' });
    expect(first.campaigns).toEqual([{ campaignId: coffeeMornings.id, version: 1, points: 35, daily: true }]);
    expect(first.after.campaignUsage?.[coffeeMornings.id]).toMatchObject({ points: 35, days: { '2025-06-02': 35 } });

    const second = planAward(first.after, 350, DEFAULT_PROGRAM, { sale: coffee, settings: settings([coffeeMornings]) });
    expect(second.campaignPoints).toBe(25);
    const third = planAward(second.after, 350, DEFAULT_PROGRAM, { sale: coffee, settings: settings([coffeeMornings]) });
    expect(third.campaignPoints).toBe(0);
    expect(third.campaigns).toEqual([]);

    const tuesday = planAward(third.after, 350, DEFAULT_PROGRAM, {
      sale: { ...coffee, date: '2025-06-03T08:30:00Z' },
      settings: settings([coffeeMornings]),
    });
    expect(tuesday.campaignPoints).toBe(35);
  });

  test('no campaign in force: the award is the program’s alone, and the account gains no usage', () => {
    const plan = planAward(newAccount('pat'), 350, DEFAULT_PROGRAM, { sale: coffee, settings: settings([]) });
    expect(plan).toMatchObject({ totalPoints: 35, campaignPoints: 0, campaigns: [] });
    expect(plan.after.campaignUsage).toBeUndefined();
  });

  const campaignArb: fc.Arbitrary<Campaign> = fc.record({
    id: fc.constantFrom('a', 'b', 'c'),
    version: fc.integer({ min: 1, max: 3 }),
    name: fc.constant('c'),
    reward: fc.oneof(
      fc.record({ kind: fc.constant('multiplier' as const), factor: fc.double({ min: 1.1, max: 25, noNaN: true }) }),
      fc.record({ kind: fc.constant('bonus' as const), points: fc.integer({ min: 1, max: 300 }) }),
      fc.record({
        kind: fc.constant('punch_card' as const),
        purchases: fc.integer({ min: 2, max: 4 }),
        bonusPoints: fc.integer({ min: 1, max: 300 }),
      }),
    ),
    when: fc.record({ products: fc.option(fc.constant(['*coffee*']), { nil: undefined }) }),
    caps: fc.option(
      fc.record({
        perCustomerPerDay: fc.option(fc.integer({ min: 1, max: 200 }), { nil: undefined }),
        perCustomer: fc.option(fc.integer({ min: 1, max: 600 }), { nil: undefined }),
      }),
      { nil: undefined },
    ),
    stacking: fc.constantFrom('additive' as const, 'best_of' as const),
  });

  test('property: a reversal undoes exactly what its sale earned under the campaigns that applied, and caps hold over any run', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(campaignArb, { selector: (c) => c.id, maxLength: 3 }),
        fc.array(fc.record({ cents: fc.integer({ min: 1, max: 5_000 }), product: fc.constantFrom('Coffee', 'Tea') }), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.nat(),
        (campaigns, sales, pick) => {
          let account: LoyaltyAccount = newAccount('pat');
          const plans = sales.map(({ cents, product }) => {
            const plan = planAward(account, cents, DEFAULT_PROGRAM, { sale: { ...coffee, product }, settings: settings(campaigns) });
            account = plan.after;
            return plan;
          });
          for (const campaign of campaigns) {
            const earned = plans.flatMap((p) => p.campaigns).filter((a) => a.campaignId === campaign.id);
            const total = earned.reduce((sum, a) => sum + a.points, 0);
            if (campaign.caps?.perCustomer !== undefined) expect(total).toBeLessThanOrEqual(campaign.caps.perCustomer);
            if (campaign.caps?.perCustomerPerDay !== undefined) expect(total).toBeLessThanOrEqual(campaign.caps.perCustomerPerDay);
          }
          expect(account.points).toBe(plans.reduce((sum, p) => sum + p.totalPoints, 0));

          // Reversing the last sale restores the standing before it, campaign usage included (the card reopens at
          // its last punch, as the program's own card does).
          const last = plans.at(-1)!;
          const reversed = planReversal(
            last.after,
            { points: last.totalPoints, bonusPoints: last.bonusPoints, campaigns: last.campaigns, campaignDay: last.campaignDay },
            DEFAULT_PROGRAM,
          );
          expect(reversed.points).toBe(last.before.points);
          expect(reversed.lifetimePoints).toBe(last.before.lifetimePoints);
          for (const applied of last.campaigns) {
            const before = last.before.campaignUsage?.[applied.campaignId];
            const back = reversed.campaignUsage?.[applied.campaignId];
            expect(back?.points ?? 0).toBe(before?.points ?? 0);
            expect(back?.days['2025-06-02'] ?? 0).toBe(before?.days['2025-06-02'] ?? 0);
            expect(back?.cardsCompleted ?? 0).toBe(before?.cardsCompleted ?? 0);
            if (!applied.punch?.completed) expect(back?.punches ?? 0).toBe(before?.punches ?? 0);
          }
          // Any sale's reversal never takes campaign usage below zero.
          const any = plans[pick % plans.length]!;
          const undone = planReversal(
            account,
            { points: any.totalPoints, bonusPoints: any.bonusPoints, campaigns: any.campaigns, campaignDay: any.campaignDay },
            DEFAULT_PROGRAM,
          );
          for (const use of Object.values(undone.campaignUsage ?? {})) {
            expect(use.points).toBeGreaterThanOrEqual(0);
            expect(use.punches).toBeGreaterThanOrEqual(0);
            for (const n of Object.values(use.days)) expect(n).toBeGreaterThanOrEqual(0);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the campaigns as the ingest path sees them', () => {
  const version = (campaign: Campaign, validFrom: string, validTo?: string): CampaignVersion => ({ campaign, validFrom, validTo });

  test('a sale is awarded under the versions in force at its date, and records them', async () => {
    const { deps, ledger, clock } = memoryIngest();
    clock.advance(Date.parse('2025-06-03T00:00:00Z') - clock.now().getTime());
    const doubled = { ...coffeeMornings, caps: undefined };
    const tripled: Campaign = { ...doubled, version: 2, reward: { kind: 'multiplier', factor: 3 } };
    deps.campaigns = {
      versions: async () => [version(doubled, '2025-06-01T00:00:00Z', '2025-06-02T09:00:00Z'), version(tripled, '2025-06-02T09:00:00Z')],
    };
    const sale = (transactionId: string, date: string) => ({
      transactionId,
      date,
      amount: 350,
      cardNumber: '4111 1111 1111 1111',
      product: 'Coffee',
      machineId: 'VEND-001',
    });
    const origin = { kind: 'admin' as const, action: 'test' };
    await expect(ingestRecord(sale('t-before', '2025-06-02T08:59:59Z'), origin, 'k1', deps)).resolves.toBe('awarded');
    await expect(ingestRecord(sale('t-after', '2025-06-02T09:00:00Z'), origin, 'k2', deps)).resolves.toBe('awarded');
    await expect(ingestRecord(sale('t-outside', '2025-06-02T11:00:00Z'), origin, 'k3', deps)).resolves.toBe('awarded');
    expect(ledger.accounts.get('pat')?.points).toBe(70 + 105 + 35);
    const plans = ['t-before', 't-after', 't-outside'].map((id) => ledger.sales.get(id)?.plan);
    expect(plans.map((p) => p?.totalPoints)).toEqual([70, 105, 35]);
    expect(plans.map((p) => p?.campaigns.map((c) => c.version))).toEqual([[1], [2], []]);
  });
});

describe('the campaign cache', () => {
  test('loads once per period for every caller, again after it, and never keeps a failed load', async () => {
    let now = 0;
    let loads = 0;
    let fail = false;
    const cache = new CachedCampaignSource(
      {
        versions: async () => {
          loads += 1;
          if (fail) throw new Error('throttled');
          return [];
        },
      },
      15_000,
      () => now,
    );
    await Promise.all(Array.from({ length: 20 }, () => cache.versions()));
    expect(loads).toBe(1);
    now = 14_999;
    await cache.versions();
    expect(loads).toBe(1);
    now = 15_000;
    fail = true;
    await expect(cache.versions()).rejects.toThrow('throttled');
    fail = false;
    await cache.versions();
    expect(loads).toBe(3);
  });
});
