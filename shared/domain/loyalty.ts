import {
  type AppliedCampaign,
  type CampaignSettings,
  type CampaignUsage,
  campaignPoints,
  type SaleFacts,
  withCampaignUse,
  withoutCampaignUse,
} from './campaigns';
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
  /** What the customer has had from each campaign (its caps and punch cards); absent until the first campaign applies. */
  campaignUsage?: CampaignUsage;
  /**
   * Lifetime points that no longer count towards a tier: set when a requalification lowers the tier, so the next
   * purchase does not lift it straight back (the customer climbs again from the new tier's threshold).
   */
  tierBase?: number;
}

export type Achievement =
  | { type: 'punch_card_completed'; cardsCompleted: number }
  | { type: 'bonus_awarded'; points: number; reason: 'punch_card' }
  | { type: 'tier_upgraded'; from: TierName; to: TierName };

export interface AwardPlan {
  purchasePoints: number;
  bonusPoints: number;
  /** Points the campaigns in force added, and which of them (with their versions) gave them. */
  campaignPoints: number;
  campaigns: AppliedCampaign[];
  /** The sale's local day in the program's time zone, which campaign caps count in (set when a campaign applied). */
  campaignDay?: string;
  totalPoints: number;
  before: LoyaltyAccount;
  after: LoyaltyAccount;
  achievements: Achievement[];
}

export function newAccount(userId: string): LoyaltyAccount {
  return { userId, points: 0, lifetimePoints: 0, tier: 'Bronze', punchCount: 0, punchCardsCompleted: 0, purchaseCount: 0, version: 0 };
}

/** The sale a campaign looks at, and the campaigns in force at its date. */
export interface CampaignOffer {
  sale: SaleFacts;
  settings: CampaignSettings;
}

/**
 * Applies one purchase to an account: purchase points at the tier's multiplier, the campaigns' points within their
 * caps, a punch on the card, the punch-card bonus when the card fills, and the tier reached by lifetime points
 * (bonuses and campaign points count).
 */
export function planAward(account: LoyaltyAccount, amountCents: number, program: ProgramConfig, offer?: CampaignOffer): AwardPlan {
  const earned = purchasePoints(amountCents, account.tier, program);
  const campaign =
    offer && offer.settings.campaigns.length > 0
      ? campaignPoints(offer.sale, earned, offer.settings, account.campaignUsage ?? {})
      : { points: 0, applied: [], day: undefined, processedDay: undefined };
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

  const totalPoints = earned + bonusPoints + campaign.points;
  const lifetimePoints = account.lifetimePoints + totalPoints;
  const reached = tierFor(lifetimePoints - (account.tierBase ?? 0), program);
  // Tiers are earned for good: a change of program thresholds never demotes a customer on a purchase.
  const tier = tierRank(reached, program) > tierRank(account.tier, program) ? reached : account.tier;
  if (tier !== account.tier) achievements.push({ type: 'tier_upgraded', from: account.tier, to: tier });

  const campaignUsage =
    campaign.applied.length > 0 && campaign.day
      ? withCampaignUse(account.campaignUsage ?? {}, campaign.applied, campaign.day, campaign.processedDay)
      : undefined;
  return {
    purchasePoints: earned,
    bonusPoints,
    campaignPoints: campaign.points,
    campaigns: campaign.applied,
    ...(campaign.applied.length > 0 ? { campaignDay: campaign.day } : {}),
    totalPoints,
    before: account,
    after: {
      ...account,
      ...(campaignUsage ? { campaignUsage } : {}),
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

/**
 * The account a requalification leaves at `tier`: its lifetime points beyond the tier's threshold stop counting
 * towards tiers, so a purchase raises it again only once it has earned its way from there.
 */
export function requalifiedAccount(account: LoyaltyAccount, tier: TierName, program: ProgramConfig): LoyaltyAccount {
  const threshold = program.tiers.find((t) => t.name === tier)?.minLifetimePoints ?? 0;
  return { ...account, tier, tierBase: Math.max(0, account.lifetimePoints - threshold) };
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
  /** Everything the sale earned: purchase, punch-card bonus and campaign points. */
  points: number;
  bonusPoints: number;
  /** The campaigns that applied, as the sale recorded them, and the local day their caps counted it in. */
  campaigns?: readonly AppliedCampaign[];
  campaignDay?: string;
}

/**
 * A refund: takes back everything the sale earned (its purchase points, any punch-card bonus it triggered, its
 * campaign points under the versions that applied) and its punches. A tier already reached is kept: tiers are never
 * taken away.
 */
export function planReversal(account: LoyaltyAccount, sale: AwardedSale, program: ProgramConfig): LoyaltyAccount {
  const completedACard = sale.bonusPoints > 0;
  const campaignUsage =
    sale.campaigns?.length && sale.campaignDay && account.campaignUsage
      ? withoutCampaignUse(account.campaignUsage, sale.campaigns, sale.campaignDay)
      : account.campaignUsage;
  return {
    ...account,
    ...(campaignUsage ? { campaignUsage } : {}),
    points: account.points - sale.points,
    lifetimePoints: Math.max(0, account.lifetimePoints - sale.points),
    // The punch that completed a card is taken back by reopening that card at its last punch.
    punchCount: completedACard ? program.punchCard.purchasesPerCard - 1 : Math.max(0, account.punchCount - 1),
    punchCardsCompleted: completedACard ? Math.max(0, account.punchCardsCompleted - 1) : account.punchCardsCompleted,
    purchaseCount: Math.max(0, account.purchaseCount - 1),
    version: account.version + 1,
  };
}
