import { localTime } from './campaigns';
import { type EarnedLot, type ExpiryPolicy, expiringPoints, REVIEW_EVERY_DAYS, remainingLots, requalifiedTier } from './expiry';
import { type LoyaltyAccount, requalifiedAccount } from './loyalty';
import type { ProgramConfig, TierName } from './program';

/**
 * What the scheduled expiry and requalification run decides for one due customer, pure: the points that expire now,
 * the tier the review keeps, the notices owed, and when to look at the customer next.
 */

/** One movement of the customer's points, as its history records it. */
export type PointsMovement =
  | { kind: 'sale'; status: 'awarded' | 'reversed'; points: number; earnedAt: string; awardedAt?: string }
  | { kind: 'redemption'; status: 'issued' | 'reversed'; points: number }
  | { kind: 'adjustment'; points: number; at: string }
  | { kind: 'expiry'; points: number };

/** A notice already written for the customer. */
export type SentNotice =
  | { kind: 'points_expiring'; expiresAt: string; coversUntil: string }
  | { kind: 'tier_will_downgrade'; reviewAt: string; to: TierName };

export interface DueCustomer {
  account: LoyaltyAccount;
  /** When the customer's last award was committed: a history that does not hold it yet is behind. */
  lastSaleAt?: string;
  /** The next tier review, once the run has scheduled one. */
  nextReviewAt?: string;
  movements: readonly PointsMovement[];
  notices: readonly SentNotice[];
}

export interface PlannedExpiry {
  /** The instant the points were due to expire (not when the run got to them): the same on every run. */
  at: string;
  points: number;
  balanceAfter: number;
  reason: string;
}

export interface PlannedTierChange {
  /** The review's own instant. */
  at: string;
  from: TierName;
  to: TierName;
  pointsInWindow: number;
  reason: string;
}

export type PlannedNotice =
  | { kind: 'points_expiring'; points: number; expiresAt: string; lastExpiresAt: string; coversUntil: string }
  | { kind: 'tier_will_downgrade'; reviewAt: string; from: TierName; to: TierName; pointsNeeded: number };

export type DueReview =
  /** The customer's sales index has not caught up with its latest award yet: look again shortly. */
  | { kind: 'history_behind' }
  | {
      kind: 'reviewed';
      expiry?: PlannedExpiry;
      downgrade?: PlannedTierChange;
      /** The account after the expiry and the downgrade (the same object when neither happens). */
      after: LoyaltyAccount;
      notices: PlannedNotice[];
      /** When to look at the customer next; undefined when nothing will ever be due again (until the next award). */
      nextDueAt?: string;
      nextReviewAt?: string;
    };

const DAY_MS = 86_400_000;
/** An award this recent that the sales index does not show yet is index lag, not a missing sale. */
export const INDEX_LAG_MS = 15 * 60_000;
/** The next look is never sooner than this, so a customer is never looked at twice in one run. */
export const MIN_RESCHEDULE_MS = 60_000;

const iso = (ms: number) => new Date(ms).toISOString();
const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

export function expiryPolicyOf(program: ProgramConfig): ExpiryPolicy {
  const { mode, days } = program.expiry;
  return mode === 'off' ? { mode } : { mode, days };
}

/** Whether the scheduled run has anything to do under these settings. */
export const dueRunEnabled = (program: ProgramConfig) => program.expiry.mode !== 'off' || program.requalification.downgrade !== 'none';

/** The points still to expire and when, soonest first, from what the lots have left after `spent`. */
export function upcomingExpiries(lots: readonly EarnedLot[], spent: number, policy: ExpiryPolicy): { at: string; points: number }[] {
  if (policy.mode === 'off') return [];
  const left = remainingLots(lots, spent);
  if (left.length === 0) return [];
  if (policy.mode === 'inactivity') {
    const lastEarned = Math.max(...lots.map((lot) => Date.parse(lot.earnedAt)));
    return [{ at: iso(lastEarned + policy.days * DAY_MS), points: sum(left.map((lot) => lot.points)) }];
  }
  const byInstant = new Map<number, number>();
  for (const lot of left) {
    const at = Date.parse(lot.earnedAt) + policy.days * DAY_MS;
    byInstant.set(at, (byInstant.get(at) ?? 0) + lot.points);
  }
  return [...byInstant.entries()].sort(([a], [b]) => a - b).map(([at, points]) => ({ at: iso(at), points }));
}

/** The first instant of `months` calendar months before `at` (UTC). */
export function monthsBefore(at: number, months: number): number {
  const date = new Date(at);
  date.setUTCMonth(date.getUTCMonth() - months);
  return date.getTime();
}

