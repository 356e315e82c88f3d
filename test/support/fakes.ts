import { HmacCardHasher } from '../../shared/adapters/card-hasher';
import { failureAttributes, failureIdFor } from '../../shared/adapters/dynamodb/failure-store';
import { normalizeCardNumber } from '../../shared/domain/card-number';
import { type AwardPlan, type LoyaltyAccount, newAccount } from '../../shared/domain/loyalty';
import { DEFAULT_PROGRAM } from '../../shared/domain/program';
import type { FileIngestDeps } from '../../shared/ingest/ingest-file';
import type { IngestDeps } from '../../shared/ingest/ingest-sale';
import type {
  AwardCommit,
  CardHashes,
  CustomerDirectory,
  ExistingSale,
  FailureReport,
  FailureStore,
  FileClaim,
  FileCounts,
  FileLedger,
  HoldResult,
  LoyaltyLedger,
  ObjectRef,
  SaleRecord,
  UnmatchedReason,
} from '../../shared/ingest/ports';
import { TEST_PEPPER } from './dynamodb';
import { MemoryObjectStore } from './memory-objects';

/** In-memory fakes of the ingest ports, with the same contracts as the DynamoDB adapters. */

export const testHasher = new HmacCardHasher(TEST_PEPPER);

type StoredSale = SaleRecord & { status: ExistingSale['status']; userId?: string; unmatchedReason?: UnmatchedReason };

/** What a fault hook may do to one call: throw this error, return this result, or (undefined) let it run. */
type Fault<R> = Error | R | undefined;

export class MemoryLedger implements LoyaltyLedger {
  readonly accounts = new Map<string, LoyaltyAccount>();
  readonly sales = new Map<string, StoredSale>();
  readonly conflicts: Array<{ sale: SaleRecord; existing: ExistingSale }> = [];
  commits = 0;
  /** Called before every commit; lets a test inject DynamoDB errors or contention for chosen sales. */
  commitFault?: (sale: SaleRecord, attempt: number) => Fault<AwardCommit>;
  holdFault?: (sale: SaleRecord) => Fault<HoldResult>;
  private readonly attempts = new Map<string, number>();

  addAccount(userId: string) {
    this.accounts.set(userId, newAccount(userId));
  }

  async getAccount(userId: string): Promise<LoyaltyAccount | undefined> {
    const account = this.accounts.get(userId);
    return account && { ...account };
  }

  async commitAward(sale: SaleRecord, plan: AwardPlan): Promise<AwardCommit> {
    this.commits += 1;
    const attempt = (this.attempts.get(sale.transactionId) ?? 0) + 1;
    this.attempts.set(sale.transactionId, attempt);
    const fault = this.commitFault?.(sale, attempt);
    if (fault instanceof Error) throw fault;
    if (fault) return fault;
    const existing = this.sales.get(sale.transactionId);
    if (existing && !(existing.status === 'unmatched' && existing.contentHash === sale.contentHash))
      return { kind: 'exists', existing: toExisting(existing) };
    const current = this.accounts.get(plan.after.userId);
    if (!current || current.version !== plan.before.version) return { kind: 'retry', reason: 'stale_account' };
    this.accounts.set(plan.after.userId, { ...plan.after, version: plan.before.version + 1 });
    this.sales.set(sale.transactionId, { ...sale, status: 'awarded', userId: plan.after.userId });
    return { kind: 'committed' };
  }

  async holdUnmatched(sale: SaleRecord, reason: UnmatchedReason): Promise<HoldResult> {
    const fault = this.holdFault?.(sale);
    if (fault instanceof Error) throw fault;
    if (fault) return fault;
    const existing = this.sales.get(sale.transactionId);
    if (existing) return { kind: 'exists', existing: toExisting(existing) };
    this.sales.set(sale.transactionId, { ...sale, status: 'unmatched', unmatchedReason: reason });
    return { kind: 'held' };
  }

  async recordConflict(sale: SaleRecord, existing: ExistingSale): Promise<void> {
    this.conflicts.push({ sale, existing });
  }
}

const toExisting = (sale: StoredSale): ExistingSale => ({ contentHash: sale.contentHash, status: sale.status, userId: sale.userId });

/** Customers by card, matched on the full-number hash when the sale has one, else on the last-four hash. */
export class MemoryDirectory implements CustomerDirectory {
  private readonly cards: Array<{ userId: string; hashes: CardHashes }> = [];

  link(userId: string, cardNumber: string) {
    this.cards.push({ userId, hashes: testHasher.hash(normalizeCardNumber(cardNumber)!) });
  }

  async findCustomersByCard(card: CardHashes): Promise<string[]> {
    return this.cards
      .filter((c) => (card.fullHash ? c.hashes.fullHash === card.fullHash : c.hashes.lastFourHash === card.lastFourHash))
      .map((c) => c.userId);
  }
}

