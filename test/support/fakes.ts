import { HmacCardHasher } from '../../shared/adapters/card-hasher';
import { failureAttributes, failureIdFor } from '../../shared/adapters/dynamodb/failure-store';
import { normalizeCardNumber } from '../../shared/domain/card-number';
import { type AwardPlan, type LoyaltyAccount, newAccount } from '../../shared/domain/loyalty';
import { DEFAULT_PROGRAM } from '../../shared/domain/program';
import type { SaleLookup } from '../../shared/ingest/assign-unmatched';
import { TransientIngestError } from '../../shared/ingest/errors';
import type { FileIngestDeps } from '../../shared/ingest/ingest-file';
import type { IngestDeps } from '../../shared/ingest/ingest-sale';
import type {
  AwardCommit,
  CardHashes,
  Clock,
  CustomerDirectory,
  ExistingSale,
  FailureReport,
  FailureStore,
  FileClaim,
  FileEventQueue,
  FileLedger,
  HoldResult,
  ObjectRef,
  OutcomeCounts,
  PackedAwardCommit,
  PackingLedger,
  PendingAward,
  SaleRecord,
  UnmatchedReason,
} from '../../shared/ingest/ports';
import { TEST_PEPPER } from './dynamodb';
import { MemoryObjectStore } from './memory-objects';

/** In-memory fakes of the ingest ports, with the same contracts as the DynamoDB adapters. */

export const testHasher = new HmacCardHasher(TEST_PEPPER);

type StoredSale = SaleRecord & { status: ExistingSale['status']; userId?: string; unmatchedReason?: UnmatchedReason; plan?: AwardPlan };

/** What a fault hook may do to one call: throw this error, return this result, or (undefined) let it run. */
type Fault<R> = Error | R | undefined;

/**
 * The loyalty ledger as DynamoDB keeps it: a sale id is recorded once (a redelivery finds it `exists`), an award
 * commits only against the account version it was planned from (else `stale_account`), and an unmatched sale with
 * the same content can later be awarded. Faults are injected per call.
 */
export class MemoryLedger implements PackingLedger {
  readonly accounts = new Map<string, LoyaltyAccount>();
  readonly sales = new Map<string, StoredSale>();
  readonly conflicts: Array<{ sale: SaleRecord; existing: ExistingSale }> = [];
  /** Every account read, in order, with whether it asked for a strongly consistent read. */
  readonly reads: Array<{ userId: string; consistent: boolean }> = [];
  commits = 0;
  /** The size of every pack committed through `commitAwards`, in order. */
  readonly packs: number[] = [];
  /** Called before every pack; an error is thrown for the whole pack, as DynamoDB refusing the transaction would. */
  packFault?: (awards: readonly PendingAward[]) => Error | undefined;
  /** Called before every commit; lets a test inject DynamoDB errors or contention for chosen sales. */
  commitFault?: (sale: SaleRecord, attempt: number) => Fault<AwardCommit>;
  holdFault?: (sale: SaleRecord) => Fault<HoldResult>;
  /** Called before every account read; an error is thrown as DynamoDB's would be. */
  readFault?: (userId: string, read: number) => Error | undefined;
  private readonly attempts = new Map<string, number>();
  private readonly concurrentWrites = new Map<string, number>();

  addAccount(userId: string, standing: Partial<LoyaltyAccount> = {}) {
    this.accounts.set(userId, { ...newAccount(userId), ...standing, userId });
  }

  /**
   * Another writer changes the account between the next `times` reads and the commits that follow them, as a
   * concurrent award would: each of those commits finds a newer version and is refused as stale.
   */
  contendOn(userId: string, times = 1) {
    this.concurrentWrites.set(userId, (this.concurrentWrites.get(userId) ?? 0) + times);
  }

  async getAccount(userId: string, options: { consistent: boolean } = { consistent: false }): Promise<LoyaltyAccount | undefined> {
    this.reads.push({ userId, consistent: options.consistent });
    const fault = this.readFault?.(userId, this.reads.length);
    if (fault) throw fault;
    const account = this.accounts.get(userId);
    if (!account) return undefined;
    const copy = { ...account };
    const pending = this.concurrentWrites.get(userId) ?? 0;
    if (pending > 0) {
      this.concurrentWrites.set(userId, pending - 1);
      this.accounts.set(userId, { ...account, version: account.version + 1 });
    }
    return copy;
  }

  /** How many commits this sale has seen (retries included). */
  attemptsOf(transactionId: string) {
    return this.attempts.get(transactionId) ?? 0;
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
    this.sales.set(sale.transactionId, { ...sale, status: 'awarded', userId: plan.after.userId, plan });
    return { kind: 'committed' };
  }

