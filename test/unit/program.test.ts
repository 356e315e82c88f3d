import fc from 'fast-check';
import { DEFAULT_PROGRAM, loadProgramConfig, type ProgramConfig, purchasePoints, tierFor } from '../../shared/domain/program';

describe('program rules', () => {
  test.each([
    [350, 35],
    [99, 9],
    [1, 0],
    [100, 10],
    [100_000, 10_000],
  ])('%i cents earn %i points', (cents, points) => {
    expect(purchasePoints(cents, 'Bronze', DEFAULT_PROGRAM)).toBe(points);
  });

  test('property: points are floor(cents * 10 / 100), never negative, and grow with the amount', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 100_000 }), (a, b) => {
        const pa = purchasePoints(a, 'Bronze', DEFAULT_PROGRAM);
        expect(pa).toBe(Math.floor((a * 10) / 100));
        expect(Number.isInteger(pa) && pa >= 0).toBe(true);
        if (a <= b) expect(pa).toBeLessThanOrEqual(purchasePoints(b, 'Bronze', DEFAULT_PROGRAM));
      }),
    );
  });

  test('property: a tier multiplier scales the points and still floors to an integer', () => {
    const program: ProgramConfig = {
      ...DEFAULT_PROGRAM,
      tiers: DEFAULT_PROGRAM.tiers.map((t) => (t.name === 'Gold' ? { ...t, multiplier: 1.5 } : t)),
    };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), (cents) => {
        const gold = purchasePoints(cents, 'Gold', program);
        expect(gold).toBe(Math.floor((cents * 10 * 1.5) / 100));
        expect(gold).toBeGreaterThanOrEqual(purchasePoints(cents, 'Bronze', program));
      }),
    );
  });

  test.each([
    [0, 'Bronze'],
    [499, 'Bronze'],
    [500, 'Silver'],
    [1_999, 'Silver'],
    [2_000, 'Gold'],
    [4_999, 'Gold'],
    [5_000, 'Platinum'],
    [1_000_000, 'Platinum'],
  ])('%i lifetime points is %s', (points, tier) => {
    expect(tierFor(points, DEFAULT_PROGRAM)).toBe(tier);
  });

  test('overrides merge over the defaults and are validated', () => {
    expect(loadProgramConfig(JSON.stringify({ pointsPerDollar: 20 })).pointsPerDollar).toBe(20);
    expect(loadProgramConfig(undefined)).toBe(DEFAULT_PROGRAM);
    expect(() => loadProgramConfig(JSON.stringify({ pointsPerDollar: 0 }))).toThrow(/pointsPerDollar/);
    expect(() => loadProgramConfig(JSON.stringify({ tiers: [{ name: 'Silver', minLifetimePoints: 10, multiplier: 1 }] }))).toThrow(
      /first tier must start at 0/,
    );
  });

  test('sales are kept with the account unless retention.salesDays says how long (at least 30 days)', () => {
    expect(DEFAULT_PROGRAM.retention.salesDays).toBeNull();
    expect(loadProgramConfig(JSON.stringify({ retention: { salesDays: 2_555 } })).retention.salesDays).toBe(2_555);
    expect(() => loadProgramConfig(JSON.stringify({ retention: { salesDays: 7 } }))).toThrow(/salesDays/);
    expect(() => loadProgramConfig(JSON.stringify({ retention: { salesDays: 'forever' } }))).toThrow(/salesDays/);
  });
});

describe('the loyalty program policies', () => {
  test('a sales retention shorter than what expiry or requalification reads is refused at start-up', () => {
    expect(() => loadProgramConfig('{"retention":{"salesDays":90},"expiry":{"mode":"age","days":365,"noticeDays":14}}')).toThrow(
      /retention.salesDays must be at least expiry.days/,
    );
    expect(() =>
      loadProgramConfig('{"retention":{"salesDays":90},"requalification":{"windowMonths":12,"downgrade":"one_down","noticeDays":30}}'),
    ).toThrow(/must cover requalification.windowMonths/);
    expect(loadProgramConfig('{"retention":{"salesDays":400},"expiry":{"mode":"age","days":365,"noticeDays":14}}').expiry.days).toBe(365);
  });
});
