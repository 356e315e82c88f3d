import type { LoyaltyAccount } from './loyalty';
import type { Reward } from './program';

/**
 * Redeeming points for the program's rewards, pure: what a redemption does to an account, what its reversal gives
 * back, and the code a customer shows for it. Only the balance moves: lifetime points and the tier they reached are
 * earned, and spending them takes nothing of that away.
 */

export type RedemptionPlan =
  | { kind: 'planned'; reward: Reward; before: LoyaltyAccount; after: LoyaltyAccount }
  /** The balance does not cover the reward: nothing changes. */
  | { kind: 'short'; reward: Reward; balance: number; cost: number };

/** The reward of the catalogue with this id, if any (compared by value: no id reaches a prototype's property). */
export function findReward(rewards: readonly Reward[], rewardId: string): Reward | undefined {
  return rewards.find((reward) => reward.id === rewardId);
}

/** Takes the reward's points off the balance, or refuses when the balance is short: a balance never goes below zero. */
export function planRedemption(account: LoyaltyAccount, reward: Reward): RedemptionPlan {
  const cost = reward.points;
  if (!Number.isSafeInteger(cost) || cost <= 0)
    throw new Error(`reward ${reward.id} costs ${cost} points: a cost is a positive whole number`);
  if (account.points < cost) return { kind: 'short', reward, balance: account.points, cost };
  // Spread, not rebuilt: the account carries more than this module knows of, and all of it stays as it was.
  return { kind: 'planned', reward, before: account, after: { ...account, points: account.points - cost, version: account.version + 1 } };
}

/** Gives back exactly the points a redemption took. */
export function planRedemptionReversal(account: LoyaltyAccount, redeemed: { points: number }): LoyaltyAccount {
  return { ...account, points: account.points + redeemed.points, version: account.version + 1 };
}

/** Whether each reward is within the balance, in the catalogue's order. */
export function rewardsFor(points: number, rewards: readonly Reward[]) {
  return rewards.map((reward) => ({ ...reward, affordable: points >= reward.points }));
}

/**
 * Crockford's base32: digits and capitals without I, L, O and U, so a code read aloud or typed from a receipt has
 * no look-alikes (0/O, 1/I/L) and spells no words by accident.
 */
export const REDEMPTION_CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_LENGTH = 8;
/** Two groups of four: `K7QM-2XHD`. */
export const REDEMPTION_CODE_FORMAT = /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;

/**
 * A redemption code of 40 random bits, from `randomBytes` (crypto's in production, a seeded one in tests). Each byte
 * gives one symbol: 256 is a multiple of 32, so taking its low five bits keeps every symbol equally likely.
 */
export function redemptionCode(randomBytes: (size: number) => Uint8Array): string {
  const bytes = randomBytes(CODE_LENGTH);
  if (bytes.length < CODE_LENGTH) throw new Error(`a redemption code needs ${CODE_LENGTH} random bytes, got ${bytes.length}`);
  const symbols = Array.from(bytes.subarray(0, CODE_LENGTH), (byte) => REDEMPTION_CODE_ALPHABET[byte & 31]!).join('');
  return `${symbols.slice(0, 4)}-${symbols.slice(4)}`;
}
