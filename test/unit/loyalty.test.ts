import { type LoyaltyAccount, matchCustomer, newAccount, planAward, requalifiedAccount } from '../../shared/domain/loyalty';
import { DEFAULT_PROGRAM } from '../../shared/domain/program';

const apply = (account: LoyaltyAccount, cents: number) => planAward(account, cents, DEFAULT_PROGRAM);

describe('planAward', () => {
  test('a purchase earns points, punches the card and bumps the version', () => {
    const plan = apply(newAccount('u1'), 350);
    expect(plan).toMatchObject({ purchasePoints: 35, bonusPoints: 0, totalPoints: 35, achievements: [] });
    expect(plan.after).toMatchObject({ points: 35, lifetimePoints: 35, punchCount: 1, purchaseCount: 1, version: 1, tier: 'Bronze' });
  });

  test('the 10th purchase completes the punch card and grants 50 bonus points', () => {
    let account = newAccount('u1');
    for (let i = 0; i < 9; i++) account = apply(account, 100).after;
    const plan = apply(account, 100);
    expect(plan.bonusPoints).toBe(50);
    expect(plan.after).toMatchObject({ punchCount: 0, punchCardsCompleted: 1, points: 150, lifetimePoints: 150 });
    expect(plan.achievements).toEqual([
      { type: 'punch_card_completed', cardsCompleted: 1 },
      { type: 'bonus_awarded', points: 50, reason: 'punch_card' },
    ]);
  });

  test('bonus points count towards the tier: completing a card and crossing Silver at once', () => {
    const account: LoyaltyAccount = { ...newAccount('u1'), points: 440, lifetimePoints: 440, punchCount: 9, purchaseCount: 9 };
    const plan = apply(account, 100);
    expect(plan.after.lifetimePoints).toBe(500);
    expect(plan.achievements.map((a) => a.type)).toEqual(['punch_card_completed', 'bonus_awarded', 'tier_upgraded']);
    expect(plan.achievements[2]).toEqual({ type: 'tier_upgraded', from: 'Bronze', to: 'Silver' });
  });

  test('a tier can be skipped on a large purchase', () => {
    const plan = apply({ ...newAccount('u1'), lifetimePoints: 1_990, points: 1_990, tier: 'Silver' }, 30_500);
    expect(plan.after.tier).toBe('Platinum');
    expect(plan.achievements).toContainEqual({ type: 'tier_upgraded', from: 'Silver', to: 'Platinum' });
  });

  test('spent points do not demote: the tier follows lifetime points, not the balance', () => {
    const plan = apply({ ...newAccount('u1'), points: 0, lifetimePoints: 2_500, tier: 'Gold' }, 100);
    expect(plan.after.tier).toBe('Gold');
  });
});

describe('matchCustomer', () => {
  test('one customer is a match', () => expect(matchCustomer(['a'])).toEqual({ kind: 'matched', userId: 'a' }));
  test('no customer is an unknown card', () =>
    expect(matchCustomer([])).toEqual({ kind: 'unmatched', reason: 'unknown_card', candidates: 0 }));
  test('two customers are ambiguous', () =>
    expect(matchCustomer(['a', 'b'])).toEqual({ kind: 'unmatched', reason: 'ambiguous', candidates: 2 }));
  test('the same customer twice (two links of one card) is still a match', () =>
    expect(matchCustomer(['a', 'a'])).toEqual({ kind: 'matched', userId: 'a' }));
});

describe('a tier lowered by requalification', () => {
  test('is not lifted straight back by the next purchase: the customer climbs again from the new tier', () => {
    const gold = { ...newAccount('pat'), points: 100, lifetimePoints: 3_000, tier: 'Gold' as const };
    const silver = requalifiedAccount(gold, 'Silver', DEFAULT_PROGRAM);
    expect(silver).toMatchObject({ tier: 'Silver', tierBase: 2_500 });
    expect(planAward(silver, 1_000, DEFAULT_PROGRAM).after.tier).toBe('Silver');
    // Silver (500) to Gold (2000): 1500 points earned since the review.
    const back = planAward({ ...silver, lifetimePoints: 3_000 + 1_490 }, 100, DEFAULT_PROGRAM);
    expect(back.after.tier).toBe('Gold');
    expect(back.achievements).toContainEqual({ type: 'tier_upgraded', from: 'Silver', to: 'Gold' });
  });
});
