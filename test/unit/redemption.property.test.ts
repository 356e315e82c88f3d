import { randomBytes } from 'node:crypto';
import * as fc from 'fast-check';
import { type LoyaltyAccount, newAccount } from '../../shared/domain/loyalty';
import { DEFAULT_PROGRAM, type Reward, TIER_NAMES } from '../../shared/domain/program';
import {
  findReward,
  planRedemption,
  planRedemptionReversal,
  REDEMPTION_CODE_ALPHABET,
  REDEMPTION_CODE_FORMAT,
  redemptionCode,
  rewardsFor,
} from '../../shared/domain/redemption';

const accountArb = fc.record({
  userId: fc.string({ minLength: 1, maxLength: 12 }),
  points: fc.integer({ min: -1_000, max: 100_000 }),
  lifetimePoints: fc.integer({ min: 0, max: 1_000_000 }),
  tier: fc.constantFrom(...TIER_NAMES),
  punchCount: fc.integer({ min: 0, max: 9 }),
  punchCardsCompleted: fc.integer({ min: 0, max: 100 }),
  purchaseCount: fc.integer({ min: 0, max: 10_000 }),
  version: fc.integer({ min: 0, max: 1_000 }),
});
const rewardArb: fc.Arbitrary<Reward> = fc.record({
  id: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,39}$/),
  name: fc.string({ minLength: 1, maxLength: 80 }),
  kind: fc.constantFrom('free_vend' as const, 'credit' as const),
  points: fc.integer({ min: 1, max: 50_000 }),
  valueCents: fc.integer({ min: 1, max: 10_000 }),
});

