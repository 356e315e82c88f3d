import type { Readable } from 'node:stream';
import type { CampaignVersion } from '../domain/campaigns';
import { maskCardNumbersInText, type NormalizedCard } from '../domain/card-number';
import type { AwardPlan, LoyaltyAccount } from '../domain/loyalty';
import type { FieldError } from '../domain/moma-record';

/** What the ledger stores about a sale: never the card number, only its keyed hashes and last four. */
export interface SaleRecord {
  transactionId: string;
  date: string;
  amountCents: number;
  product: string;
  machineId: string;
  cardLast4: string;
  cardFullHash?: string;
  cardLast4Hash: string;
  contentHash: string;
  /** Where the sale came from, for people: `describeOrigin` of its origin. */
  source: string;
  receivedAt: string;
}

export interface CardHashes {
  fullHash?: string;
  lastFourHash: string;
  lastFour: string;
  /**
   * The same card's hashes under the previous pepper, while a pepper rotation migrates the links: a sale matches a
   * card linked under either; links are made (and moved) under the current one. Never stored on a sale.
   */
  previous?: { fullHash?: string; lastFourHash: string };
}

export interface CardHasher {
  hash(card: NormalizedCard): CardHashes;
}

export interface CustomerDirectory {
  /**
   * Customers whose linked card matches: on the full-number hash when the sale has one, else on the last-four hash.
   * At most `limit` of them (two by default: enough to know a match is ambiguous).
   */
  findCustomersByCard(card: CardHashes, limit?: number): Promise<string[]>;
  /** Forgets what a cache may hold about this card (its customer's account turned out stale). */
  forgetCard?(card: Pick<CardHashes, 'fullHash' | 'lastFourHash'>): void;
}

export type UnmatchedReason = 'unknown_card' | 'ambiguous';

export interface ExistingSale {
  contentHash: string;
  status: 'awarded' | 'unmatched' | 'reversed';
  userId?: string;
}

export type AwardCommit =
  | { kind: 'committed' }
  /** A sale with this id is already recorded (awarded, or unmatched with other content). */
  | { kind: 'exists'; existing: ExistingSale }
  /** The account changed since it was read, or DynamoDB reported a transaction conflict: read again and retry. */
  | { kind: 'retry'; reason: 'stale_account' | 'transaction_conflict' };

export type HoldResult = { kind: 'held' } | { kind: 'exists'; existing: ExistingSale };

export interface PendingAward {
  sale: SaleRecord;
  plan: AwardPlan;
}

/**
 * What became of one award of a pack. The pack is one transaction, so when any award's condition fails none commits:
 * the others are `not_attempted` (nothing of theirs was refused) and can go again in another pack.
 */
export type PackedAwardCommit = AwardCommit | { kind: 'not_attempted' } | { kind: 'failed'; error: unknown };

export interface LoyaltyLedger {
  getAccount(userId: string, options: { consistent: boolean }): Promise<LoyaltyAccount | undefined>;
  /** Records the sale and the account's new standing atomically; a sale already recorded changes nothing. */
  commitAward(sale: SaleRecord, plan: AwardPlan): Promise<AwardCommit>;
  /** Records a sale that matches no single customer, for review and later assignment. */
  holdUnmatched(sale: SaleRecord, reason: UnmatchedReason, candidates: number): Promise<HoldResult>;
  recordConflict(sale: SaleRecord, existing: ExistingSale): Promise<void>;
}

/** A ledger that can commit several awards (of different customers and sale ids) in one transaction. */
export interface PackingLedger extends LoyaltyLedger {
  /** All the awards commit, or none does and each is told why (in the order given); throws only for the whole pack. */
  commitAwards(awards: readonly PendingAward[]): Promise<PackedAwardCommit[]>;
}

/**
 * A failing input, as the ingest services report it. The store masks card numbers in every string and bounds what it
 * keeps (a truncated copy of the input with its original length), so callers pass the input as it came.
 */
export interface FailureReport {
  /**
   * The failure's key: a stable identity of the failing input, so a redelivery overwrites rather than duplicates the
   * failure (stored, masked, as `sourceId`).
   */
  sourceId: string;
  /** Where the input came from, for people: `describeOrigin` of the input's origin. */
  source: string;
  reason: string;
  errors?: FieldError[];
  /** The raw input (a string, or the parsed value). */
  raw?: unknown;
  transactionId?: string;
  /**
   * What a retry needs: the record with the card number removed and, when the card number itself was valid,
   * its keyed hashes (never the number). Absent when the input could not even be read as a record.
   */
  retry?: { record: Record<string, unknown>; card?: CardHashes };
}

