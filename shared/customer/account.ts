import { AdminError } from '../admin/errors';
import { ERASED_CUSTOMER } from '../domain/erasure';
import { type EarnedLot, expiringPoints, nextExpiry } from '../domain/expiry';
import { type ProgramConfig, TIER_NAMES, type TierName, tierFor } from '../domain/program';
import { type CampaignNames, campaignNames } from './campaign-names';
import { earnedLotOf, movementOf, optional } from './movements';
import type { CustomerDeps } from './ports';

/** The customer's own standing, as the loyalty app shows it: pure rules over what the ledger view reads. */

const count = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/**
 * The customer's live account: 410 when it was erased or an erasure is running (nothing of it may be shown), 404 when
 * the signed-in customer has no loyalty account yet.
 */
export async function liveAccount(userId: string, deps: Pick<CustomerDeps, 'ledger'>): Promise<Record<string, unknown>> {
  const account = await deps.ledger.account(userId);
  if (account?.entity === ERASED_CUSTOMER) throw new AdminError(410, 'this loyalty account was closed and its personal data erased');
  if (account?.erasure) throw new AdminError(410, 'this loyalty account is being closed and its personal data erased');
  if (account?.entity !== 'customer')
    throw new AdminError(404, 'you are signed in, but no loyalty account is linked to your sign-in yet: ask Hi-Vis to set one up');
  return account;
}

const isTier = (value: unknown): value is TierName => (TIER_NAMES as readonly unknown[]).includes(value);

/** The tier held, and how many lifetime points the next one needs (none above the top tier). */
export function tierProgress(held: unknown, lifetimePoints: number, program: ProgramConfig) {
  const name = isTier(held) && program.tiers.some((t) => t.name === held) ? held : tierFor(lifetimePoints, program);
  const rank = program.tiers.findIndex((t) => t.name === name);
  const next = program.tiers[rank + 1];
  return {
    name,
    multiplier: program.tiers[rank]?.multiplier ?? 1,
    next: next
      ? { name: next.name, minLifetimePoints: next.minLifetimePoints, pointsNeeded: Math.max(0, next.minLifetimePoints - lifetimePoints) }
      : null,
  };
}

/** The campaigns' own punch cards and points, from the account's `campaignUsage` when it has one. */
export function campaignCards(usage: unknown, names: CampaignNames = campaignNames([])) {
  if (usage === null || typeof usage !== 'object' || Array.isArray(usage)) return [];
  return Object.entries(usage as Record<string, unknown>)
    .filter((entry): entry is [string, Record<string, unknown>] => entry[1] !== null && typeof entry[1] === 'object')
    .map(([campaignId, use]) => ({
      campaignId: campaignId.slice(0, 64),
      ...optional('name', names.name(campaignId)),
      ...optional('of', names.cardSize(campaignId)),
      points: count(use.points),
      punches: count(use.punches),
      cardsCompleted: count(use.cardsCompleted),
    }))
    .sort((a, b) => a.campaignId.localeCompare(b.campaignId));
}

export function rewardsFor(balance: number, program: ProgramConfig) {
  return program.rewards.map((reward) => ({
    ...reward,
    affordable: balance >= reward.points,
    pointsMissing: Math.max(0, reward.points - balance),
  }));
}

/** History entries read at most to find the lots the balance is made of (3 pages: one call stays cheap). */
export const EXPIRY_READ_LIMIT = 300;
const EXPIRY_PAGE = 100;

/**
 * When points next expire under the program's policy, and how many: the balance is the newest lots (points are spent
 * oldest first), so the history is read newest first until its earnings cover the balance. A balance the history read
 * does not cover (a very long history, or points from before the history was kept) is counted as earned no later than
 * the oldest lot read, and the answer says it is an estimate.
 */
export async function expiryOutlook(userId: string, account: Record<string, unknown>, deps: CustomerDeps) {
  const policy = deps.program.expiry;
  if (policy.mode === 'off') return { mode: policy.mode, nextExpiryAt: null, points: 0 };
  const balance = count(account.points);
  const base = { mode: policy.mode, days: policy.days };
  if (balance <= 0) return { ...base, nextExpiryAt: null, points: 0 };
  const lots: EarnedLot[] = [];
  let earned = 0;
  let read = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.ledger.history(userId, EXPIRY_PAGE, cursor);
    for (const entry of page.entries) {
      read += 1;
      const movement = movementOf(entry);
      const lot = movement && earnedLotOf(movement);
      if (lot) {
        lots.push(lot);
        earned += lot.points;
      }
    }
    cursor = page.nextCursor;
  } while (cursor && earned < balance && read < EXPIRY_READ_LIMIT);
  const now = deps.clock.now();
  const estimated = earned < balance;
  if (estimated) {
    const oldest = lots.at(-1)?.earnedAt ?? (typeof account.createdAt === 'string' ? account.createdAt : now.toISOString());
    lots.push({ earnedAt: oldest, points: balance - earned });
    earned = balance;
  }
  const spent = earned - balance;
  const next = nextExpiry(lots, spent, policy);
  if (!next) return { ...base, nextExpiryAt: null, points: 0 };
  // An expiry already due (the scheduled run has not reached it yet) is shown as due now.
  const at = new Date(Math.max(Date.parse(next), now.getTime()));
  return { ...base, nextExpiryAt: next, points: expiringPoints(lots, spent, at, policy), ...(estimated ? { estimated: true } : {}) };
}

/**
 * `GET /customer/me`: balance, lifetime points, tier and the way to the next, the punch cards, the next expiry, the
 * rewards with what each still needs. `pendingPoints` is 0: every matched sale is credited when it is processed (there
 * is no holding or refund window in the program), so no points wait; the field keeps the app's layout when one comes.
 */
export async function customerSummary(userId: string, deps: CustomerDeps) {
  const account = await liveAccount(userId, deps);
  const points = count(account.points);
  const lifetimePoints = count(account.lifetimePoints);
  const { punchCard } = deps.program;
  const campaigns = campaignCards(account.campaignUsage, campaignNames((await deps.campaigns?.versions()) ?? []));
  return {
    userId,
    ...(typeof account.name === 'string' ? { name: account.name } : {}),
    points,
    lifetimePoints,
    pendingPoints: 0,
    tier: tierProgress(account.tier, lifetimePoints, deps.program),
    punchCard: {
      punches: count(account.punchCount),
      of: punchCard.purchasesPerCard,
      bonusPoints: punchCard.bonusPoints,
      completed: count(account.punchCardsCompleted),
    },
    ...(campaigns.length > 0 ? { campaignCards: campaigns } : {}),
    purchaseCount: count(account.purchaseCount),
    expiry: await expiryOutlook(userId, account, deps),
    rewards: rewardsFor(points, deps.program),
  };
}