describe('redemption, pure', () => {
  test('takes the cost off the balance and nothing else; a short balance is refused with both numbers', () => {
    const freeVend = findReward(DEFAULT_PROGRAM.rewards, 'free-vend')!;
    const account = { ...newAccount('pat'), points: 450, lifetimePoints: 900, tier: 'Silver' as const, version: 7 };
    const plan = planRedemption(account, freeVend);
    expect(plan).toEqual({ kind: 'planned', reward: freeVend, before: account, after: { ...account, points: 150, version: 8 } });
    expect(planRedemption({ ...account, points: 299 }, freeVend)).toEqual({ kind: 'short', reward: freeVend, balance: 299, cost: 300 });
    expect(planRedemption({ ...account, points: 300 }, freeVend)).toMatchObject({ kind: 'planned', after: { points: 0 } });
  });

  test('keeps every field of the account it does not own (campaign usage, and whatever comes next)', () => {
    const owned: LoyaltyAccount & { usage: unknown } = { ...newAccount('pat'), points: 1_000, usage: { 'happy-hour': { total: 3 } } };
    const plan = planRedemption(owned, DEFAULT_PROGRAM.rewards[0]!);
    expect(plan.kind === 'planned' && plan.after).toMatchObject({ usage: { 'happy-hour': { total: 3 } } });
    expect(planRedemptionReversal(owned, { points: 300 })).toMatchObject({ usage: { 'happy-hour': { total: 3 } } });
  });

  test('a reward is found by value, never through a prototype', () => {
    for (const id of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', ''])
      expect(findReward(DEFAULT_PROGRAM.rewards, id)).toBeUndefined();
    expect(findReward(DEFAULT_PROGRAM.rewards, 'credit-5')).toMatchObject({ points: 500, valueCents: 500 });
  });

  test('each reward says whether the balance covers it', () => {
    expect(rewardsFor(400, DEFAULT_PROGRAM.rewards).map((r) => [r.id, r.affordable])).toEqual([
      ['free-vend', true],
      ['credit-5', false],
    ]);
  });

  test('property: a redemption never takes a balance below zero, and is refused exactly when the balance is short', () => {
    fc.assert(
      fc.property(accountArb, rewardArb, (account, reward) => {
        const plan = planRedemption(account, reward);
        if (account.points < reward.points) {
          expect(plan).toEqual({ kind: 'short', reward, balance: account.points, cost: reward.points });
          return;
        }
        if (plan.kind !== 'planned') throw new Error('expected a plan');
        expect(plan.after.points).toBeGreaterThanOrEqual(0);
        expect(plan.after.points).toBe(account.points - reward.points);
        expect(plan.after.version).toBe(account.version + 1);
        expect({ ...plan.after, points: account.points, version: account.version }).toEqual(account);
      }),
    );
  });

  test('property: redeeming in any order never goes below zero; reversing every redemption restores the balance exactly', () => {
    fc.assert(
      fc.property(
        accountArb,
        fc.array(rewardArb, { minLength: 1, maxLength: 20 }),
        fc.infiniteStream(fc.boolean()),
        (start, rewards, reverse) => {
          const account = { ...start, points: Math.max(0, start.points) };
          let current = account;
          const taken: { points: number }[] = [];
          for (const reward of rewards) {
            const plan = planRedemption(current, reward);
            if (plan.kind === 'planned') {
              current = plan.after;
              taken.push({ points: reward.points });
            }
            expect(current.points).toBeGreaterThanOrEqual(0);
          }
          // Reversed in an order of the stream's choosing (the oldest or the newest left, each time).
          const left = [...taken];
          while (left.length > 0) current = planRedemptionReversal(current, (reverse.next().value ? left.shift() : left.pop())!);
          expect(current.points).toBe(account.points);
          expect(current.lifetimePoints).toBe(account.lifetimePoints);
          expect(current.tier).toBe(account.tier);
          expect(current.version).toBe(account.version + 2 * taken.length);
        },
      ),
    );
  });

  test('property: a reversal gives back exactly the points the redemption took', () => {
    fc.assert(
      fc.property(accountArb, rewardArb, fc.integer({ min: -500, max: 500 }), (account, reward, meanwhile) => {
        const plan = planRedemption({ ...account, points: Math.max(account.points, reward.points) }, reward);
        if (plan.kind !== 'planned') throw new Error('expected a plan');
        // Whatever else moved the balance in between, the reversal adds the cost and nothing more.
        const later = { ...plan.after, points: plan.after.points + meanwhile };
        expect(planRedemptionReversal(later, { points: reward.points }).points - later.points).toBe(reward.points);
      }),
    );
  });

  test('property: codes are two groups of four Crockford base32 symbols, whatever the random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 16 }), (bytes) => {
        const code = redemptionCode((size) => bytes.subarray(0, size));
        expect(code).toMatch(REDEMPTION_CODE_FORMAT);
        expect(code).not.toMatch(/[ILOU]/);
        for (const symbol of code.replace('-', '')) expect(REDEMPTION_CODE_ALPHABET).toContain(symbol);
      }),
    );
  });

  test('codes use the randomness given, and every symbol of the alphabet', () => {
    expect(redemptionCode(() => Uint8Array.from([0, 1, 2, 3, 28, 29, 30, 31]))).toBe('0123-WXYZ');
    // The low five bits decide: 32 and 0 are the same symbol.
    expect(redemptionCode(() => Uint8Array.from([32, 33, 255, 224, 0, 0, 0, 0]))).toBe('01Z0-0000');
    expect(() => redemptionCode(() => new Uint8Array(7))).toThrow('needs 8 random bytes');
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) for (const symbol of redemptionCode(randomBytes).replace('-', '')) seen.add(symbol);
    expect(seen.size).toBe(32);
  });

  test('a reward that costs nothing, or a fraction, is a programming error, not a free balance', () => {
    const broken = { ...DEFAULT_PROGRAM.rewards[0]!, points: 0 };
    expect(() => planRedemption(newAccount('pat'), broken)).toThrow('positive whole number');
    expect(() => planRedemption(newAccount('pat'), { ...broken, points: 1.5 })).toThrow('positive whole number');
  });
});
