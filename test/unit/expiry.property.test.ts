import * as fc from 'fast-check';
import { type EarnedLot, expiringPoints, nextExpiry, remainingLots, requalifiedTier } from '../../shared/domain/expiry';
import { DEFAULT_PROGRAM, TIER_NAMES } from '../../shared/domain/program';

const DAY = 86_400_000;
const NOW = new Date('2026-06-01T12:00:00Z');
const lotArb = fc.record({
  earnedAt: fc.integer({ min: 0, max: 800 }).map((daysAgo) => new Date(NOW.getTime() - daysAgo * DAY).toISOString()),
  points: fc.integer({ min: 0, max: 500 }),
});
const balanceOf = (lots: EarnedLot[], spent: number) => Math.max(0, lots.reduce((sum, lot) => sum + lot.points, 0) - spent);

describe('points expiry', () => {
  test('by age: a lot older than the period expires, what was spent is taken from the oldest first', () => {
    const lots = [
      { earnedAt: '2025-01-01T00:00:00Z', points: 100 },
      { earnedAt: '2026-05-01T00:00:00Z', points: 50 },
    ];
    expect(expiringPoints(lots, 30, NOW, { mode: 'age', days: 365 })).toBe(70);
    expect(nextExpiry(lots, 30, { mode: 'age', days: 365 })).toBe('2026-01-01T00:00:00.000Z');
    expect(expiringPoints(lots, 0, NOW, { mode: 'off' })).toBe(0);
  });

  test('by inactivity: everything left expires once nothing was earned for the period', () => {
    const lots = [{ earnedAt: '2026-01-01T00:00:00Z', points: 80 }];
    expect(expiringPoints(lots, 10, NOW, { mode: 'inactivity', days: 90 })).toBe(70);
    expect(expiringPoints(lots, 10, NOW, { mode: 'inactivity', days: 180 })).toBe(0);
  });

  test('property: expiry never takes more than the balance, nor points earned within the period', () => {
    fc.assert(
      fc.property(
        fc.array(lotArb, { maxLength: 12 }),
        fc.integer({ min: 0, max: 3_000 }),
        fc.integer({ min: 1, max: 720 }),
        fc.constantFrom('age' as const, 'inactivity' as const),
        (lots, spent, days, mode) => {
          const expiring = expiringPoints(lots, spent, NOW, { mode, days });
          const balance = balanceOf(lots, spent);
          expect(expiring).toBeGreaterThanOrEqual(0);
          expect(expiring).toBeLessThanOrEqual(balance);
          const cutoff = NOW.getTime() - days * DAY;
          const recent = lots.filter((lot) => Date.parse(lot.earnedAt) > cutoff).reduce((sum, lot) => sum + lot.points, 0);
          // What stays is at least the recent lots, less what spending could have taken of them.
          if (mode === 'age') expect(balance - expiring).toBeGreaterThanOrEqual(Math.min(recent, balance));
          if (mode === 'inactivity' && recent > 0) expect(expiring).toBe(0);
          expect(remainingLots(lots, spent).reduce((sum, lot) => sum + lot.points, 0)).toBe(balance);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('tier requalification', () => {
  const tiers = DEFAULT_PROGRAM.tiers;

  test('the downgrade policies: none, one tier down, to the tier the window supports', () => {
    expect(requalifiedTier(tiers, 'Platinum', 0, 'none')).toBe('Platinum');
    expect(requalifiedTier(tiers, 'Platinum', 0, 'one_down')).toBe(tiers.at(-2)!.name);
    expect(requalifiedTier(tiers, 'Platinum', 0, 'to_window')).toBe('Bronze');
  });

  test('property: never raised, never below what the window supports, one_down at most one tier', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TIER_NAMES),
        fc.integer({ min: 0, max: 50_000 }),
        fc.constantFrom('none' as const, 'one_down' as const, 'to_window' as const),
        (current, points, policy) => {
          const rank = (name: string) => tiers.findIndex((t) => t.name === name);
          const after = rank(requalifiedTier(tiers, current, points, policy));
          const supported = tiers.reduce((best, t, i) => (points >= t.minLifetimePoints ? i : best), 0);
          expect(after).toBeLessThanOrEqual(rank(current));
          expect(after).toBeGreaterThanOrEqual(Math.min(supported, rank(current)));
          if (policy === 'none') expect(after).toBe(rank(current));
          if (policy === 'one_down') expect(rank(current) - after).toBeLessThanOrEqual(1);
        },
      ),
    );
  });
});
