import { type ProgramConfig, purchasePoints, type TierName, tierFor } from './program';

/** A customer's loyalty standing, as the award rules see it. */
export interface LoyaltyAccount {
  userId: string;
  points: number;
  lifetimePoints: number;
  tier: TierName;
  /** Awarded purchases on the current punch card (0 .. purchasesPerCard - 1). */
  punchCount: number;
  punchCardsCompleted: number;
  purchaseCount: number;
  /** Optimistic-concurrency version of the stored account. */
  version: number;
}

export type Achievement =
  | { type: 'punch_card_completed'; cardsCompleted: number }
  | { type: 'bonus_awarded'; points: number; reason: 'punch_card' }
  | { type: 'tier_upgraded'; from: TierName; to: TierName };

export interface AwardPlan {
  purchasePoints: number;
  bonusPoints: number;
  totalPoints: number;
  before: LoyaltyAccount;
  after: LoyaltyAccount;
  achievements: Achievement[];
}

export function newAccount(userId: string): LoyaltyAccount {
  return { userId, points: 0, lifetimePoints: 0, tier: 'Bronze', punchCount: 0, punchCardsCompleted: 0, purchaseCount: 0, version: 0 };
}

/**
 * Applies one purchase to an account: purchase points at the tier's multiplier, a punch on the card,
 * the punch-card bonus when the card fills, and the tier reached by lifetime points (bonuses count).
 */
export function planAward(account: LoyaltyAccount, amountCents: number, program: ProgramConfig): AwardPlan {
  const earned = purchasePoints(amountCents, account.tier, program);
  const achievements: Achievement[] = [];

  let punchCount = account.punchCount + 1;
  let punchCardsCompleted = account.punchCardsCompleted;
  let bonusPoints = 0;
  if (punchCount >= program.punchCard.purchasesPerCard) {
    punchCount = 0;
    punchCardsCompleted += 1;
    bonusPoints = program.punchCard.bonusPoints;
    achievements.push({ type: 'punch_card_completed', cardsCompleted: punchCardsCompleted });
    if (bonusPoints > 0) achievements.push({ type: 'bonus_awarded', points: bonusPoints, reason: 'punch_card' });
  }

  const totalPoints = earned + bonusPoints;
  const lifetimePoints = account.lifetimePoints + totalPoints;
  const reached = tierFor(lifetimePoints, program);
  // Tiers are earned for good: a change of program thresholds never demotes a customer on a purchase.
  const tier = tierRank(reached, program) > tierRank(account.tier, program) ? reached : account.tier;
  if (tier !== account.tier) achievements.push({ type: 'tier_upgraded', from: account.tier, to: tier });

  return {
    purchasePoints: earned,
    bonusPoints,
    totalPoints,
    before: account,
    after: {
      ...account,
      points: account.points + totalPoints,
      lifetimePoints,
      tier,
      punchCount,
      punchCardsCompleted,
      purchaseCount: account.purchaseCount + 1,
      version: account.version + 1,
    },
    achievements,
  };
}

function tierRank(tier: TierName, program: ProgramConfig): number {
  return program.tiers.findIndex((t) => t.name === tier);
}

export type MatchResult =
  | { kind: 'matched'; userId: string }
  | { kind: 'unmatched'; reason: 'unknown_card' | 'ambiguous'; candidates: number };

/** A card matches a customer only when exactly one customer holds it; an ambiguous match is never guessed. */
export function matchCustomer(candidateUserIds: readonly string[]): MatchResult {
  const distinct = [...new Set(candidateUserIds)];
  if (distinct.length === 1) return { kind: 'matched', userId: distinct[0]! };
  if (distinct.length === 0) return { kind: 'unmatched', reason: 'unknown_card', candidates: 0 };
  return { kind: 'unmatched', reason: 'ambiguous', candidates: distinct.length };
}

export interface AwardedSale {
  points: number;
  bonusPoints: number;
}

/**
 * A refund: takes back everything the sale earned (its purchase points and any punch-card bonus it triggered)
 * and its punch. A tier already reached is kept: tiers are never taken away.
 */
export function planReversal(account: LoyaltyAccount, sale: AwardedSale, program: ProgramConfig): LoyaltyAccount {
  const completedACard = sale.bonusPoints > 0;
  return {
    ...account,
    points: account.points - sale.points,
    lifetimePoints: Math.max(0, account.lifetimePoints - sale.points),
    // The punch that completed a card is taken back by reopening that card at its last punch.
    punchCount: completedACard ? program.punchCard.purchasesPerCard - 1 : Math.max(0, account.punchCount - 1),
    punchCardsCompleted: completedACard ? Math.max(0, account.punchCardsCompleted - 1) : account.punchCardsCompleted,
    purchaseCount: Math.max(0, account.purchaseCount - 1),
    version: account.version + 1,
  };
}
