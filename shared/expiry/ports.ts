import type { DueCustomer, PlannedExpiry, PlannedNotice, PlannedTierChange } from '../domain/due-review';
import type { LoyaltyAccount } from '../domain/loyalty';

/** A customer in a due day's partition, with the sort key it is there under (which says when it is due). */
export interface DueEntry {
  userId: string;
  dueKey: string;
}

export interface DuePage {
  entries: DueEntry[];
  /** Where the next page starts; absent on the last page. */
  next?: unknown;
}

/** The days customers are due on, and how far the run got through them. */
export interface DueIndex {
  /** The last day every customer due on it (and before) was looked at; undefined before the first run. */
  completedThrough(): Promise<string | undefined>;
  /** Moves the checkpoint forward (never back, whatever a run beside this one saved). */
  complete(day: string): Promise<void>;
  /** One page of the customers due on `day`, up to the due key `upTo` when given (today: the ones due by now). */
  page(day: string, upTo: string | undefined, from: unknown): Promise<DuePage>;
}

export type LoadedCustomer =
  /** No live account any more: erased, being erased, or never there. */
  { state: 'gone' } | { state: 'live'; customer: DueCustomer; dueKey?: string };

export interface ReviewChanges {
  expiry?: PlannedExpiry;
  downgrade?: PlannedTierChange;
  /** The next tier review, written with the change: a failure after it can never have the same review planned twice. */
  nextReviewAt?: string;
}

/** What is next for a customer: a due time (with the next tier review), or none (off the index). */
export interface NextLook {
  dueAt?: string;
  nextReviewAt?: string;
}

/** A due customer's history, and the writes of its review. */
export interface ReviewLedger {
  /** The account (read consistently), its schedule, its history of points and the notices written for it. */
  load(userId: string): Promise<LoadedCustomer>;
  /**
   * Writes the expiry and the tier change as entries of the history, and the account after them, in one transaction
   * guarded by the account's version: `stale` when the account changed since it was read (or the entries exist).
   */
  apply(before: LoyaltyAccount, after: LoyaltyAccount, changes: ReviewChanges, now: string): Promise<'applied' | 'stale'>;
  /** Writes a notice once (the notify function turns it into a notification); `exists` when a run wrote it before. */
  notice(userId: string, notice: PlannedNotice, now: string): Promise<'written' | 'exists'>;
  /**
   * Moves the customer to its next due day, or off the index, only if it is still under `dueKey` and (when given) at
   * account version `version`: false when something changed since it was read.
   */
  reschedule(userId: string, dueKey: string, version: number | undefined, next: NextLook): Promise<boolean>;
}
