import * as fc from 'fast-check';
import {
  type Campaign,
  type CampaignSettings,
  campaignPoints,
  localTime,
  matchesProduct,
  meetsCampaign,
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
const noUsage = { customerToday: {}, total: {} };

describe('campaign rules', () => {
  test('double points on coffee at VEND-001 weekdays 7–10, in the program time zone', () => {
    // Monday 2 June 2025, 08:30 in London is 07:30 UTC (summer time).
    const sale = { product: 'Large Coffee', machineId: 'VEND-001', date: '2025-06-02T07:30:00Z' };
    expect(campaignPoints(sale, 35, settings([coffeeMornings]), noUsage)).toEqual({
      points: 35,
      applied: [{ campaignId: 'coffee-mornings', version: 1, points: 35 }],
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
    ),
    when: fc.record({ products: fc.option(fc.constant(['*coffee*'] as string[]), { nil: undefined }) }),
    caps: fc.option(
      fc.record({
        perCustomerPerDay: fc.option(fc.integer({ min: 0, max: 200 }), { nil: undefined }),
        total: fc.option(fc.integer({ min: 0, max: 1_000 }), { nil: undefined }),
      }),
      { nil: undefined },
    ),
    stacking: fc.constantFrom('additive' as const, 'best_of' as const),
  });
  const usageArb = fc.record({
    customerToday: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: 0, max: 300 })),
    total: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: 0, max: 1_500 })),
  });

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
            expect(applied.points).toBeGreaterThan(0);
            expect(applied.version).toBe(campaign.version);
            if (campaign.caps?.perCustomerPerDay !== undefined)
              expect((usage.customerToday[campaign.id] ?? 0) + applied.points).toBeLessThanOrEqual(campaign.caps.perCustomerPerDay);
            if (campaign.caps?.total !== undefined)
              expect((usage.total[campaign.id] ?? 0) + applied.points).toBeLessThanOrEqual(campaign.caps.total);
          }
          expect(
            result.applied.filter((a) => campaigns.find((c) => c.id === a.campaignId)!.stacking === 'best_of').length,
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
