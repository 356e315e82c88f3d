import { dueRunEnabled, reviewDueCustomer } from '../domain/due-review';
import type { ProgramConfig } from '../domain/program';
import type { DueEntry, DueIndex, ReviewLedger } from './ports';

export interface DueRunDeps {
  index: DueIndex;
  ledger: ReviewLedger;
  program: ProgramConfig;
  now: Date;
  /** Milliseconds the invocation has left. */
  timeLeftMs(): number;
  /** Told of a customer whose review failed (it is looked at again within the hour). */
  onFailure?(userId: string, error: unknown): void;
}

export interface DueRunOptions {
  /** Customers reviewed at the same time. */
  concurrency?: number;
  /** No new customer is started with less time than this left. */
  stopWithMsLeft?: number;
}

export interface DueRunResult {
  daysRead: number;
  customers: number;
  expired: { customers: number; points: number };
  downgraded: number;
  notices: number;
  /** Customers looked at again shortly: a history behind its account, or a failure. */
  deferred: number;
  failed: number;
  completedThrough?: string;
  /** False when the run stopped for time: the next continues from the checkpoint. */
  finished: boolean;
}

const DAY_MS = 86_400_000;
/** Where the very first run starts: a sale may be dated long ago, and its customer due as long ago (empty days cost one read). */
export const FIRST_RUN_LOOKBACK_DAYS = 400;
/** A customer whose review could not finish is looked at again after this. */
export const RETRY_AFTER_MS = 60 * 60_000;
/** A customer whose account moved on under each of these attempts is left for the next run. */
const ATTEMPTS = 4;

type Outcome =
  | { kind: 'reviewed'; expiredPoints: number; downgraded: boolean; notices: number }
  | { kind: 'gone' | 'moved' | 'deferred' }
  | { kind: 'failed' };

/**
 * The scheduled expiry and requalification run: reads only the days customers are due on, from the day after the
 * checkpoint to today (today only as far as now), and reviews each due customer. A day whose every customer was moved
 * on is complete; the checkpoint moves past it. The run stops starting customers when its time runs short; the next
 * continues. Two runs at once are safe: every write is conditional on what its review read.
 */
export async function runDueReviews(deps: DueRunDeps, options: DueRunOptions = {}): Promise<DueRunResult> {
  const result: DueRunResult = {
    daysRead: 0,
    customers: 0,
    expired: { customers: 0, points: 0 },
    downgraded: 0,
    notices: 0,
    deferred: 0,
    failed: 0,
    finished: true,
  };
  if (!dueRunEnabled(deps.program)) return result;
  const concurrency = options.concurrency ?? 8;
  const stopWithMsLeft = options.stopWithMsLeft ?? 30_000;
  const timeIsShort = () => deps.timeLeftMs() < stopWithMsLeft;

  const today = day(deps.now.toISOString());
  const checkpoint = await deps.index.completedThrough();
  let current = checkpoint ? nextDay(checkpoint) : day(new Date(deps.now.getTime() - FIRST_RUN_LOOKBACK_DAYS * DAY_MS).toISOString());
  let completable = true;
  let completedThrough = checkpoint;

  while (current <= today) {
    if (timeIsShort()) {
      result.finished = false;
      break;
    }
    result.daysRead++;
    // Today's customers due later than now stay for a later run.
    const upTo = current === today ? `${deps.now.toISOString()}#\uffff` : undefined;
    let from: unknown;
    let dayDone = true;
    do {
      if (timeIsShort()) {
        dayDone = false;
        result.finished = false;
        break;
      }
      const page = await deps.index.page(current, upTo, from);
      const outcomes = await inBatches(page.entries, concurrency, (entry) => reviewOne(entry, deps));
      for (const outcome of outcomes) count(result, outcome);
      if (outcomes.some((o) => o.kind === 'failed')) dayDone = false;
      from = page.next;
    } while (from !== undefined);
    if (!result.finished) break;
    // A day with a failure is read again next time, and so are the days after it.
    if (!dayDone) completable = false;
    if (completable && current < today) completedThrough = current;
    current = nextDay(current);
  }

  if (completedThrough && completedThrough !== checkpoint) await deps.index.complete(completedThrough);
  return completedThrough ? { ...result, completedThrough } : result;
}

