import type { Achievement, MatchResult } from './loyalty';
import type { TierName } from './program';

/**
 * What the stream tells the statistics and the notifications: a committed change to one stored item, as domain
 * values. How items are laid out in the table (keys, indexes, attribute names) stays with the adapter that decodes them.
 */

type UnmatchedReason = Extract<MatchResult, { kind: 'unmatched' }>['reason'];

interface SaleFacts {
  kind: 'sale';
  transactionId: string;
  /** The sale's own date (ISO 8601), which decides the day its figures count on. */
  date: string;
  amountCents: number;
  product: string;
  machineId: string;
  receivedAt: string;
}

/** What the award added to the customer's standing, kept on the sale. */
export interface AwardFacts {
  userId: string;
  points: number;
  purchasePoints: number;
  balanceAfter: number;
  tierAfter: TierName;
  achievements: Achievement[];
  awardedAt: string;
}

export type CommittedSale =
  | (SaleFacts & { status: 'unmatched'; unmatchedReason: UnmatchedReason })
  | (SaleFacts & AwardFacts & { status: 'awarded' | 'reversed' });

export interface CommittedConflict {
  kind: 'conflict';
  transactionId: string;
  detectedAt: string;
}

export interface CommittedFailure {
  kind: 'failure';
  status: 'open' | 'resolved';
  firstSeenAt: string;
  resolvedAt?: string;
}

/** The stored items whose changes mean something to the statistics or the notifications. */
export type CommittedItem = CommittedSale | CommittedConflict | CommittedFailure;

/** One committed change: the item before (absent when it was created) and after (absent when it was deleted). */
export interface ItemChange {
  old?: CommittedItem;
  new?: CommittedItem;
}