  /** Packs commit all or nothing, as one transaction: the awards nothing refused come back `not_attempted`. */
  async commitAwards(awards: readonly PendingAward[]): Promise<PackedAwardCommit[]> {
    this.packs.push(awards.length);
    const fault = this.packFault?.(awards);
    if (fault) throw fault;
    const refusals = awards.map(({ sale, plan }): AwardCommit | undefined => {
      const existing = this.sales.get(sale.transactionId);
      if (existing && !(existing.status === 'unmatched' && existing.contentHash === sale.contentHash))
        return { kind: 'exists', existing: toExisting(existing) };
      const current = this.accounts.get(plan.after.userId);
      if (!current || current.version !== plan.before.version) return { kind: 'retry', reason: 'stale_account' };
      return undefined;
    });
    if (refusals.some(Boolean)) return refusals.map((r) => r ?? { kind: 'not_attempted' });
    for (const { sale, plan } of awards) {
      this.commits += 1;
      this.accounts.set(plan.after.userId, { ...plan.after, version: plan.before.version + 1 });
      this.sales.set(sale.transactionId, { ...sale, status: 'awarded', userId: plan.after.userId, plan });
    }
    return awards.map(() => ({ kind: 'committed' }));
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

  /** One conflict per sale id and content, as the table keys it: the same conflict seen again replaces the first. */
  async recordConflict(sale: SaleRecord, existing: ExistingSale): Promise<void> {
    const seen = this.conflicts.findIndex((c) => c.sale.transactionId === sale.transactionId && c.sale.contentHash === sale.contentHash);
    if (seen >= 0) this.conflicts.splice(seen, 1, { sale, existing });
    else this.conflicts.push({ sale, existing });
  }
}

/** Sales by id, as the admin's sale lookup reads them from the ledger's items. */
export class MemorySaleLookup implements SaleLookup {
  constructor(private readonly ledger: MemoryLedger) {}

  async getSale(transactionId: string) {
    const sale = this.ledger.sales.get(transactionId);
    return sale && { ...sale };
  }
}

const toExisting = (sale: StoredSale): ExistingSale => ({ contentHash: sale.contentHash, status: sale.status, userId: sale.userId });

/** Customers by card, matched on the full-number hash when the sale has one, else on the last-four hash. */
export class MemoryDirectory implements CustomerDirectory {
  private readonly cards: Array<{ userId: string; hashes: CardHashes }> = [];
  lookupFault?: (card: CardHashes) => Error | undefined;

  link(userId: string, cardNumber: string) {
    this.cards.push({ userId, hashes: testHasher.hash(normalizeCardNumber(cardNumber)!) });
  }

  async findCustomersByCard(card: CardHashes, limit = 2): Promise<string[]> {
    const fault = this.lookupFault?.(card);
    if (fault) throw fault;
    return this.cards
      .filter((c) => (card.fullHash ? c.hashes.fullHash === card.fullHash : c.hashes.lastFourHash === card.lastFourHash))
      .map((c) => c.userId)
      .slice(0, limit);
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
  counts: OutcomeCounts;
  records?: number;
  reason?: string;
  attempts: number;
  leaseExpiresAt: number;
  partCount?: number;
  partsDone?: number;
  partObjectBytes?: number;
};

/** Processed files with their leases; leases run on `clock` (the system clock unless a test passes its own). */
export class MemoryFileLedger implements FileLedger {
  readonly files = new Map<string, FileItem>();
  private readonly id = (ref: ObjectRef) => `${ref.bucket}/${ref.key}@${ref.eTag}${ref.part ? `#part${ref.part.index}` : ''}`;
  private readonly fileOf = (ref: ObjectRef) => this.files.get(this.id({ ...ref, part: undefined }));

  constructor(private readonly clock: Clock = { now: () => new Date() }) {}

  get(ref: ObjectRef) {
    return this.files.get(this.id(ref));
  }

  async claim(ref: ObjectRef, leaseMs: number): Promise<FileClaim> {
    const item = this.files.get(this.id(ref));
    if (item && item.status !== 'processing') return { kind: 'already_processed' };
    if (item && item.leaseExpiresAt > this.clock.now().getTime())
      return { kind: 'in_progress_elsewhere', leaseExpiresAt: new Date(item.leaseExpiresAt).toISOString() };
    const next = item ?? {
      status: 'processing',
      nextIndex: 0,
      counts: { awarded: 0, duplicate: 0, conflict: 0, unmatched: 0, failed: 0 },
      attempts: 0,
      leaseExpiresAt: 0,
    };
    next.attempts += 1;
    next.leaseExpiresAt = this.clock.now().getTime() + leaseMs;
    this.files.set(this.id(ref), next);
    return {
      kind: 'claimed',
      resumeFromIndex: next.nextIndex,
      ...(next.partCount !== undefined
        ? { parts: { count: next.partCount, done: next.partsDone ?? 0, objectBytes: next.partObjectBytes ?? 0 } }
        : {}),
    };
  }

  /** Only the file's current worker saves progress: a file finished meanwhile (or never claimed) is a transient error. */
  async checkpoint(ref: ObjectRef, nextIndex: number, delta: OutcomeCounts, leaseMs: number): Promise<void> {
    const item = this.files.get(this.id(ref));
    if (item?.status !== 'processing')
      throw new TransientIngestError(`s3://${ref.bucket}/${ref.key} is no longer this worker's to process`);
    item.nextIndex = nextIndex;
    item.leaseExpiresAt = this.clock.now().getTime() + leaseMs;
    add(item.counts, delta);
  }