/**
 * The customer's earnings as lots (awarded sales, positive adjustments) and what it spent, as its history says. With
 * `notice`, a sale awarded long after its date (a late file, an import) counts as earned no earlier than the notice
 * period allows, so its points never expire before the customer could be told.
 */
export function lotsAndSpending(
  movements: readonly PointsMovement[],
  notice?: { days: number; noticeDays: number },
): { lots: EarnedLot[]; spent: number } {
  const earliestFor = (awardedAt: string | undefined) =>
    notice && awardedAt ? Date.parse(awardedAt) - Math.max(0, notice.days - notice.noticeDays) * DAY_MS : Number.NEGATIVE_INFINITY;
  const lots: EarnedLot[] = [];
  let spent = 0;
  for (const move of movements) {
    switch (move.kind) {
      case 'sale':
        // A reversed sale's points were taken back with it: neither a lot nor a spending.
        if (move.status === 'awarded' && move.points > 0) {
          const earliest = earliestFor(move.awardedAt);
          const earnedAt = Date.parse(move.earnedAt) < earliest ? new Date(earliest).toISOString() : move.earnedAt;
          lots.push({ earnedAt, points: move.points });
        }
        break;
      case 'adjustment':
        if (move.points > 0) lots.push({ earnedAt: move.at, points: move.points });
        else spent += -move.points;
        break;
      case 'redemption':
        if (move.status === 'issued') spent += move.points;
        break;
      case 'expiry':
        spent += move.points;
        break;
    }
  }
  return { lots, spent };
}

/**
 * Reviews one due customer at `now`. Spending is what the history records, or what the balance says the lots no
 * longer hold when that is more (a sale removed by retention, a record the index has not caught up with): whichever
 * leaves less to expire, so a gap in the history never takes points the customer should keep.
 */
