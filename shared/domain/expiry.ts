import type { TierName } from './program';

/**
 * Points expiry and tier requalification, pure. Points are earned in lots (a sale's points, a bonus) and spent first
 * from the oldest lot; what expires is what is left of the lots the policy lets go.
 */

export type ExpiryPolicy =
  | { mode: 'off' }
  /** Everything left expires once the customer has earned nothing for `days`. */
  | { mode: 'inactivity'; days: number }
  /** Each lot's remainder expires `days` after it was earned. */
  | { mode: 'age'; days: number };

export interface EarnedLot {
  earnedAt: string;
  points: number;
}

const DAY_MS = 86_400_000;

/** What is left of each lot after `spent` points were taken from the oldest lots first. */
export function remainingLots(lots: readonly EarnedLot[], spent: number): EarnedLot[] {
  let toTake = Math.max(0, spent);
  return [...lots]
    .sort((a, b) => Date.parse(a.earnedAt) - Date.parse(b.earnedAt))
    .map((lot) => {
      const points = Math.max(0, lot.points);
      const taken = Math.min(points, toTake);
      toTake -= taken;
      return { earnedAt: lot.earnedAt, points: points - taken };
    })
    .filter((lot) => lot.points > 0);
}

/** The points that expire at `now` under the policy (never more than the balance the lots leave). */
export function expiringPoints(lots: readonly EarnedLot[], spent: number, now: Date, policy: ExpiryPolicy): number {
  if (policy.mode === 'off') return 0;
  const left = remainingLots(lots, spent);
  const cutoff = now.getTime() - policy.days * DAY_MS;
  if (policy.mode === 'inactivity') {
    const lastEarned = Math.max(...lots.map((lot) => Date.parse(lot.earnedAt)), Number.NEGATIVE_INFINITY);
    return lastEarned <= cutoff ? left.reduce((sum, lot) => sum + lot.points, 0) : 0;
  }
  return left.filter((lot) => Date.parse(lot.earnedAt) <= cutoff).reduce((sum, lot) => sum + lot.points, 0);
}

/** When the next points would expire, to index customers by it (a scheduled run reads only the due ones). */
export function nextExpiry(lots: readonly EarnedLot[], spent: number, policy: ExpiryPolicy): string | undefined {
  if (policy.mode === 'off') return undefined;
  const left = remainingLots(lots, spent);
  if (left.length === 0) return undefined;
  const from = policy.mode === 'inactivity' ? Math.max(...lots.map((lot) => Date.parse(lot.earnedAt))) : Date.parse(left[0]!.earnedAt);
  return new Date(from + policy.days * DAY_MS).toISOString();
}

export type DowngradePolicy = 'none' | 'one_down' | 'to_window';

/**
 * The tier a customer keeps at requalification: the tier the points earned in the window support, or above it as the
 * policy allows. Requalification never raises a tier (purchases do that), and `none` never lowers one.
 */
export function requalifiedTier(
  tiers: readonly { name: TierName; minLifetimePoints: number }[],
  current: TierName,
  pointsInWindow: number,
  policy: DowngradePolicy,
): TierName {
  const rank = (name: TierName) => tiers.findIndex((tier) => tier.name === name);
  let supported = 0;
  for (const [i, tier] of tiers.entries()) if (pointsInWindow >= tier.minLifetimePoints) supported = i;
  const now = Math.max(0, rank(current));
  if (policy === 'none' || supported >= now) return tiers[now]!.name;
  return tiers[policy === 'one_down' ? now - 1 : supported]!.name;
}

/** The program settings the scheduled expiry and requalification run follows. */
export interface DuePolicies {
  expiry: { mode: 'off' | 'inactivity' | 'age'; days: number; noticeDays: number };
  requalification: { downgrade: DowngradePolicy; windowMonths: number; noticeDays: number };
}

/** Whether the scheduled run looks at customers at all: points expire, or tiers requalify. */
export const reviewsAreOn = (policies: DuePolicies) => policies.expiry.mode !== 'off' || policies.requalification.downgrade !== 'none';

/** How often a customer's tier is looked at while requalification is on. */
export const REVIEW_EVERY_DAYS = 30;

/**
 * When the scheduled run should first look at a customer who has just earned points, or undefined when neither policy
 * is on: the earliest day an expiry notice could be owed (`days − noticeDays` after the earning), and for
 * requalification the next review. Awards set it only when the customer has none; the run moves it from there.
 */
export function firstDueAt(earnedAt: string, policies: DuePolicies): string | undefined {
  const earned = Date.parse(earnedAt);
  const candidates: number[] = [];
  if (policies.expiry.mode !== 'off') candidates.push(earned + Math.max(0, policies.expiry.days - policies.expiry.noticeDays) * DAY_MS);
  if (policies.requalification.downgrade !== 'none') candidates.push(earned + REVIEW_EVERY_DAYS * DAY_MS);
  return candidates.length === 0 ? undefined : new Date(Math.min(...candidates)).toISOString();
}
