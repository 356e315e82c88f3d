/**
 * How long each kind of stored data is kept, in one place: the adapters stamp each item's expiry (DynamoDB's TTL
 * deletes it then), the README states the same table. Sales are kept as long as the account exists unless the
 * program's `retention.salesDays` says otherwise; customers and their cards until they are unlinked or erased.
 */
export const RETENTION_DAYS = {
  /** A record that could not be processed, with its masked raw copy: from when it was last seen. */
  failures: 90,
  /** A notification sent (or held for lack of consent). */
  notifications: 30,
  /** A sale no customer matched, held for review; then it expires and is counted as `unmatchedExpired`. */
  unmatchedSales: 180,
  /** A second, different delivery of a recorded sale. */
  conflicts: 180,
  /** The record of a processed Moma file: as long as the file itself is kept in S3 by default. */
  processedFiles: 400,
  /** Audit entries: at least a year. */
  audit: 400,
} as const;

/**
 * Reconcile (and Start's requeue) look for unprocessed files written in these last days only, well inside the
 * processed-file records' life: an older file's record may be gone, and it must not be taken for new.
 */
export const RECONCILE_LOOKBACK_DAYS = RETENTION_DAYS.processedFiles - 30;

export type RetainedKind = keyof typeof RETENTION_DAYS;

const DAY_SECONDS = 86_400;

/** The TTL value (epoch seconds) of an item kept `days` from `from`. */
export const expiryAfterDays = (days: number, from: Date | string) => Math.floor(new Date(from).getTime() / 1000) + days * DAY_SECONDS;

/** The TTL value of an item of this kind written (or last seen) at `from`. */
export const expiryOf = (kind: RetainedKind, from: Date | string) => expiryAfterDays(RETENTION_DAYS[kind], from);

/** Moma's files in S3 (the bucket's lifecycle rules, see infra/constructs/storage.ts). */
export const MOMA_FILE_LIFECYCLE = {
  /** Processed files move to the infrequent-access class after this many days (objects under 128 KB stay, as S3 does by default). */
  infrequentAccessAfterDays: 30,
  /** Files expire after this many days unless the `momaFileRetentionDays` context says otherwise. */
  defaultRetentionDays: 400,
  /** A file overwritten or expired is kept as a noncurrent version this long, then deleted. */
  noncurrentVersionDays: 90,
} as const;