export function reviewDueCustomer(customer: DueCustomer, now: Date, program: ProgramConfig): DueReview {
  const nowMs = now.getTime();
  const { account } = customer;
  const sales = customer.movements.filter((m): m is Extract<PointsMovement, { kind: 'sale' }> => m.kind === 'sale');
  if (customer.lastSaleAt && nowMs - Date.parse(customer.lastSaleAt) < INDEX_LAG_MS) {
    const latest = customer.lastSaleAt;
    if (!sales.some((sale) => sale.awardedAt !== undefined && sale.awardedAt >= latest)) return { kind: 'history_behind' };
  }

  const { lots, spent: recordedSpent } = lotsAndSpending(customer.movements, program.expiry);
  const earned = sum(lots.map((lot) => lot.points));
  let spent = Math.max(recordedSpent, earned - account.points);
  const policy = expiryPolicyOf(program);
  const candidates: number[] = [];
  const notices: PlannedNotice[] = [];

  let expiry: PlannedExpiry | undefined;
  const expiring = Math.min(expiringPoints(lots, spent, now, policy), Math.max(0, account.points));
  if (expiring > 0 && policy.mode !== 'off') {
    const due = upcomingExpiries(lots, spent, policy).filter((e) => Date.parse(e.at) <= nowMs);
    const at = due.at(-1)!.at;
    expiry = { at, points: expiring, balanceAfter: account.points - expiring, reason: expiryReason(lots, at, policy, program) };
    spent += expiring;
  }

  const upcoming = upcomingExpiries(lots, spent, policy).filter((e) => Date.parse(e.at) > nowMs);
  if (upcoming[0]) candidates.push(Date.parse(upcoming[0].at));
  const expiryNoticeMs = program.expiry.noticeDays * DAY_MS;
  if (expiryNoticeMs > 0) {
    const covered = Math.max(...customer.notices.map((n) => (n.kind === 'points_expiring' ? Date.parse(n.coversUntil) : 0)), 0);
    const pending = upcoming.filter((e) => Date.parse(e.at) > covered);
    const first = pending[0];
    if (first) {
      const noticeAt = Date.parse(first.at) - expiryNoticeMs;
      if (noticeAt > nowMs) candidates.push(noticeAt);
      else {
        // One notice covers the expiries of the notice period after the first: at most one a period, each expiry told
        // between noticeDays and twice that ahead (less only when the program changed or the run was late).
        const coversUntil = Date.parse(first.at) + expiryNoticeMs;
        const covering = pending.filter((e) => Date.parse(e.at) <= coversUntil);
        notices.push({
          kind: 'points_expiring',
          points: sum(covering.map((e) => e.points)),
          expiresAt: first.at,
          lastExpiresAt: covering.at(-1)!.at,
          coversUntil: iso(coversUntil),
        });
        const later = pending.find((e) => Date.parse(e.at) > coversUntil);
        if (later) candidates.push(Date.parse(later.at) - expiryNoticeMs);
      }
    }
  }

  let tier = account.tier;
  let downgrade: PlannedTierChange | undefined;
  let nextReviewAt: string | undefined;
  const requalification = program.requalification;
  const pointsLeft = account.points - (expiry?.points ?? 0);
  const lowest = program.tiers[0]!.name;
  if (requalification.downgrade !== 'none' && (tier !== lowest || pointsLeft > 0 || upcoming.length > 0)) {
    const windowPoints = (reviewAt: number, until: number) =>
      sum(
        sales
          .filter((s) => s.status === 'awarded')
          .filter((s) => {
            const earnedAt = Date.parse(s.earnedAt);
            return earnedAt > monthsBefore(reviewAt, requalification.windowMonths) && earnedAt <= until;
          })
          .map((s) => s.points),
      );
    const noticeFor = (reviewAt: number) =>
      customer.notices.find(
        (n): n is Extract<SentNotice, { kind: 'tier_will_downgrade' }> =>
          n.kind === 'tier_will_downgrade' && n.reviewAt.slice(0, 10) === iso(reviewAt).slice(0, 10),
      );
    const rank = (name: TierName) => program.tiers.findIndex((t) => t.name === name);
    const noticeMs = requalification.noticeDays * DAY_MS;
    let reviewAt = customer.nextReviewAt ? Date.parse(customer.nextReviewAt) : nowMs;
    if (reviewAt <= nowMs) {
      const inWindow = windowPoints(reviewAt, reviewAt);
      let target = requalifiedTier(program.tiers, tier, inWindow, requalification.downgrade);
      const notice = noticeFor(reviewAt);
      if (target !== tier && noticeMs > 0 && !notice) {
        // A drop nobody was told of waits its notice period (the notice goes out below).
        reviewAt = nowMs + noticeMs;
      } else {
        // Never lower than the notice said (a refund since may have lowered the window): the next review may.
        if (notice && rank(target) < rank(notice.to)) target = notice.to;
        if (target !== tier) {
          downgrade = {
            at: iso(reviewAt),
            from: tier,
            to: target,
            pointsInWindow: inWindow,
            reason: `${inWindow} points earned in the ${requalification.windowMonths} months before ${localDay(iso(reviewAt), program)} keep ${target}, not ${tier}`,
          };
          tier = target;
        }
        do reviewAt += REVIEW_EVERY_DAYS * DAY_MS;
        while (reviewAt <= nowMs);
      }
    }
    nextReviewAt = iso(reviewAt);
    candidates.push(reviewAt);
    const noticeAt = reviewAt - noticeMs;
    if (noticeMs > 0 && !noticeFor(reviewAt)) {
      if (noticeAt > nowMs) candidates.push(noticeAt);
      else {
        // Points earned until the review only add to this: a customer told nothing now keeps the tier then.
        const projected = windowPoints(reviewAt, nowMs);
        const target = requalifiedTier(program.tiers, tier, projected, requalification.downgrade);
        if (target !== tier) {
          const keep = program.tiers[rank(tier)]!.minLifetimePoints;
          notices.push({ kind: 'tier_will_downgrade', reviewAt: iso(reviewAt), from: tier, to: target, pointsNeeded: keep - projected });
        }
      }
    }
  }

  const changed = expiry !== undefined || downgrade !== undefined;
  const after: LoyaltyAccount = changed
    ? { ...(downgrade ? requalifiedAccount(account, tier, program) : account), points: pointsLeft, version: account.version + 1 }
    : account;
  const next = candidates.length > 0 ? Math.max(Math.min(...candidates), nowMs + MIN_RESCHEDULE_MS) : undefined;
  return {
    kind: 'reviewed',
    ...(expiry ? { expiry } : {}),
    ...(downgrade ? { downgrade } : {}),
    after,
    notices,
    ...(next !== undefined ? { nextDueAt: iso(next) } : {}),
    ...(nextReviewAt ? { nextReviewAt } : {}),
  };
}

function expiryReason(lots: readonly EarnedLot[], at: string, policy: Exclude<ExpiryPolicy, { mode: 'off' }>, program: ProgramConfig) {
  if (policy.mode === 'inactivity') {
    const lastEarned = iso(Math.max(...lots.map((lot) => Date.parse(lot.earnedAt))));
    return `no points earned since ${localDay(lastEarned, program)}: the balance expired after ${policy.days} days without earning`;
  }
  const newestEarned = iso(Date.parse(at) - policy.days * DAY_MS);
  return `points earned on or before ${localDay(newestEarned, program)} expired after ${policy.days} days`;
}

/** The day of an instant in the program's time zone, as YYYY-MM-DD. */
export const localDay = (at: string, program: Pick<ProgramConfig, 'timeZone'>): string => localTime(at, program.timeZone).day;