/** One due customer: its history read, the policies applied, the result written, the customer moved on. */
async function reviewOne(entry: DueEntry, deps: DueRunDeps): Promise<Outcome> {
  const now = deps.now.toISOString();
  const done = { kind: 'reviewed' as const, expiredPoints: 0, downgraded: false, notices: 0 };
  try {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const loaded = await deps.ledger.load(entry.userId);
      if (loaded.state === 'gone') {
        await deps.ledger.reschedule(entry.userId, entry.dueKey, undefined, {});
        return { kind: 'gone' };
      }
      // Moved on by a run beside this one since the index was read (after this one's writes, when it made any).
      if (loaded.dueKey !== entry.dueKey) return done.expiredPoints > 0 || done.downgraded || done.notices > 0 ? done : { kind: 'moved' };
      const { customer } = loaded;
      const review = reviewDueCustomer(customer, deps.now, deps.program);
      if (review.kind === 'history_behind') {
        const later = { dueAt: new Date(deps.now.getTime() + RETRY_AFTER_MS).toISOString(), nextReviewAt: customer.nextReviewAt };
        if (await deps.ledger.reschedule(entry.userId, entry.dueKey, customer.account.version, later)) return { kind: 'deferred' };
        continue;
      }
      let version = customer.account.version;
      if (review.expiry || review.downgrade) {
        const changes = { expiry: review.expiry, downgrade: review.downgrade, nextReviewAt: review.nextReviewAt };
        if ((await deps.ledger.apply(customer.account, review.after, changes, now)) === 'stale') continue;
        version = review.after.version;
        done.expiredPoints += review.expiry?.points ?? 0;
        done.downgraded ||= review.downgrade !== undefined;
      }
      for (const notice of review.notices) if ((await deps.ledger.notice(entry.userId, notice, now)) === 'written') done.notices++;
      const next = { dueAt: review.nextDueAt, nextReviewAt: review.nextReviewAt };
      // Changed since it was read (an award, a run beside this one): read again. What was written is not written twice.
      if (await deps.ledger.reschedule(entry.userId, entry.dueKey, version, next)) return done;
    }
    throw new Error(`the account kept changing over ${ATTEMPTS} attempts`);
  } catch (err) {
    deps.onFailure?.(entry.userId, err);
    // Out of the past day's partition, so the day can complete; if even that fails, the day is read again.
    const later = { dueAt: new Date(deps.now.getTime() + RETRY_AFTER_MS).toISOString() };
    const moved = await deps.ledger.reschedule(entry.userId, entry.dueKey, undefined, later).catch(() => false);
    return moved ? { kind: 'deferred' } : { kind: 'failed' };
  }
}

function count(result: DueRunResult, outcome: Outcome) {
  result.customers++;
  switch (outcome.kind) {
    case 'reviewed':
      if (outcome.expiredPoints > 0) {
        result.expired.customers++;
        result.expired.points += outcome.expiredPoints;
      }
      if (outcome.downgraded) result.downgraded++;
      result.notices += outcome.notices;
      break;
    case 'deferred':
      result.deferred++;
      break;
    case 'failed':
      result.failed++;
      break;
  }
}

const day = (iso: string) => iso.slice(0, 10);
const nextDay = (dayText: string) => day(new Date(Date.parse(`${dayText}T00:00:00.000Z`) + DAY_MS).toISOString());

async function inBatches<T, R>(items: readonly T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) results.push(...(await Promise.all(items.slice(i, i + size).map(work))));
  return results;
}
