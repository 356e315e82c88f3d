import * as fc from 'fast-check';
import {
  type DueCustomer,
  lotsAndSpending,
  type PointsMovement,
  reviewDueCustomer,
  type SentNotice,
  upcomingExpiries,
} from '../../shared/domain/due-review';
import { expiringPoints } from '../../shared/domain/expiry';
import { newAccount } from '../../shared/domain/loyalty';
import { DEFAULT_PROGRAM, type ProgramConfig, TIER_NAMES, type TierName } from '../../shared/domain/program';

const DAY = 86_400_000;
const NOW = new Date('2026-06-01T12:00:00Z');
const ago = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();

const program = (overrides: Partial<ProgramConfig> = {}): ProgramConfig => ({
  ...DEFAULT_PROGRAM,
  expiry: { mode: 'age', days: 365, noticeDays: 14 },
  requalification: { windowMonths: 12, downgrade: 'one_down', noticeDays: 30 },
  ...overrides,
});

const sale = (daysAgo: number, points: number, status: 'awarded' | 'reversed' = 'awarded'): PointsMovement => ({
  kind: 'sale',
  status,
  points,
  earnedAt: ago(daysAgo),
  awardedAt: ago(daysAgo),
});

/** An account whose balance is what its history leaves. */
function customerOf(
  movements: PointsMovement[],
  tier: TierName = 'Bronze',
  notices: SentNotice[] = [],
  nextReviewAt?: string,
): DueCustomer {
  const { lots, spent } = lotsAndSpending(movements);
  const points = lots.reduce((sum, lot) => sum + lot.points, 0) - spent;
  return { account: { ...newAccount('u1'), points, lifetimePoints: points, tier, version: 3 }, movements, notices, nextReviewAt };
}

const movementArb: fc.Arbitrary<PointsMovement> = fc.oneof(
  fc.record({
    kind: fc.constant('sale' as const),
    status: fc.constantFrom('awarded' as const, 'reversed' as const),
    points: fc.integer({ min: 0, max: 400 }),
    earnedAt: fc.integer({ min: 0, max: 900 }).map(ago),
  }),
  fc.record({
    kind: fc.constant('adjustment' as const),
    points: fc.integer({ min: -200, max: 200 }),
    at: fc.integer({ min: 0, max: 900 }).map(ago),
  }),
  fc.record({
    kind: fc.constant('redemption' as const),
    status: fc.constantFrom('issued' as const, 'reversed' as const),
    points: fc.integer({ min: 1, max: 300 }),
  }),
);
const policyArb = fc.record({
  mode: fc.constantFrom('age' as const, 'inactivity' as const, 'off' as const),
  days: fc.integer({ min: 1, max: 720 }),
  noticeDays: fc.integer({ min: 0, max: 60 }),
});
const requalificationArb = fc.record({
  windowMonths: fc.integer({ min: 1, max: 24 }),
  downgrade: fc.constantFrom('none' as const, 'one_down' as const, 'to_window' as const),
  noticeDays: fc.integer({ min: 0, max: 60 }),
});

/** The customer after a review's writes: its expiry in the history, the account after it, its notices sent. */
function afterReview(customer: DueCustomer, review: Extract<ReturnType<typeof reviewDueCustomer>, { kind: 'reviewed' }>): DueCustomer {
  const notices: SentNotice[] = review.notices.map((n) =>
    n.kind === 'points_expiring'
      ? { kind: n.kind, expiresAt: n.expiresAt, coversUntil: n.coversUntil }
      : { kind: n.kind, reviewAt: n.reviewAt, to: n.to },
  );
  return {
    ...customer,
    account: review.after,
    movements: [...customer.movements, ...(review.expiry ? [{ kind: 'expiry' as const, points: review.expiry.points }] : [])],
    notices: [...customer.notices, ...notices],
    nextReviewAt: review.nextReviewAt,
  };
}

