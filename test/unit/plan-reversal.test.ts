import fc from 'fast-check';
import { type LoyaltyAccount, newAccount, planAward, planReversal } from '../../shared/domain/loyalty';
import { DEFAULT_PROGRAM } from '../../shared/domain/program';

const account = (standing: Partial<LoyaltyAccount>): LoyaltyAccount => ({ ...newAccount('pat'), ...standing });

describe('planReversal (a refund, pure)', () => {
  test('takes back the sale’s points and its punch, and bumps the version', () => {
    const before = account({ points: 100, lifetimePoints: 100, punchCount: 3, purchaseCount: 3, version: 4 });
    expect(planReversal(before, { points: 45, bonusPoints: 0 }, DEFAULT_PROGRAM)).toEqual({
      ...before,
      points: 55,
      lifetimePoints: 55,
      punchCount: 2,
      purchaseCount: 2,
      version: 5,
    });
  });

  test('a sale that completed a punch card reopens that card at its last punch and takes the bonus back', () => {
    const before = account({ points: 150, lifetimePoints: 150, punchCount: 0, punchCardsCompleted: 1, purchaseCount: 10, version: 10 });
    expect(planReversal(before, { points: 95, bonusPoints: 50 }, DEFAULT_PROGRAM)).toMatchObject({
      points: 55,
      lifetimePoints: 55,
      punchCount: DEFAULT_PROGRAM.punchCard.purchasesPerCard - 1,
      punchCardsCompleted: 0,
      purchaseCount: 9,
    });
  });

  test('a tier already reached is kept', () => {
    const before = account({ tier: 'Silver', points: 520, lifetimePoints: 520, punchCount: 1, purchaseCount: 11 });
    expect(planReversal(before, { points: 45, bonusPoints: 0 }, DEFAULT_PROGRAM)).toMatchObject({ tier: 'Silver', lifetimePoints: 475 });
  });

  test('counts never go below zero; a balance already spent may', () => {
    const before = account({ points: 10, lifetimePoints: 10, punchCount: 0, purchaseCount: 0 });
    expect(planReversal(before, { points: 45, bonusPoints: 0 }, DEFAULT_PROGRAM)).toMatchObject({
      points: -35,
      lifetimePoints: 0,
      punchCount: 0,
      punchCardsCompleted: 0,
      purchaseCount: 0,
    });
  });

  test('reversing an award restores the standing it was planned from (but the version and a tier reached)', () => {
    fc.assert(
      fc.property(
        fc.record({
          points: fc.integer({ min: 0, max: 10_000 }),
          lifetimePoints: fc.integer({ min: 0, max: 1_000 }),
          punchCount: fc.integer({ min: 0, max: DEFAULT_PROGRAM.punchCard.purchasesPerCard - 1 }),
          punchCardsCompleted: fc.integer({ min: 0, max: 20 }),
          purchaseCount: fc.integer({ min: 0, max: 200 }),
        }),
        fc.integer({ min: 1, max: DEFAULT_PROGRAM.maxAmountCents }),
        (standing, amountCents) => {
          const before = account(standing);
          const plan = planAward(before, amountCents, DEFAULT_PROGRAM);
          const after = planReversal(plan.after, { points: plan.totalPoints, bonusPoints: plan.bonusPoints }, DEFAULT_PROGRAM);
          expect({ ...after, version: before.version, tier: before.tier }).toEqual(before);
          expect(after.version).toBe(before.version + 2);
        },
      ),
      { seed: 10 },
    );
  });
});
