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
  /** Points the campaigns in force added, when any applied. */
  campaignPoints?: number;
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

export interface CommittedRedemption {
  kind: 'redemption';
  status: 'issued' | 'reversed';
  /** What it cost. */
  points: number;
  /** When it was made, which decides the day it counts on. */
  createdAt: string;
  /** A copy moved to an erased customer's pseudonym: counted already, under the customer it was made for. */
  pseudonymous: boolean;
}

/** The stored items whose changes mean something to the statistics or the notifications. */
export type CommittedItem = CommittedSale | CommittedConflict | CommittedFailure | CommittedRedemption;

/** One committed change: the item before (absent when it was created) and after (absent when it was deleted). */
export interface ItemChange {
  old?: CommittedItem;
  new?: CommittedItem;
}

/**
 * What the scheduled expiry and requalification run records for a customer: an expiry and a tier change in its
 * history, and a notice of one to come. Only the notifications follow them (the statistics have nothing to count).
 */
export type CommittedAccountEvent =
  | { kind: 'expiry'; userId: string; at: string; points: number; balanceAfter: number; reason: string }
  | { kind: 'tier_change'; userId: string; at: string; from: TierName; to: TierName; reason: string }
  | {
      kind: 'notice';
      notice: 'points_expiring';
      userId: string;
      createdAt: string;
      points: number;
      expiresAt: string;
      lastExpiresAt: string;
    }
  | {
      kind: 'notice';
      notice: 'tier_will_downgrade';
      userId: string;
      createdAt: string;
      reviewAt: string;
      from: TierName;
      to: TierName;
      pointsNeeded: number;
    };

/** The items the notifications follow. */
export type NotifiedItem = CommittedItem | CommittedAccountEvent;

export interface NotifiedChange {
  old?: NotifiedItem;
  new?: NotifiedItem;
}