export interface FailureStore {
  /** Throws only transient errors: an input DynamoDB refuses to store in full is stored as a minimal failure. */
  recordFailure(failure: FailureReport): Promise<void>;
}

export interface ObjectRef {
  bucket: string;
  key: string;
  eTag: string;
  versionId?: string;
  size?: number;
  /** One byte range of a large file, processed by its own worker: the records whose line starts in [start, end). */
  part?: FilePart;
}

export interface FilePart {
  index: number;
  count: number;
  start: number;
  end: number;
}

export interface OpenOptions {
  /** Bytes from `start` to `end` (inclusive), or to the end of the object when `end` is absent. */
  range?: { start: number; end?: number };
}

export interface OpenedObject {
  body: Readable;
  /** Base64 SHA-256 of the whole object, when the uploader sent one (composite multipart checksums are left out). */
  checksumSha256?: string;
  /** The object's Content-Encoding metadata (for example `gzip`), when it was stored with one. */
  contentEncoding?: string;
  /** The whole object's size in bytes (not the range's), when S3 said. */
  size?: number;
}

export class ObjectMissingError extends Error {
  constructor(ref: ObjectRef) {
    // The message becomes a failure's reason and a log line: a card number in the key is masked.
    super(maskCardNumbersInText(`s3://${ref.bucket}/${ref.key} no longer exists (or that version was deleted)`));
    this.name = 'ObjectMissingError';
  }
}

export interface ObjectStore {
  open(ref: ObjectRef, options?: OpenOptions): Promise<OpenedObject>;
}

/** How many records ended in each outcome: of a file, a message or a CSV upload. */
export interface OutcomeCounts {
  awarded: number;
  duplicate: number;
  conflict: number;
  unmatched: number;
  failed: number;
}

export const emptyCounts = (): OutcomeCounts => ({ awarded: 0, duplicate: 0, conflict: 0, unmatched: 0, failed: 0 });

export type FileClaim =
  /** `parts`: the file was fanned out to parts, this many of which are done. */
  | { kind: 'claimed'; resumeFromIndex: number; parts?: { count: number; done: number; objectBytes: number } }
  | { kind: 'already_processed' }
  | { kind: 'in_progress_elsewhere'; leaseExpiresAt: string };

export interface FileLedger {
  /** Takes a lease on the file so one worker processes it at a time; a crashed worker's lease expires. */
  claim(ref: ObjectRef, leaseMs: number): Promise<FileClaim>;
  /** Saves progress: every record before `nextIndex` is done; the counts are added to the file's totals. */
  checkpoint(ref: ObjectRef, nextIndex: number, delta: OutcomeCounts, leaseMs: number): Promise<void>;
  /**
   * Hands the file to `parts.count` parts (their refs carry `part`): the file stays claimed for `leaseMs`, renewed as
   * its parts progress, and is finished when its last part is; a part's completion adds its counts and records to the
   * file's. False when the file is no longer being processed (its last part finished meanwhile).
   */
  fanOut(ref: ObjectRef, parts: { count: number; objectBytes: number }, leaseMs: number): Promise<boolean>;
  /** How a fanned-out file was cut, and which of its parts are finished; undefined for a file never fanned out. */
  fanOutState(ref: ObjectRef): Promise<{ count: number; objectBytes: number; finished: number[] } | undefined>;
  /** Finishes a fanned-out file whose parts are all done; false while some are not. */
  finishParts(ref: ObjectRef): Promise<boolean>;
  /** Finishes the file for good (it is never re-queued); `reason` says why an unreadable or empty file has no records. */
  complete(
    ref: ObjectRef,
    result: {
      status: 'processed' | 'checksum_mismatch' | 'unreadable';
      sha256?: string;
      delta: OutcomeCounts;
      records: number;
      reason?: string;
    },
  ): Promise<void>;
  /** Of these files, the ones never finished: no record at all, or a lease that expired (a crashed worker). */
  findUnfinished(refs: ObjectRef[], now: Date): Promise<ObjectRef[]>;
}

export interface FileEventQueue {
  /** Queues the file for (re)processing, in the shape of an S3 ObjectCreated notification. */
  enqueue(ref: ObjectRef): Promise<void>;
  enqueueMany(refs: ObjectRef[]): Promise<void>;
}

/** Every saved version of the campaigns: a sale picks the ones in force at its date. */
export interface CampaignSource {
  versions(): Promise<readonly CampaignVersion[]>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