/** Failures as the DynamoDB store would keep them (the same bounding and masking), keyed by failure id. */
export class MemoryFailureStore implements FailureStore {
  readonly items = new Map<string, ReturnType<typeof failureAttributes> & { occurrences: number }>();
  recordFault?: (failure: FailureReport) => Error | undefined;

  async recordFailure(failure: FailureReport): Promise<void> {
    const fault = this.recordFault?.(failure);
    if (fault) throw fault;
    const id = failureIdFor(failure.sourceId);
    this.items.set(id, { ...failureAttributes(failure), occurrences: (this.items.get(id)?.occurrences ?? 0) + 1 });
  }

  get all() {
    return [...this.items.values()];
  }

  bySource(fragment: string) {
    return this.all.filter((f) => f.source.includes(fragment));
  }
}

type FileItem = {
  status: string;
  nextIndex: number;
  counts: FileCounts;
  records?: number;
  reason?: string;
  attempts: number;
  leaseExpiresAt: number;
};

export class MemoryFileLedger implements FileLedger {
  readonly files = new Map<string, FileItem>();
  private readonly id = (ref: ObjectRef) => `${ref.bucket}/${ref.key}@${ref.eTag}`;

  get(ref: ObjectRef) {
    return this.files.get(this.id(ref));
  }

  async claim(ref: ObjectRef, leaseMs: number): Promise<FileClaim> {
    const item = this.files.get(this.id(ref));
    if (item && item.status !== 'processing') return { kind: 'already_processed' };
    if (item && item.leaseExpiresAt > Date.now())
      return { kind: 'in_progress_elsewhere', leaseExpiresAt: new Date(item.leaseExpiresAt).toISOString() };
    const next = item ?? {
      status: 'processing',
      nextIndex: 0,
      counts: { awarded: 0, duplicate: 0, conflict: 0, unmatched: 0, failed: 0 },
      attempts: 0,
      leaseExpiresAt: 0,
    };
    next.attempts += 1;
    next.leaseExpiresAt = Date.now() + leaseMs;
    this.files.set(this.id(ref), next);
    return { kind: 'claimed', resumeFromIndex: next.nextIndex };
  }

  async checkpoint(ref: ObjectRef, nextIndex: number, delta: FileCounts, leaseMs: number): Promise<void> {
    const item = this.files.get(this.id(ref))!;
    item.nextIndex = nextIndex;
    item.leaseExpiresAt = Date.now() + leaseMs;
    add(item.counts, delta);
  }

  async complete(ref: ObjectRef, result: { status: string; delta: FileCounts; records: number; reason?: string }): Promise<void> {
    const item = this.files.get(this.id(ref)) ?? {
      status: 'processing',
      nextIndex: 0,
      counts: { awarded: 0, duplicate: 0, conflict: 0, unmatched: 0, failed: 0 },
      attempts: 0,
      leaseExpiresAt: 0,
    };
    Object.assign(item, { status: result.status, records: result.records, nextIndex: result.records, reason: result.reason });
    add(item.counts, result.delta);
    this.files.set(this.id(ref), item);
  }

  async findUnfinished(refs: ObjectRef[]): Promise<ObjectRef[]> {
    return refs.filter((ref) => {
      const item = this.files.get(this.id(ref));
      return !item || (item.status === 'processing' && item.leaseExpiresAt <= Date.now());
    });
  }
}

function add(into: FileCounts, delta: FileCounts) {
  for (const name of Object.keys(delta) as Array<keyof FileCounts>) into[name] += delta[name];
}

/** Every ingest port in memory, with one customer `pat` on card 4111 1111 1111 1111; no sleeping between retries. */
export function memoryIngest() {
  const ledger = new MemoryLedger();
  const directory = new MemoryDirectory();
  const failures = new MemoryFailureStore();
  const files = new MemoryFileLedger();
  const objects = new MemoryObjectStore();
  ledger.addAccount('pat');
  directory.link('pat', '4111 1111 1111 1111');
  const deps: IngestDeps = {
    program: DEFAULT_PROGRAM,
    hasher: testHasher,
    directory,
    ledger,
    failures,
    clock: { now: () => new Date('2025-01-02T00:00:00Z') },
    sleep: async () => undefined,
  };
  const fileDeps: FileIngestDeps = { ...deps, objects, files };
  return { deps, fileDeps, ledger, directory, failures, files, objects };
}

/** Errors shaped as the AWS SDK v3 throws them (name, $fault, $metadata), without a service client. */
export function awsError(
  name: string,
  message: string,
  options: { status?: number; fault?: 'client' | 'server'; extra?: Record<string, unknown> } = {},
) {
  const status = options.status ?? (options.fault === 'server' ? 500 : 400);
  return Object.assign(new Error(message), {
    name,
    $fault: options.fault ?? (status >= 500 ? 'server' : 'client'),
    $metadata: { httpStatusCode: status, attempts: 3 },
    ...options.extra,
  });
}