  async fanOut(ref: ObjectRef, parts: { count: number; objectBytes: number }, leaseMs: number): Promise<boolean> {
    const item = this.files.get(this.id(ref))!;
    if (item.status !== 'processing') return false;
    item.partCount = parts.count;
    item.partObjectBytes = parts.objectBytes;
    item.partsDone ??= 0;
    item.leaseExpiresAt = this.clock.now().getTime() + leaseMs;
    return true;
  }

  async fanOutState(ref: ObjectRef) {
    const file = this.fileOf(ref);
    if (file?.partCount === undefined) return undefined;
    const finished = Array.from({ length: file.partCount }, (_, index) => index).filter((index) => {
      const part = this.files.get(this.id({ ...ref, part: { index, count: 0, start: 0, end: 0 } }));
      return part !== undefined && part.status !== 'processing';
    });
    return { count: file.partCount, objectBytes: file.partObjectBytes ?? 0, finished };
  }

  async finishParts(ref: ObjectRef): Promise<boolean> {
    const item = this.files.get(this.id(ref));
    if (item?.status !== 'processing' || item.partsDone !== item.partCount) return false;
    item.status = 'processed';
    return true;
  }

  async complete(ref: ObjectRef, result: { status: string; delta: OutcomeCounts; records: number; reason?: string }): Promise<void> {
    const item = this.files.get(this.id(ref)) ?? {
      status: 'processing',
      nextIndex: 0,
      counts: { awarded: 0, duplicate: 0, conflict: 0, unmatched: 0, failed: 0 },
      attempts: 0,
      leaseExpiresAt: 0,
    };
    if (ref.part && item.status !== 'processing') return;
    Object.assign(item, { status: result.status, records: result.records, nextIndex: result.records, reason: result.reason });
    add(item.counts, result.delta);
    this.files.set(this.id(ref), item);
    if (ref.part) {
      const file = this.fileOf(ref)!;
      add(file.counts, item.counts);
      file.partsDone = (file.partsDone ?? 0) + 1;
      file.records = (file.records ?? 0) + result.records;
      await this.finishParts({ ...ref, part: undefined });
    }
  }

  async findUnfinished(refs: ObjectRef[], now: Date = this.clock.now()): Promise<ObjectRef[]> {
    return refs.filter((ref) => {
      const item = this.files.get(this.id(ref));
      return !item || (item.status === 'processing' && item.leaseExpiresAt <= now.getTime());
    });
  }
}

function add(into: OutcomeCounts, delta: OutcomeCounts) {
  for (const name of Object.keys(delta) as Array<keyof OutcomeCounts>) into[name] += delta[name];
}

/** Objects in memory, whose reads can be made to fail (an outage, a refusal) for chosen objects. */
export class MemoryObjects extends MemoryObjectStore {
  openFault?: (ref: ObjectRef) => Error | undefined;

  override async open(ref: ObjectRef) {
    const fault = this.openFault?.(ref);
    if (fault) throw fault;
    return super.open(ref);
  }
}

/** The file-event queue: what was queued, in order; `enqueueFault` injects SQS errors. */
export class MemoryFileEventQueue implements FileEventQueue {
  readonly queued: ObjectRef[] = [];
  enqueueFault?: (ref: ObjectRef) => Error | undefined;

  async enqueue(ref: ObjectRef): Promise<void> {
    const fault = this.enqueueFault?.(ref);
    if (fault) throw fault;
    this.queued.push(ref);
  }

  async enqueueMany(refs: ObjectRef[]): Promise<void> {
    for (const ref of refs) await this.enqueue(ref);
  }
}

/** A clock that stands still until a test moves it. */
export class ManualClock implements Clock {
  private current: number;

  constructor(start: Date | string = '2025-01-02T00:00:00Z') {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number) {
    this.current += ms;
  }
}

/** A `sleep` that returns at once and keeps every wait it was asked for, to check the backoff without waiting. */
export function recordingSleep() {
  const waits: number[] = [];
  const sleep = async (ms: number) => {
    waits.push(ms);
  };
  return { sleep, waits };
}

/**
 * Every ingest port in memory, with one customer `pat` on card 4111 1111 1111 1111; retries do not sleep (the waits
 * asked for are in `waits`). File leases run on the system clock; `clock` is the sales' received time.
 */
export function memoryIngest() {
  const ledger = new MemoryLedger();
  const directory = new MemoryDirectory();
  const failures = new MemoryFailureStore();
  const files = new MemoryFileLedger();
  const objects = new MemoryObjects();
  const queue = new MemoryFileEventQueue();
  const sales = new MemorySaleLookup(ledger);
  const clock = new ManualClock();
  const { sleep, waits } = recordingSleep();
  ledger.addAccount('pat');
  directory.link('pat', '4111 1111 1111 1111');
  const deps: IngestDeps = { program: DEFAULT_PROGRAM, hasher: testHasher, directory, ledger, failures, clock, sleep };
  const fileDeps: FileIngestDeps = { ...deps, objects, files };
  return { deps, fileDeps, ledger, directory, failures, files, objects, queue, sales, clock, waits };
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
