import * as fc from 'fast-check';
import {
  type Campaign,
  type CampaignSettings,
  type CampaignUsage,
  type CampaignVersion,
  campaignPoints,
  campaignsInForce,
  localTime,
  matchesProduct,
  meetsCampaign,
  withCampaignUse,
  withoutCampaignUse,
} from '../../shared/domain/campaigns';

const coffeeMornings: Campaign = {
  id: 'coffee-mornings',
  version: 1,
  name: 'Double points on coffee at VEND-001, weekdays 7–10',
  reward: { kind: 'multiplier', factor: 2 },
  when: { products: ['*coffee*'], machines: ['VEND-001'], daysOfWeek: [1, 2, 3, 4, 5], hours: { from: 7, to: 10 } },
  stacking: 'best_of',
};
const settings = (campaigns: Campaign[]): CampaignSettings => ({
  timeZone: 'Europe/London',
  machineGroups: { lobby: ['VEND-001', 'VEND-002'] },
  campaigns,
});
const noUsage: CampaignUsage = {};

describe('campaign rules', () => {
  test('double points on coffee at VEND-001 weekdays 7–10, in the program time zone', () => {
    // Monday 2 June 2025, 08:30 in London is 07:30 UTC (summer time).
    const sale = { product: 'Large Coffee', machineId: 'VEND-001', date: '2025-06-02T07:30:00Z' };
    expect(campaignPoints(sale, 35, settings([coffeeMornings]), noUsage)).toEqual({
      points: 35,
      applied: [{ campaignId: 'coffee-mornings', version: 1, points: 35 }],
      day: '2025-06-02',
      processedDay: '2025-06-02',
    });
    // 06:30 London: before the hours. Saturday: not a weekday. Tea: not coffee. VEND-002: another machine.
    expect(campaignPoints({ ...sale, date: '2025-06-02T05:30:00Z' }, 35, settings([coffeeMornings]), noUsage).points).toBe(0);
    expect(campaignPoints({ ...sale, date: '2025-06-07T07:30:00Z' }, 35, settings([coffeeMornings]), noUsage).points).toBe(0);
    expect(campaignPoints({ ...sale, product: 'Tea' }, 35, settings([coffeeMornings]), noUsage).points).toBe(0);
    expect(campaignPoints({ ...sale, machineId: 'VEND-002' }, 35, settings([coffeeMornings]), noUsage).points).toBe(0);
  });

  test('machine groups, date ranges and hours over midnight', () => {
    const night: Campaign = {
      id: 'night',
      version: 3,
      name: 'Night owls',
      reward: { kind: 'bonus', points: 20 },
      when: { machines: ['group:lobby'], hours: { from: 22, to: 2 }, dates: { from: '2025-01-01', to: '2025-01-31' } },
      stacking: 'additive',
    };
    const at = (date: string, machineId = 'VEND-002') => meetsCampaign(night, { product: 'Crisps', machineId, date }, settings([night]));
    expect(at('2025-01-10T23:30:00Z')).toBe(true);
    expect(at('2025-01-10T01:30:00Z')).toBe(true);
    expect(at('2025-01-10T02:00:00Z')).toBe(false);
    expect(at('2025-01-10T23:30:00Z', 'VEND-999')).toBe(false);
    expect(at('2025-02-01T23:30:00Z')).toBe(false);
  });

  test('a punch card campaign: every third coffee at the lobby machines earns 40 points, always added', () => {
    const card: Campaign = {
      id: 'lobby-card',
      version: 2,
      name: 'Third lobby coffee',
      reward: { kind: 'punch_card', purchases: 3, bonusPoints: 40 },
      when: { products: ['*coffee*'], machines: ['group:lobby'] },
      stacking: 'best_of',
    };
    const sale = { product: 'Coffee', machineId: 'VEND-002', date: '2025-06-02T12:00:00Z' };
    let usage: CampaignUsage = {};
    const earned: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const result = campaignPoints(sale, 20, settings([card]), usage);
      earned.push(result.points);
      usage = withCampaignUse(usage, result.applied, result.day);
    }
    expect(earned).toEqual([0, 0, 40, 0, 0, 40]);
    expect(usage['lobby-card']).toMatchObject({ points: 80, punches: 0, cardsCompleted: 2 });
    expect(campaignPoints({ ...sale, product: 'Tea' }, 20, settings([card]), usage).applied).toEqual([]);
  });

  test('a day cap counts the recent days only; a sale older than those earns nothing from that campaign', () => {
    const capped: Campaign = { ...coffeeMornings, caps: { perCustomerPerDay: 100 }, when: {} };
    const uncapped: Campaign = { ...coffeeMornings, id: 'uncapped', stacking: 'additive', when: {} };
    const sale = (date: string, processedAt = date) => ({ product: 'Coffee', machineId: 'VEND-001', date, processedAt });
    let usage: CampaignUsage = {};
    for (const date of ['2025-06-01T12:00:00Z', '2025-06-20T12:00:00Z']) {
      const result = campaignPoints(sale(date), 10, { ...settings([capped, uncapped]), timeZone: 'UTC' }, usage);
      usage = withCampaignUse(usage, result.applied, result.day);
    }
    // Only the last USAGE_DAYS_KEPT days of the capped campaign are kept; the uncapped one keeps no days at all.
    expect(Object.keys(usage[capped.id]!.days)).toEqual(['2025-06-20']);
    expect(usage.uncapped!.days).toEqual({});
    const late = (date: string) =>
      campaignPoints(sale(date, '2025-06-20T13:00:00Z'), 10, { ...settings([capped, uncapped]), timeZone: 'UTC' }, usage).applied.map(
        (a) => a.campaignId,
      );
    expect(late('2025-06-07T12:00:00Z')).toEqual(['uncapped', capped.id]);
    expect(late('2025-06-06T12:00:00Z')).toEqual(['uncapped']);
    // A sale dated far ahead of its processing (a machine's clock gone wrong) earns nothing and keeps nothing.
    const ahead = campaignPoints(sale('2035-06-01T12:00:00Z', '2025-06-20T13:00:00Z'), 10, settings([capped, uncapped]), usage);
    expect(ahead).toMatchObject({ points: 0, applied: [] });
  });

  test('the versions in force at a sale date, one per campaign', () => {
    const v = (version: number, validFrom: string, validTo?: string): CampaignVersion => ({
      campaign: { ...coffeeMornings, version },
      validFrom,
      validTo,
    });
    const versions = [v(1, '2025-06-01T00:00:00Z', '2025-06-03T00:00:00Z'), v(2, '2025-06-03T00:00:00Z')];
    expect(campaignsInForce(versions, '2025-05-31T23:59:59Z')).toEqual([]);
    expect(campaignsInForce(versions, '2025-06-02T08:00:00Z').map((c) => c.version)).toEqual([1]);
    expect(campaignsInForce(versions, '2025-06-03T00:00:00Z').map((c) => c.version)).toEqual([2]);
    expect(campaignsInForce([v(1, '2025-06-01T00:00:00Z', '2025-06-02T00:00:00Z')], '2025-06-05T00:00:00Z')).toEqual([]);
  });

  test('local time follows the zone, summer time included', () => {
    expect(localTime('2025-06-02T23:30:00Z', 'Europe/London')).toEqual({ day: '2025-06-03', weekday: 2, hour: 0 });
    expect(localTime('2025-01-06T23:30:00Z', 'Europe/London')).toEqual({ day: '2025-01-06', weekday: 1, hour: 23 });
  });

  const campaignArb = fc.record({
    id: fc.constantFrom('a', 'b', 'c', 'd'),
    version: fc.integer({ min: 1, max: 5 }),
    name: fc.constant('campaign'),
    reward: fc.oneof(
      fc.record({ kind: fc.constant('multiplier' as const), factor: fc.double({ min: 0, max: 25, noNaN: true }) }),
      fc.record({ kind: fc.constant('bonus' as const), points: fc.integer({ min: -10, max: 500 }) }),
      fc.record({
        kind: fc.constant('punch_card' as const),
        purchases: fc.integer({ min: 1, max: 6 }),
        bonusPoints: fc.integer({ min: 0, max: 300 }),
      }),
    ),
    when: fc.record({ products: fc.option(fc.constant(['*coffee*'] as string[]), { nil: undefined }) }),
    caps: fc.option(
      fc.record({
        perCustomerPerDay: fc.option(fc.integer({ min: 0, max: 200 }), { nil: undefined }),
        perCustomer: fc.option(fc.integer({ min: 0, max: 1_000 }), { nil: undefined }),
      }),
      { nil: undefined },
    ),
    stacking: fc.constantFrom('additive' as const, 'best_of' as const),
  });
  const useArb = fc
    .record({
      today: fc.integer({ min: 0, max: 300 }),
      earlier: fc.integer({ min: 0, max: 1_200 }),
      punches: fc.integer({ min: 0, max: 5 }),
      cardsCompleted: fc.integer({ min: 0, max: 9 }),
    })
    .map(({ today, earlier, punches, cardsCompleted }) => ({
      points: today + earlier,
      days: { '2025-06-01': earlier, '2025-06-02': today },
      punches,
      cardsCompleted,
    }));
  const usageArb: fc.Arbitrary<CampaignUsage> = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), useArb);

  test('property: points are never negative, never exceed a cap, and best-of campaigns count once', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(campaignArb, { selector: (c) => c.id, maxLength: 4 }),
        fc.integer({ min: 0, max: 10_000 }),
        usageArb,
        fc.constantFrom('Large Coffee', 'Tea'),
        (campaigns, purchasePoints, usage, product) => {
          const sale = { product, machineId: 'VEND-001', date: '2025-06-02T07:30:00Z' };
          const result = campaignPoints(sale, purchasePoints, settings(campaigns), usage);
          expect(result.points).toBeGreaterThanOrEqual(0);
          expect(result.points).toBe(result.applied.reduce((sum, a) => sum + a.points, 0));
          for (const applied of result.applied) {
            const campaign = campaigns.find((c) => c.id === applied.campaignId)!;
            if (campaign.reward.kind !== 'punch_card') expect(applied.points).toBeGreaterThan(0);
            expect(applied.points).toBeGreaterThanOrEqual(0);
            expect(applied.version).toBe(campaign.version);
            const use = usage[campaign.id];
            if (campaign.caps?.perCustomerPerDay !== undefined && applied.points > 0)
              expect((use?.days['2025-06-02'] ?? 0) + applied.points).toBeLessThanOrEqual(campaign.caps.perCustomerPerDay);
            if (campaign.caps?.perCustomer !== undefined && applied.points > 0)
              expect((use?.points ?? 0) + applied.points).toBeLessThanOrEqual(campaign.caps.perCustomer);
          }
          // After the sale the usage still respects every cap, and reversing the sale restores it exactly.
          const after = withCampaignUse(usage, result.applied, result.day);
          for (const campaign of campaigns) {
            const before = usage[campaign.id];
            const now = after[campaign.id];
            if (!now || !before) continue;
            if (campaign.caps?.perCustomer !== undefined && now.points > before.points)
              expect(now.points).toBeLessThanOrEqual(campaign.caps.perCustomer);
          }
          const undone = withoutCampaignUse(after, result.applied, result.day);
          for (const applied of result.applied) {
            const before = usage[applied.campaignId];
            const back = undone[applied.campaignId]!;
            expect(back.points).toBe(before?.points ?? 0);
            expect(back.days['2025-06-02'] ?? 0).toBe(before?.days['2025-06-02'] ?? 0);
            if (!applied.punch?.completed) expect(back.punches).toBe(before?.punches ?? 0);
            expect(back.cardsCompleted).toBe(before?.cardsCompleted ?? 0);
          }
          expect(
            result.applied.filter((a) => {
              const campaign = campaigns.find((c) => c.id === a.campaignId)!;
              return campaign.stacking === 'best_of' && campaign.reward.kind !== 'punch_card';
            }).length,
          ).toBeLessThanOrEqual(1);
          // A campaign for coffee never applies to tea.
          if (product === 'Tea')
            for (const applied of result.applied) expect(campaigns.find((c) => c.id === applied.campaignId)!.when.products).toBeUndefined();
        },
      ),
      { numRuns: 500 },
    );
  });

  test('property: best-of gives the largest single offer, additive the sum', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 4 }), fc.boolean(), (bonuses, additive) => {
        const campaigns: Campaign[] = bonuses.map((points, i) => ({
          id: `c${i}`,
          version: 1,
          name: 'bonus',
          reward: { kind: 'bonus', points },
          when: {},
          stacking: additive ? 'additive' : 'best_of',
        }));
        const { points } = campaignPoints({ product: 'x', machineId: 'm', date: '2025-06-02T07:30:00Z' }, 10, settings(campaigns), noUsage);
        expect(points).toBe(additive ? bonuses.reduce((a, b) => a + b, 0) : Math.max(...bonuses));
      }),
    );
  });
});

describe('product patterns', () => {
  test('a pattern matches as a glob with * for any text, case ignored', () => {
    expect(matchesProduct('*coffee*', 'Large Coffee')).toBe(true);
    expect(matchesProduct('coffee', 'Large Coffee')).toBe(false);
    expect(matchesProduct('Large Coffee', 'large coffee')).toBe(true);
    expect(matchesProduct('l*e', 'Large Coffee')).toBe(true);
    expect(matchesProduct('*.*', 'Cola')).toBe(false);
    expect(matchesProduct('*', '')).toBe(true);
  });

  test('property: the same answers as an anchored regular expression of the glob', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'b', '*', '.', '('), maxLength: 8 }),
        fc.string({ unit: fc.constantFrom('a', 'b', '.', '('), maxLength: 12 }),
        (pattern, product) => {
          const regex = new RegExp(
            `^${pattern
              .split('*')
              .map((piece) => piece.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
              .join('.*')}$`,
            's',
          );
          expect(matchesProduct(pattern, product)).toBe(regex.test(product));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  test('a pattern of many stars on a long product is answered at once', () => {
    const started = Date.now();
    expect(matchesProduct(`${'*a'.repeat(60)}*b`, 'a'.repeat(256))).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
