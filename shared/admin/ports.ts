import type * as z from 'zod';
import type { AuditEntry, AuditLog } from '../audit/audit-trail';
import type { AppliedCampaign, Campaign, CampaignVersion } from '../domain/campaigns';
import type { LoyaltyAccount } from '../domain/loyalty';
import type { FieldError } from '../domain/moma-record';
import type { Reward } from '../domain/program';
import type { ReviewCounts } from '../domain/stats';
import type { FigureRow } from '../domain/stats-report';
import type { IngestDeps } from '../ingest/ingest-sale';
import type { CampaignSource, CardHashes, Clock, SaleRecord } from '../ingest/ports';
import type { ReconcileDeps } from '../ingest/reconcile';
import type { SyncSource } from '../topology';

/** What the admin use cases need from the world outside: every port an adapter implements, and the container of them. */

export interface DayRange {
  from: string;
  to: string;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** A listed item as the table holds it, without its keys. */
export type Listed = Record<string, unknown>;

/** What can be listed by day: awarded sales, sales held as unmatched, conflicting deliveries, failures, notifications sent. */
export type DayListing = 'sales' | 'unmatched' | 'conflicts' | 'failures' | 'notifications';

/** Newest-first listings. A cursor this listing did not issue is refused with an InvalidCursorError. */
export interface AdminQueries {
  byDay(kind: DayListing, range: DayRange, limit: number, cursor?: string, filter?: { machineId?: string }): Promise<Page<Listed>>;
  customerSales(userId: string, limit: number, cursor?: string, range?: DayRange): Promise<Page<Listed>>;
}

export type StoredSale = SaleRecord & {
  status: 'awarded' | 'unmatched' | 'reversed';
  userId?: string;
  points?: number;
  bonusPoints?: number;
  /** The campaigns that gave some of its points, and the local day their caps counted it in. */
  campaignPoints?: number;
  campaigns?: AppliedCampaign[];
  campaignDay?: string;
  unmatchedReason?: string;
};

/** Sales read back by id, with the conflicting versions Moma sent of them. */
export interface SaleReader {
  getSale(transactionId: string): Promise<StoredSale | undefined>;
  conflictsOf(transactionId: string): Promise<Listed[]>;
}

export interface CustomerProfile {
  userId: string;
  name?: string;
  email?: string;
  pushEndpoint?: string;
  /** Consent to marketing messages: kept as it is when not given. */
  marketingConsent?: boolean;
  /** When the consent was last given or withdrawn; set with `marketingConsent` when it changes. */
  marketingConsentAt?: string;
}

export interface LinkedCard {
  cardId: string;
  last4: string;
  linkedAt: string;
}

/** Customers and their linked cards. */
export interface CustomerStore {
  /** Creates the customer, or updates the profile fields of an existing one without touching the balance. */
  upsertCustomer(profile: CustomerProfile): Promise<void>;
  getCustomer(userId: string): Promise<Record<string, unknown> | undefined>;
  /** Links a card by its keyed hashes; linking the same card again returns the first link. */
  linkCard(userId: string, card: CardHashes): Promise<LinkedCard>;
  /** False when the customer has no card with this id. */
  unlinkCard(userId: string, cardId: string): Promise<boolean>;
  listCards(userId: string): Promise<LinkedCard[]>;
}

/** What is held about a customer besides the profile, cards and sales: read for an export. */
export interface CustomerRecords {
  adjustments(userId: string): Promise<Listed[]>;
  redemptions(userId: string): Promise<Listed[]>;
  /** What the scheduled run did to the account: expiries, tier changes, and the notices it wrote ahead of them. */
  accountEvents(userId: string): Promise<{ expiries: Listed[]; tierChanges: Listed[]; notices: Listed[] }>;
  /** The customer's notifications of one day (they are kept 30 days). */
  notificationsOn(userId: string, day: string): Promise<Listed[]>;
}

export type ErasureStart =
  | { state: 'missing' }
  | { state: 'erased'; erasedAt: string }
  | { state: 'erasing'; pseudonym: string; startedAt: string };

/**
 * The right to be forgotten, in resumable steps, each idempotent: personal data and card links go at once, the
 * records kept for accounting move to a pseudonymous id in batches, and a tombstone ends it. Only the customer's
 * profile item knows the pseudonym while the erasure runs; the tombstone does not.
 */
export interface CustomerErasure {
  /** Deletes the profile's personal data and the card links, and picks the pseudonym (the same on a resumed call). */
  start(userId: string, at: string): Promise<ErasureStart>;
  /** Moves sales (and their conflicting deliveries) to the pseudonym, dropping their card hashes, while `more()` holds. */
  moveSales(userId: string, pseudonym: string, more: () => boolean): Promise<{ moved: number; done: boolean }>;
  moveAdjustments(userId: string, pseudonym: string): Promise<number>;
  /** Moves redemptions to the pseudonym, keyed anew (their idempotency keys are the client's free text). */
  moveRedemptions(userId: string, pseudonym: string): Promise<number>;
  moveNotifications(userId: string, pseudonym: string, days: string[], more: () => boolean): Promise<{ moved: number; done: boolean }>;
  /**
   * The account's balance and counters to the pseudonymous account; the profile becomes a tombstone. False when the
   * account changed since the records moved (an award landed meanwhile): moving again and finishing then completes it.
   */
  finish(userId: string, pseudonym: string, at: string): Promise<boolean>;
}

/** How an account change ended: applied, the account changed since it was read, or the item's own condition failed. */
export type ChangeResult = 'applied' | 'stale' | 'precondition_failed';

/** Who made a change, as the audit trail and the records of the change name them. */
export interface ChangeAuthor {
  id: string;
  name: string;
}

export interface Adjustment {
  userId: string;
  idempotencyKey: string;
  points: number;
  reason: string;
  madeBy: ChangeAuthor;
}

/** Account changes other than awards: refunds and manual adjustments, each applied once. */
export interface AccountChanges {
  /** Marks an awarded sale reversed and writes the account's new standing, guarded by the account's version. */
  reverse(transactionId: string, before: LoyaltyAccount, after: LoyaltyAccount, reason: string, by: ChangeAuthor): Promise<ChangeResult>;
  /** Applies an adjustment once per idempotency key; `stored` is the adjustment recorded under that key. */
  adjust(adjustment: Adjustment): Promise<{ applied: boolean; stored: Record<string, unknown> }>;
}

/** A redemption as stored: one reward, paid for in points, under the idempotency key it was asked with. */
export interface StoredRedemption {
  entity: 'redemption';
  /** The idempotency key it was asked with. */
  redemptionId: string;
  userId: string;
  rewardId: string;
  rewardName: string;
  kind: Reward['kind'];
  /** What it cost. */
  points: number;
  valueCents: number;
  /** What the customer shows to have it, e.g. `K7QM-2XHD`. */
  code: string;
  status: 'issued' | 'reversed';
  createdAt: string;
  madeBy: string;
  madeById: string;
  balanceAfter: number;
  reversedAt?: string;
  reversedBy?: string;
  reversedById?: string;
  reversalReason?: string;
  balanceAfterReversal?: number;
}

export interface NewRedemption {
  userId: string;
  idempotencyKey: string;
  reward: Reward;
  code: string;
  madeBy: ChangeAuthor;
  at: string;
}

export type RedeemCommit =
  | { kind: 'redeemed'; redemption: StoredRedemption }
  /** A redemption under this key exists already (this one, asked again, or another). */
  | { kind: 'exists'; redemption: StoredRedemption }
  /** The account changed since it was read, or a concurrent transaction touched it: read again and retry. */
  | { kind: 'stale' };

/** Redemptions of rewards, each with the account's new standing in the same transaction. */
export interface Redemptions {
  /** Records the redemption and takes its points, only if the account is as read and its balance covers the cost. */
  redeem(redemption: NewRedemption, before: LoyaltyAccount, after: LoyaltyAccount): Promise<RedeemCommit>;
  get(userId: string, redemptionId: string): Promise<StoredRedemption | undefined>;
  /** Marks an issued redemption reversed and gives its points back, guarded by the account's version. */
  reverse(
    redemption: StoredRedemption,
    before: LoyaltyAccount,
    after: LoyaltyAccount,
    change: { reason: string; by: ChangeAuthor; at: string },
  ): Promise<ChangeResult>;
  /** The customer's redemptions, newest first. A cursor this listing did not issue is refused with an InvalidCursorError. */
  list(userId: string, limit: number, cursor?: string): Promise<Page<Listed>>;
}

/** The statistics the stream keeps. */
export interface StatsReader {
  /** A day's review counts (or the all-time ones, under ALL_TIME); empty before anything was counted. */
  totals(day: string): Promise<Partial<ReviewCounts>>;
  /** A day's sales figures, one row per machine and product. */
  salesFigures(day: string): Promise<FigureRow[]>;
}

export interface SourceActivity {
  readAll(sources: SyncSource[]): Promise<Record<string, { lastProcessedAt?: string; duplicates: number }>>;
}

export type SourceState = 'running' | 'stopped' | 'starting' | 'stopping';

export interface SyncControl {
  setEnabled(source: SyncSource, enabled: boolean): Promise<SourceState>;
  state(source: SyncSource): Promise<SourceState>;
}

/** What re-queueing the files that arrived but were never processed needs: the bucket listing, the file ledger, the queue. */
export interface FileRequeueDeps extends Pick<ReconcileDeps, 'listOlderThan' | 'files' | 'queue'> {
  bucket: string;
  /** Called when re-queueing fails after sync was started: the scheduled reconcile will catch up. */
  onRequeueError(err: unknown): void;
}

export interface QueueDepth {
  name: string;
  url: string;
  waiting: number;
  inFlight: number;
  oldestMessageAgeSeconds: number | null;
}

export interface QueueMonitor {
  depth(name: string, url: string): Promise<QueueDepth>;
  /** Moves a dead-letter queue's messages back to the queue they came from; the answer is the move task's handle. */
  redrive(deadLetterQueueUrl: string): Promise<string>;
}

/** The queues the admin API watches, by URL. */
export type AdminQueues = {
  moma: string;
  fileEvents: string;
  momaDlq: string;
  fileEventsDlq: string;
};

/** A failure as stored, with the copy a retry needs when the input could be read as a record. */
export interface StoredFailure {
  status: 'open' | 'resolved';
  reason: string;
  source: string;
  outcome?: string;
  /** The retry copy, as JSON. */
  retryRecord?: string | null;
  [attribute: string]: unknown;
}

/** Stored failures as their retry sees them. */
export interface FailureRecords {
  get(failureId: string): Promise<StoredFailure | undefined>;
  /** The retry failed again: why, and one retry more. */
  retryFailed(failureId: string, result: { reason: string; errors: FieldError[]; at: string }): Promise<void>;
  /** The retry went through: the failure is resolved with the sale's outcome. */
  resolved(failureId: string, result: { outcome: string; at: string }): Promise<void>;
}

/** One probe of a dependency: a cheap read that proves the function can reach it. */
export interface ConnectionCheck {
  name: string;
  /** What this check needs to be able to do, for the fix hint. */
  needs: string;
  /** The configuration setting that names what is probed (an environment variable), for the fix hint. */
  setting?: string;
  probe(): Promise<string>;
}

/** Who the operators are: the user pool, read for the audit trail's names. */
export interface OperatorDirectory {
  emailOf(username: string): Promise<string | undefined>;
}

/** Signs a listing's resume position into an opaque cursor, and opens only what it signed for that listing. */
export interface PositionSealer {
  seal(listing: string, position: unknown): string;
  open<S extends z.ZodType>(listing: string, cursor: string, shape: S): z.output<S>;
}

/** Everything the admin routes use, built once per process by the admin function's composition root. */
export interface AdminContainer {
  /** The award path, shared with ingest: CSV import, failure retry, assignment and card linking go through it. */
  deps: IngestDeps;
  queues: AdminQueues;
  sales: SaleReader;
  customers: CustomerStore;
  records: CustomerRecords;
  erasure: CustomerErasure;
  /** Seals the positions of an export's parts, so a client can hold them but not forge or reuse them elsewhere. */
  exportCursors: PositionSealer;
  queries: AdminQueries;
  changes: AccountChanges;
  campaigns: CampaignBook;
  /** How long after it is saved a campaign change takes effect (the functions' campaign cache). */
  campaignDelaySeconds: number;
  redemptions: Redemptions;
  stats: StatsReader;
  activity: SourceActivity;
  sync: SyncControl;
  fileRequeue: FileRequeueDeps;
  queueMonitor: QueueMonitor;
  storedFailures: FailureRecords;
  checks: ConnectionCheck[];
  audit: AuditLog;
  operators: OperatorDirectory;
  clock: Clock;
  /** Told when an audit entry could not be written (the call itself has run): the entry goes to the logs instead. */
  onAuditFailure(err: unknown, entry: AuditEntry): void;
}

export interface SavedCampaignVersion extends CampaignVersion {
  savedAt: string;
  savedBy: string;
  endedBy?: string;
}

/** Every version of every campaign; a change adds a version and closes the one it replaces, in one transaction. */
export interface CampaignBook extends CampaignSource {
  versions(): Promise<readonly SavedCampaignVersion[]>;
  /**
   * Saves `campaign` (its version one above the one it replaces, or 1 for a new campaign) in force from `validFrom`,
   * and ends the version it replaces then. `conflict` when that version is not the campaign's open latest (someone
   * else saved or ended it meanwhile), or a new campaign's id is taken.
   */
  save(campaign: Campaign, validFrom: string, by: ChangeAuthor, now: string): Promise<'saved' | 'conflict'>;
  /** Ends an open version at `at`; `conflict` when it is no longer the open one. */
  end(campaignId: string, version: number, at: string, by: ChangeAuthor): Promise<'ended' | 'conflict'>;
}
