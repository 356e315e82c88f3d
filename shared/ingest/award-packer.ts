import type { LoyaltyAccount } from '../domain/loyalty';
import { BoundedCache } from '../support/bounded-cache';
import { classifyError } from './errors';
import type {
  AwardCommit,
  ExistingSale,
  HoldResult,
  LoyaltyLedger,
  PackedAwardCommit,
  PackingLedger,
  PendingAward,
  SaleRecord,
  UnmatchedReason,
} from './ports';

export interface AwardPackingOptions {
  /** Awards per transaction: 2 items each, within DynamoDB's 100 items and 4 MB. */
  maxAwardsPerPack?: number;
  /** How long the first award of a pack waits for others to join it. */
  lingerMs?: number;
  /** How long an account standing this process committed is trusted for the customer's next sale. */
  accountTtlMs?: number;
  maxCachedAccounts?: number;
  now?: () => number;
}

export const DEFAULT_AWARDS_PER_PACK = 25;

interface Waiting extends PendingAward {
  resolve(result: AwardCommit): void;
  reject(err: unknown): void;
  /** Sent in a pack of its own: its pack was refused as a whole, and only alone does it fail alone. */
  alone?: boolean;
}

/**
 * Awards made at the same time in one process (a file's records in flight, a message batch) share transactions: each
 * caller still plans and commits its own award, exactly as with one transaction each, but the commits that arrive
 * together go to DynamoDB as one pack of different customers and sales. A pack cancelled by some of its awards (a
 * duplicate, a stale account) settles those and sends the rest again; a pack refused whole for its content is split
 * into single awards, so a bad sale never costs a good one. The account standing a commit leaves is remembered
 * briefly and served as that customer's next read; the version condition still guards every commit.
 */
export class AwardPacker implements LoyaltyLedger {
  private readonly queue: Waiting[] = [];
  private readonly busyCustomers = new Set<string>();
  private readonly busySales = new Set<string>();
  private readonly accounts: BoundedCache<string, LoyaltyAccount>;
  private readonly maxPerPack: number;
  private readonly lingerMs: number;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ledger: PackingLedger,
    options: AwardPackingOptions = {},
  ) {
    this.maxPerPack = options.maxAwardsPerPack ?? DEFAULT_AWARDS_PER_PACK;
    this.lingerMs = options.lingerMs ?? 4;
    this.accounts = new BoundedCache(options.maxCachedAccounts ?? 10_000, options.accountTtlMs ?? 30_000, options.now);
  }

  async getAccount(userId: string, options: { consistent: boolean }): Promise<LoyaltyAccount | undefined> {
    if (!options.consistent) {
      const carried = this.accounts.get(userId);
      if (carried) return carried;
    } else this.accounts.delete(userId);
    return this.ledger.getAccount(userId, options);
  }

  holdUnmatched(sale: SaleRecord, reason: UnmatchedReason, candidates: number): Promise<HoldResult> {
    return this.ledger.holdUnmatched(sale, reason, candidates);
  }

  recordConflict(sale: SaleRecord, existing: ExistingSale): Promise<void> {
    return this.ledger.recordConflict(sale, existing);
  }

  commitAward(sale: SaleRecord, plan: PendingAward['plan']): Promise<AwardCommit> {
    return new Promise<AwardCommit>((resolve, reject) => {
      this.queue.push({ sale, plan, resolve, reject });
      this.dispatch();
    });
  }

  /** Sends every full pack now, and the rest once the linger time has passed. */
  private dispatch(lingered = false) {
    for (;;) {
      const pack = this.nextPack();
      if (pack.length === 0) break;
      if (!lingered && pack.length < this.maxPerPack && !pack[0]!.alone) {
        this.timer ??= setTimeout(() => {
          this.timer = undefined;
          this.dispatch(true);
        }, this.lingerMs);
        break;
      }
      const chosen = new Set(pack);
      this.queue.splice(0, this.queue.length, ...this.queue.filter((w) => !chosen.has(w)));
      void this.submit(pack);
    }
  }

  /**
   * The oldest waiting awards that can share a transaction: one per customer and per sale, none whose customer or
   * sale is in a pack still in flight. An award planned from a version this process has since moved past is stale
   * for certain, and is told so without a request.
   */
  private nextPack(): Waiting[] {
    const pack: Waiting[] = [];
    const customers = new Set<string>();
    const sales = new Set<string>();
    for (const waiting of [...this.queue]) {
      if (pack.length >= this.maxPerPack) break;
      const userId = waiting.plan.after.userId;
      const carried = this.accounts.get(userId);
      if (carried && carried.version > waiting.plan.before.version) {
        this.queue.splice(this.queue.indexOf(waiting), 1);
        waiting.resolve({ kind: 'retry', reason: 'stale_account' });
        continue;
      }
      const transactionId = waiting.sale.transactionId;
      if (customers.has(userId) || sales.has(transactionId) || this.busyCustomers.has(userId) || this.busySales.has(transactionId))
        continue;
      if (waiting.alone && pack.length > 0) continue;
      pack.push(waiting);
      customers.add(userId);
      sales.add(transactionId);
      if (waiting.alone) break;
    }
    return pack;
  }

  private async submit(pack: Waiting[]) {
    for (const { sale, plan } of pack) {
      this.busyCustomers.add(plan.after.userId);
      this.busySales.add(sale.transactionId);
    }
    let results: PackedAwardCommit[] | undefined;
    let error: unknown;
    try {
      results = await this.ledger.commitAwards(pack.map(({ sale, plan }) => ({ sale, plan })));
    } catch (err) {
      error = err;
    }
    for (const { sale, plan } of pack) {
      this.busyCustomers.delete(plan.after.userId);
      this.busySales.delete(sale.transactionId);
    }
    const again: Waiting[] = [];
    if (!results) {
      if (pack.length > 1 && classifyError(error) === 'permanent') again.push(...pack.map((w) => ({ ...w, alone: true })));
      else for (const waiting of pack) this.settle(waiting, { kind: 'failed', error });
    } else {
      pack.forEach((waiting, i) => {
        const result = results[i] ?? { kind: 'not_attempted' };
        if (result.kind === 'not_attempted') again.push(waiting);
        else this.settle(waiting, result);
      });
    }
    // Sent again first: they have waited longest, and nothing of theirs was refused.
    this.queue.unshift(...again);
    this.dispatch(again.length > 0);
  }

  private settle(waiting: Waiting, result: Exclude<PackedAwardCommit, { kind: 'not_attempted' }>) {
    const userId = waiting.plan.after.userId;
    if (result.kind === 'committed') this.accounts.set(userId, waiting.plan.after);
    else this.accounts.delete(userId);
    if (result.kind === 'failed') waiting.reject(result.error);
    else waiting.resolve(result);
  }
}