describe('the due review of one customer', () => {
  test('by age: the lots older than the period expire at their instant, with the reason, and the next look is the next notice', () => {
    const customer = customerOf([sale(400, 100), sale(200, 50), { kind: 'redemption', status: 'issued', points: 30 }]);
    const review = reviewDueCustomer(customer, NOW, program({ requalification: DEFAULT_PROGRAM.requalification }));
    expect(review).toMatchObject({
      kind: 'reviewed',
      expiry: {
        at: new Date(Date.parse(ago(400)) + 365 * DAY).toISOString(),
        points: 70,
        balanceAfter: 50,
        reason: `points earned on or before ${ago(400).slice(0, 10)} expired after 365 days`,
      },
      after: { points: 50, version: 4 },
      notices: [],
      nextDueAt: new Date(Date.parse(ago(200)) + (365 - 14) * DAY).toISOString(),
    });
  });

  test('a reversed sale neither earns a lot nor spends one; a positive adjustment is a lot', () => {
    expect(
      lotsAndSpending([
        sale(10, 100, 'reversed'),
        { kind: 'adjustment', points: 20, at: ago(5) },
        { kind: 'adjustment', points: -5, at: ago(4) },
      ]),
    ).toEqual({
      lots: [{ earnedAt: ago(5), points: 20 }],
      spent: 5,
    });
  });

  test('a notice covers the expiries of the notice period after the first, once', () => {
    const customer = customerOf([sale(360, 10), sale(355, 20), sale(300, 40)]);
    const settings = program({ requalification: DEFAULT_PROGRAM.requalification });
    const review = reviewDueCustomer(customer, NOW, settings);
    if (review.kind !== 'reviewed') throw new Error(review.kind);
    expect(review.expiry).toBeUndefined();
    expect(review.notices).toEqual([
      {
        kind: 'points_expiring',
        points: 30,
        expiresAt: new Date(Date.parse(ago(360)) + 365 * DAY).toISOString(),
        lastExpiresAt: new Date(Date.parse(ago(355)) + 365 * DAY).toISOString(),
        coversUntil: new Date(Date.parse(ago(360)) + 379 * DAY).toISOString(),
      },
    ]);
    // Again: nothing more to tell; the next look is the first expiry.
    const again = reviewDueCustomer(afterReview(customer, review), NOW, settings);
    expect(again).toMatchObject({ notices: [], nextDueAt: review.notices[0]!.kind === 'points_expiring' && review.notices[0]!.expiresAt });
  });

  test('by inactivity: everything goes once nothing was earned for the period', () => {
    const review = reviewDueCustomer(
      customerOf([sale(100, 30), sale(95, 20)]),
      NOW,
      program({ expiry: { mode: 'inactivity', days: 90, noticeDays: 7 }, requalification: DEFAULT_PROGRAM.requalification }),
    );
    expect(review).toMatchObject({ expiry: { points: 50, balanceAfter: 0, at: new Date(Date.parse(ago(95)) + 90 * DAY).toISOString() } });
    expect(review.kind === 'reviewed' && review.nextDueAt).toBeUndefined();
  });

  test('a downgrade is told noticeDays before the review, and happens at it', () => {
    const settings = program({ expiry: DEFAULT_PROGRAM.expiry });
    const customer = customerOf([sale(500, 2_100), sale(20, 100)], 'Gold');
    // First look: the review that would drop the tier waits its notice.
    const first = reviewDueCustomer(customer, NOW, settings);
    if (first.kind !== 'reviewed') throw new Error(first.kind);
    expect(first.downgrade).toBeUndefined();
    const reviewAt = new Date(NOW.getTime() + 30 * DAY).toISOString();
    expect(first.notices).toEqual([{ kind: 'tier_will_downgrade', reviewAt, from: 'Gold', to: 'Silver', pointsNeeded: 1_900 }]);
    expect(first).toMatchObject({ nextReviewAt: reviewAt, nextDueAt: reviewAt });
    // At the review: down one tier, and the next review's notice is owed at once.
    const atReview = new Date(reviewAt);
    const second = reviewDueCustomer(afterReview(customer, first), atReview, settings);
    expect(second).toMatchObject({
      downgrade: { at: reviewAt, from: 'Gold', to: 'Silver', pointsInWindow: 100 },
      after: { tier: 'Silver', version: 4 },
      nextReviewAt: new Date(atReview.getTime() + 30 * DAY).toISOString(),
      notices: [{ kind: 'tier_will_downgrade', from: 'Silver', to: 'Bronze', pointsNeeded: 400 }],
    });
  });

  test('a sales index behind the last award is looked at again, not reviewed', () => {
    const customer = { ...customerOf([sale(400, 100)]), lastSaleAt: new Date(NOW.getTime() - 1_000).toISOString() };
    expect(reviewDueCustomer(customer, NOW, program())).toEqual({ kind: 'history_behind' });
  });

  test('property: an expiry never takes more than the balance, never points earned within the period, and only once', () => {
    fc.assert(
      fc.property(fc.array(movementArb, { maxLength: 14 }), fc.integer({ min: -50, max: 200 }), policyArb, (movements, drift, expiry) => {
        const settings = program({ expiry, requalification: DEFAULT_PROGRAM.requalification });
        const base = customerOf(movements);
        // The stored balance may disagree with the history (records removed, index behind): by `drift`.
        const customer = { ...base, account: { ...base.account, points: base.account.points + drift } };
        const review = reviewDueCustomer(customer, NOW, settings);
        if (review.kind !== 'reviewed') throw new Error(review.kind);
        const expired = review.expiry?.points ?? 0;
        expect(expired).toBeGreaterThanOrEqual(0);
        expect(expired).toBeLessThanOrEqual(Math.max(0, customer.account.points));
        expect(review.after.points).toBe(customer.account.points - expired);
        if (expiry.mode === 'age') {
          const { lots } = lotsAndSpending(movements);
          const old = lots.filter((lot) => Date.parse(lot.earnedAt) <= NOW.getTime() - expiry.days * DAY).reduce((s, l) => s + l.points, 0);
          expect(expired).toBeLessThanOrEqual(old);
        }
        if (expiry.mode === 'off') expect(expired).toBe(0);
        if (review.expiry) expect(Date.parse(review.expiry.at)).toBeLessThanOrEqual(NOW.getTime());
        if (review.nextDueAt) expect(Date.parse(review.nextDueAt)).toBeGreaterThan(NOW.getTime());
        // The same review run again on what it wrote expires nothing more and tells nothing again.
        const again = reviewDueCustomer(afterReview(customer, review), NOW, settings);
        if (again.kind !== 'reviewed') throw new Error(again.kind);
        expect(again.expiry).toBeUndefined();
        expect(again.notices).toEqual([]);
      }),
    );
  });

  test('property: the upcoming expiries add up to what is left, each when expiringPoints says', () => {
    fc.assert(
      fc.property(
        fc.array(movementArb, { maxLength: 12 }),
        fc.integer({ min: 1, max: 720 }),
        fc.constantFrom('age' as const, 'inactivity' as const),
        (movements, days, mode) => {
          const { lots, spent } = lotsAndSpending(movements);
          const upcoming = upcomingExpiries(lots, spent, { mode, days });
          const left = Math.max(0, lots.reduce((s, l) => s + l.points, 0) - spent);
          expect(upcoming.reduce((s, e) => s + e.points, 0)).toBe(left);
          let total = 0;
          for (const next of upcoming) {
            total += next.points;
            expect(expiringPoints(lots, spent, new Date(next.at), { mode, days })).toBe(total);
          }
        },
      ),
    );
  });

  test('property: a review never raises a tier, drops it only after a notice (when notices are on), and by the policy', () => {
    const tierArb = fc.constantFrom(...TIER_NAMES);
    fc.assert(
      fc.property(
        fc.array(movementArb, { maxLength: 12 }),
        tierArb,
        requalificationArb,
        fc.option(fc.integer({ min: -60, max: 60 }), { nil: undefined }),
        fc.boolean(),
        (movements, tier, requalification, reviewOffset, noticed) => {
          const settings = program({ expiry: DEFAULT_PROGRAM.expiry, requalification });
          const nextReviewAt = reviewOffset === undefined ? undefined : new Date(NOW.getTime() + reviewOffset * DAY).toISOString();
          const notices: SentNotice[] =
            noticed && nextReviewAt ? [{ kind: 'tier_will_downgrade', reviewAt: nextReviewAt, to: TIER_NAMES[0] }] : [];
          const customer = customerOf(movements, tier, notices, nextReviewAt);
          const review = reviewDueCustomer(customer, NOW, settings);
          if (review.kind !== 'reviewed') throw new Error(review.kind);
          const rank = (name: TierName) => TIER_NAMES.indexOf(name);
          expect(rank(review.after.tier)).toBeLessThanOrEqual(rank(tier));
          if (requalification.downgrade === 'none') expect(review.downgrade).toBeUndefined();
          if (requalification.downgrade === 'one_down') expect(rank(review.after.tier)).toBeGreaterThanOrEqual(rank(tier) - 1);
          if (review.downgrade) {
            expect(review.downgrade).toMatchObject({ from: tier, to: review.after.tier });
            if (requalification.noticeDays > 0) expect(notices).not.toHaveLength(0);
          }
          if (review.nextReviewAt) expect(Date.parse(review.nextReviewAt)).toBeGreaterThan(NOW.getTime());
          for (const notice of review.notices) {
            if (notice.kind !== 'tier_will_downgrade') continue;
            expect(rank(notice.to)).toBeLessThan(rank(notice.from));
            expect(notice.pointsNeeded).toBeGreaterThan(0);
          }
        },
      ),
    );
  });
});

describe('a sale awarded long after its date', () => {
  test('counts as earned no earlier than the notice period allows, so it is never expired unannounced', () => {
    const late = {
      kind: 'sale' as const,
      status: 'awarded' as const,
      points: 50,
      earnedAt: '2025-01-01T00:00:00.000Z',
      awardedAt: '2026-06-01T00:00:00.000Z',
    };
    expect(lotsAndSpending([late]).lots[0]!.earnedAt).toBe('2025-01-01T00:00:00.000Z');
    const { lots } = lotsAndSpending([late], { days: 365, noticeDays: 14 });
    expect(lots[0]!.earnedAt).toBe(new Date(Date.parse('2026-06-01T00:00:00.000Z') - (365 - 14) * 86_400_000).toISOString());
    const onTime = { ...late, earnedAt: '2026-05-31T00:00:00.000Z' };
    expect(lotsAndSpending([onTime], { days: 365, noticeDays: 14 }).lots[0]!.earnedAt).toBe('2026-05-31T00:00:00.000Z');
  });
});
