import { randomBytes } from 'node:crypto';
import { CursorSigner } from '../../shared/adapters/dynamodb/admin-queries';
import type {
  AccountChanges,
  Adjustment,
  AdminContainer,
  AdminQueries,
  AdminQueues,
  ChangeAuthor,
  ChangeResult,
  ConnectionCheck,
  CustomerErasure,
  CustomerProfile,
  CustomerRecords,
  CustomerStore,
  DayListing,
  DayRange,
  ErasureStart,
  FailureRecords,
  LinkedCard,
  Listed,
  NewRedemption,
  OperatorDirectory,
  Page,
  QueueDepth,
  QueueMonitor,
  RedeemCommit,
  Redemptions,
  SaleReader,
  SourceActivity,
  SourceState,
  StatsReader,
  StoredFailure,
  StoredRedemption,
  StoredSale,
  SyncControl,
} from '../../shared/admin/ports';
import type { AuditEntry, AuditFilter, AuditLog, AuditPage } from '../../shared/audit/audit-trail';
import type { LoyaltyAccount } from '../../shared/domain/loyalty';
import type { ReviewCounts } from '../../shared/domain/stats';
import type { FigureRow } from '../../shared/domain/stats-report';
import type { CardHashes, SaleRecord } from '../../shared/ingest/ports';
import type { SyncSource } from '../../shared/topology';
import { MemoryCampaignBook } from './campaign-fakes';
import { type MemoryLedger, memoryIngest } from './fakes';

/** In-memory fakes of the admin ports, over the ingest fakes' ledger (accounts and sales live there). */

/** A sale as the ledger records it, for tests that start from a stored sale. */
export function saleRecord(transactionId: string, overrides: Partial<SaleRecord> = {}): SaleRecord {
  return {
    transactionId,
    date: '2025-01-01T09:00:00.000Z',
    amountCents: 450,
    product: 'Coffee',
    machineId: 'VEND-1',
    cardLast4: '1111',
    cardFullHash: 'full-hash',
    cardLast4Hash: 'last4-hash',
    contentHash: `content-${transactionId}`,
    source: 'sqs message m-1',
    receivedAt: '2025-01-01T09:00:01.000Z',
    ...overrides,
  };
}

/** Sales read from the ledger, with the points each earned (which the ledger fake does not keep). */
export class MemorySales implements SaleReader {
  readonly earned = new Map<string, { points: number; bonusPoints: number }>();
  readonly conflicts = new Map<string, Listed[]>();
  constructor(private readonly ledger: MemoryLedger) {}

  /** Records an awarded sale of `userId` that earned these points. */
  awarded(transactionId: string, userId: string, earned: { points: number; bonusPoints?: number }, record = saleRecord(transactionId)) {
    this.ledger.sales.set(transactionId, { ...record, status: 'awarded', userId });
    this.earned.set(transactionId, { points: earned.points, bonusPoints: earned.bonusPoints ?? 0 });
  }

  async getSale(transactionId: string): Promise<StoredSale | undefined> {
    const sale = this.ledger.sales.get(transactionId);
    return sale && { ...sale, ...this.earned.get(transactionId) };
  }

  async conflictsOf(transactionId: string): Promise<Listed[]> {
    return this.conflicts.get(transactionId) ?? [];
  }
}

/** Reversals and adjustments with DynamoDB's guards: the sale must still be awarded, the account unchanged since read. */
export class MemoryAccountChanges implements AccountChanges {
  readonly adjustments = new Map<string, Record<string, unknown>>();
  readonly reversals: Array<{ transactionId: string; reason: string }> = [];
  constructor(private readonly ledger: MemoryLedger) {}

  async reverse(
    transactionId: string,
    before: LoyaltyAccount,
    after: LoyaltyAccount,
    reason: string,
    by: ChangeAuthor,
  ): Promise<ChangeResult> {
    const sale = this.ledger.sales.get(transactionId);
    if (sale?.status !== 'awarded' || sale.userId !== before.userId) return 'precondition_failed';
    const current = this.ledger.accounts.get(before.userId);
    if (!current || current.version !== before.version) return 'stale';
    this.ledger.sales.set(transactionId, Object.assign({ ...sale, status: 'reversed' as const }, { reversedBy: by.name }));
    this.ledger.accounts.set(after.userId, after);
    this.reversals.push({ transactionId, reason });
    return 'applied';
  }

  async adjust(adjustment: Adjustment): Promise<{ applied: boolean; stored: Record<string, unknown> }> {
    const key = `${adjustment.userId}#${adjustment.idempotencyKey}`;
    const existing = this.adjustments.get(key);
    if (existing) return { applied: false, stored: existing };
    const account = this.ledger.accounts.get(adjustment.userId);
    if (!account) throw new Error(`no account ${adjustment.userId}`);
    const { madeBy, ...fields } = adjustment;
    const stored = { entity: 'adjustment', ...fields, madeBy: madeBy.name, madeById: madeBy.id };
    this.adjustments.set(key, stored);
    this.ledger.accounts.set(adjustment.userId, { ...account, points: account.points + adjustment.points, version: account.version + 1 });
    return { applied: true, stored };
  }
}

/**
 * Redemptions with the table's guards: one per customer and key, committed only while the account is as read and its
 * balance covers the cost. `commits` counts every attempt to write one.
 */
export class MemoryRedemptions implements Redemptions {
  readonly items = new Map<string, StoredRedemption>();
  commits = 0;
  constructor(private readonly ledger: MemoryLedger) {}

  async redeem(request: NewRedemption, before: LoyaltyAccount, after: LoyaltyAccount): Promise<RedeemCommit> {
    this.commits += 1;
    const key = `${request.userId}#${request.idempotencyKey}`;
    const existing = this.items.get(key);
    if (existing) return { kind: 'exists', redemption: { ...existing } };
    const current = this.ledger.accounts.get(before.userId);
    if (!current || current.version !== before.version || current.points < request.reward.points) return { kind: 'stale' };
    const { reward } = request;
    const redemption: StoredRedemption = {
      entity: 'redemption',
      redemptionId: request.idempotencyKey,
      userId: request.userId,
      rewardId: reward.id,
      rewardName: reward.name,
      kind: reward.kind,
      points: reward.points,
      valueCents: reward.valueCents,
      code: request.code,
      status: 'issued',
      createdAt: request.at,
      madeBy: request.madeBy.name,
      madeById: request.madeBy.id,
      balanceAfter: after.points,
    };
    this.items.set(key, redemption);
    this.ledger.accounts.set(after.userId, after);
    return { kind: 'redeemed', redemption: { ...redemption } };
  }

  async get(userId: string, redemptionId: string): Promise<StoredRedemption | undefined> {
    const item = this.items.get(`${userId}#${redemptionId}`);
    return item && { ...item };
  }

  async reverse(
    redemption: StoredRedemption,
    before: LoyaltyAccount,
    after: LoyaltyAccount,
    change: { reason: string; by: ChangeAuthor; at: string },
  ): Promise<ChangeResult> {
    const key = `${redemption.userId}#${redemption.redemptionId}`;
    const stored = this.items.get(key);
    if (stored?.status !== 'issued') return 'precondition_failed';
    const current = this.ledger.accounts.get(before.userId);
    if (!current || current.version !== before.version) return 'stale';
    this.items.set(key, {
      ...stored,
      status: 'reversed',
      reversedAt: change.at,
      reversalReason: change.reason,
      reversedBy: change.by.name,
      reversedById: change.by.id,
      balanceAfterReversal: after.points,
    });
    this.ledger.accounts.set(after.userId, after);
    return 'applied';
  }

  /** Newest first, one page (no cursors). */
  async list(userId: string, limit: number): Promise<Page<Listed>> {
    const items = [...this.items.values()].filter((r) => r.userId === userId).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    return { items: items.slice(0, limit).map((r) => ({ ...r })) };
  }
}

/** Profiles beside the ledger's accounts; a customer read shows both, as the table's customer item does. */
export class MemoryCustomers implements CustomerStore {
  readonly profiles = new Map<string, CustomerProfile>();
  readonly cards = new Map<string, Array<LinkedCard & { hashes: CardHashes }>>();
  constructor(private readonly ledger: MemoryLedger) {}

  async upsertCustomer(profile: CustomerProfile): Promise<void> {
    this.profiles.set(profile.userId, { ...this.profiles.get(profile.userId), ...profile });
    if (!this.ledger.accounts.has(profile.userId)) this.ledger.addAccount(profile.userId);
  }

  /** Erased customers: their id and when, nothing else. */
  readonly tombstones = new Map<string, string>();
  readonly erasing = new Map<string, { pseudonym: string; startedAt: string }>();

  async getCustomer(userId: string): Promise<Record<string, unknown> | undefined> {
    const erasedAt = this.tombstones.get(userId);
    if (erasedAt) return { entity: 'erased-customer', userId, erasedAt };
    const account = this.ledger.accounts.get(userId);
    return account && { ...this.profiles.get(userId), ...account, erasure: this.erasing.get(userId) };
  }

  async linkCard(userId: string, card: CardHashes): Promise<LinkedCard> {
    const cards = this.cards.get(userId) ?? [];
    const same = cards.find((c) => (c.hashes.fullHash ?? c.hashes.lastFourHash) === (card.fullHash ?? card.lastFourHash));
    if (same) return { cardId: same.cardId, last4: same.last4, linkedAt: same.linkedAt };
    const linked = { cardId: (cards.length + 1).toString(16).padStart(16, '0'), last4: card.lastFour, linkedAt: new Date().toISOString() };
    this.cards.set(userId, [...cards, { ...linked, hashes: card }]);
    return linked;
  }

  async unlinkCard(userId: string, cardId: string): Promise<boolean> {
    const cards = this.cards.get(userId) ?? [];
    this.cards.set(
      userId,
      cards.filter((c) => c.cardId !== cardId),
    );
    return cards.some((c) => c.cardId === cardId);
  }

  async listCards(userId: string): Promise<LinkedCard[]> {
    return (this.cards.get(userId) ?? []).map(({ cardId, last4, linkedAt }) => ({ cardId, last4, linkedAt }));
  }
}

/** Adjustments from the account-changes fake, redemptions from the redemptions fake; notifications a test puts in. */
export class MemoryCustomerRecords implements CustomerRecords {
  readonly notifications: Array<Listed & { userId: string; day: string }> = [];
  constructor(
    private readonly changes: MemoryAccountChanges,
    private readonly redeemed?: MemoryRedemptions,
  ) {}

  async adjustments(userId: string): Promise<Listed[]> {
    return [...this.changes.adjustments.values()].filter((a) => a.userId === userId);
  }

  async redemptions(userId: string): Promise<Listed[]> {
    return [...(this.redeemed?.items.values() ?? [])].filter((r) => r.userId === userId).map((r) => ({ ...r }));
  }

  async notificationsOn(userId: string, day: string): Promise<Listed[]> {
    return this.notifications.filter((n) => n.userId === userId && n.day === day);
  }

  async accountEvents(_userId: string) {
    return { expiries: [], tierChanges: [], notices: [] };
  }
}

/** Erasure over the other fakes, each step as the table's: idempotent, resumable, `movesPerCall` sales at a time. */
export class MemoryCustomerErasure implements CustomerErasure {
  constructor(
    private readonly ledger: MemoryLedger,
    private readonly customers: MemoryCustomers,
    private readonly changes: MemoryAccountChanges,
    private readonly records: MemoryCustomerRecords,
    private readonly redemptions?: MemoryRedemptions,
  ) {}

  async start(userId: string, at: string): Promise<ErasureStart> {
    const erasedAt = this.customers.tombstones.get(userId);
    if (erasedAt) return { state: 'erased', erasedAt };
    if (!this.ledger.accounts.has(userId)) return { state: 'missing' };
    const erasure = this.customers.erasing.get(userId) ?? { pseudonym: `anon-${this.customers.erasing.size + 1}`, startedAt: at };
    this.customers.erasing.set(userId, erasure);
    this.customers.profiles.set(userId, { userId, marketingConsent: false });
    this.customers.cards.delete(userId);
    return { state: 'erasing', ...erasure };
  }

  async moveSales(userId: string, pseudonym: string, more: () => boolean) {
    let moved = 0;
    for (const [id, sale] of this.ledger.sales) {
      if (sale.userId !== userId) continue;
      if (!more()) return { moved, done: false };
      const { cardFullHash: _full, cardLast4Hash: _last4, cardLast4: _four, ...kept } = sale;
      this.ledger.sales.set(id, { ...kept, userId: pseudonym } as typeof sale);
      moved++;
    }
    return { moved, done: true };
  }

  async moveAdjustments(userId: string, pseudonym: string) {
    let moved = 0;
    for (const [key, adjustment] of this.changes.adjustments) {
      if (adjustment.userId !== userId) continue;
      this.changes.adjustments.delete(key);
      this.changes.adjustments.set(key.replace(userId, pseudonym), { ...adjustment, userId: pseudonym });
      moved++;
    }
    return moved;
  }

  async moveRedemptions(userId: string, pseudonym: string) {
    let moved = 0;
    for (const [key, redemption] of this.redemptions?.items ?? []) {
      if (redemption.userId !== userId) continue;
      const redemptionId = `moved-${moved + 1}`;
      this.redemptions!.items.delete(key);
      this.redemptions!.items.set(`${pseudonym}#${redemptionId}`, { ...redemption, userId: pseudonym, redemptionId });
      moved++;
    }
    return moved;
  }

  async moveNotifications(userId: string, pseudonym: string, days: string[], more: () => boolean) {
    let moved = 0;
    for (const notification of this.records.notifications) {
      if (notification.userId !== userId || !days.includes(notification.day)) continue;
      if (!more()) return { moved, done: false };
      notification.userId = pseudonym;
      moved++;
    }
    return { moved, done: true };
  }

  async finish(userId: string, pseudonym: string, at: string) {
    const account = this.ledger.accounts.get(userId);
    if (!account) return this.customers.tombstones.has(userId);
    this.ledger.accounts.set(pseudonym, { ...account, userId: pseudonym });
    this.ledger.accounts.delete(userId);
    this.customers.profiles.delete(userId);
    this.customers.erasing.delete(userId);
    this.customers.tombstones.set(userId, at);
    return true;
  }
}

/** Listings over items a test puts in, newest first, one page (no cursors). */
export class MemoryAdminQueries implements AdminQueries {
  readonly byKind = new Map<DayListing, Array<Listed & { day: string }>>();

  async byDay(kind: DayListing, range: DayRange, limit: number, _cursor?: string, filter?: { machineId?: string }): Promise<Page<Listed>> {
    const items = (this.byKind.get(kind) ?? [])
      .filter((i) => i.day >= range.from && i.day <= range.to && (!filter?.machineId || i.machineId === filter.machineId))
      .sort((a, b) => (a.day < b.day ? 1 : -1));
    return { items: items.slice(0, limit) };
  }

  async customerSales(userId: string, limit: number): Promise<Page<Listed>> {
    return { items: (this.byKind.get('sales') ?? []).filter((i) => i.userId === userId).slice(0, limit) };
  }
}

export class MemoryStats implements StatsReader {
  readonly totalsByDay = new Map<string, Partial<ReviewCounts>>();
  readonly figuresByDay = new Map<string, FigureRow[]>();
  readonly daysRead: string[] = [];

  async totals(day: string): Promise<Partial<ReviewCounts>> {
    return this.totalsByDay.get(day) ?? {};
  }

  async salesFigures(day: string): Promise<FigureRow[]> {
    this.daysRead.push(day);
    return this.figuresByDay.get(day) ?? [];
  }
}

export class MemoryActivity implements SourceActivity {
  readonly bySource = new Map<string, { lastProcessedAt?: string; duplicates: number }>();

  async readAll(sources: SyncSource[]) {
    return Object.fromEntries(sources.map((s) => [s, this.bySource.get(s) ?? { duplicates: 0 }]));
  }
}

export class MemorySyncControl implements SyncControl {
  readonly states = new Map<SyncSource, SourceState>();

  async setEnabled(source: SyncSource, enabled: boolean): Promise<SourceState> {
    this.states.set(source, enabled ? 'running' : 'stopped');
    return this.states.get(source)!;
  }

  async state(source: SyncSource): Promise<SourceState> {
    return this.states.get(source) ?? 'stopped';
  }
}

/** Queue depths set by the test; a redrive moves a dead-letter queue's waiting messages away and returns a task handle. */
export class MemoryQueueMonitor implements QueueMonitor {
  readonly waiting = new Map<string, number>();
  readonly redriven: string[] = [];

  async depth(name: string, url: string): Promise<QueueDepth> {
    return { name, url, waiting: this.waiting.get(url) ?? 0, inFlight: 0, oldestMessageAgeSeconds: null };
  }

  async redrive(deadLetterQueueUrl: string): Promise<string> {
    this.redriven.push(deadLetterQueueUrl);
    this.waiting.set(deadLetterQueueUrl, 0);
    return `task-${this.redriven.length}`;
  }
}

/** Stored failures by id, with the retry counting the DynamoDB adapter does. */
export class MemoryFailureRecords implements FailureRecords {
  readonly items = new Map<string, StoredFailure & { retries?: number }>();

  async get(failureId: string): Promise<StoredFailure | undefined> {
    const item = this.items.get(failureId);
    return item && { ...item };
  }

  async retryFailed(failureId: string, result: { reason: string; errors: unknown; at: string }): Promise<void> {
    this.update(failureId, { reason: result.reason, errors: result.errors, lastRetryAt: result.at });
  }

  async resolved(failureId: string, result: { outcome: string; at: string }): Promise<void> {
    this.update(failureId, { status: 'resolved', outcome: result.outcome, resolvedAt: result.at, lastRetryAt: result.at });
  }

  private update(failureId: string, set: Record<string, unknown>) {
    const item = this.items.get(failureId);
    if (!item) throw new Error(`no failure ${failureId}`);
    this.items.set(failureId, { ...item, ...set, retries: (item.retries ?? 0) + 1 });
  }
}

/** The audit trail in memory: appended once per id, listed newest first; the cursor is the next entry's position. */
export class MemoryAuditLog implements AuditLog {
  readonly entries: AuditEntry[] = [];
  failing = false;

  async append(entry: AuditEntry): Promise<void> {
    if (this.failing) throw new Error('audit table unavailable');
    if (this.entries.some((e) => e.auditId === entry.auditId)) throw new Error(`audit entry ${entry.auditId} already exists`);
    this.entries.push(entry);
  }

  async list(filter: AuditFilter, limit: number, cursor?: string): Promise<AuditPage> {
    const matching = this.entries
      .filter((e) => e.at.slice(0, 10) >= filter.from && e.at.slice(0, 10) <= filter.to)
      .filter(
        (e) => (filter.actor === undefined || e.actorId === filter.actor) && (filter.target === undefined || e.target === filter.target),
      )
      .filter((e) => filter.action === undefined || e.action === filter.action)
      .sort((a, b) => b.at.localeCompare(a.at));
    const start = cursor ? Number(cursor) : 0;
    const items = matching.slice(start, start + limit);
    return { items, nextCursor: start + limit < matching.length ? String(start + limit) : undefined };
  }
}

export class MemoryOperators implements OperatorDirectory {
  readonly emails = new Map<string, string>();
  async emailOf(username: string) {
    return this.emails.get(username);
  }
}

export const TEST_QUEUES: AdminQueues = {
  moma: 'https://sqs.local/moma',
  fileEvents: 'https://sqs.local/file-events',
  momaDlq: 'https://sqs.local/moma-dlq',
  fileEventsDlq: 'https://sqs.local/file-events-dlq',
};

/** An AdminContainer of in-memory ports over one ingest world (the customer `pat` with a linked card), and each fake. */
export function memoryAdmin(checks: ConnectionCheck[] = []) {
  const ingest = memoryIngest();
  const { ledger, files, queue } = ingest;
  const customers = new MemoryCustomers(ledger);
  const changes = new MemoryAccountChanges(ledger);
  const redemptions = new MemoryRedemptions(ledger);
  const records = new MemoryCustomerRecords(changes, redemptions);
  const fakes = {
    sales: new MemorySales(ledger),
    customers,
    records,
    erasure: new MemoryCustomerErasure(ledger, customers, changes, records, redemptions),
    exportCursors: new CursorSigner(randomBytes(32)),
    queries: new MemoryAdminQueries(),
    changes,
    redemptions,
    stats: new MemoryStats(),
    activity: new MemoryActivity(),
    sync: new MemorySyncControl(),
    queueMonitor: new MemoryQueueMonitor(),
    storedFailures: new MemoryFailureRecords(),
    audit: new MemoryAuditLog(),
    operators: new MemoryOperators(),
    campaigns: new MemoryCampaignBook(),
  };
  const auditFailures: { err: unknown; entry: AuditEntry }[] = [];
  const app: AdminContainer = {
    deps: ingest.deps,
    queues: TEST_QUEUES,
    ...fakes,
    fileRequeue: {
      bucket: 'b',
      listOlderThan: async function* () {},
      files,
      queue,
      onRequeueError: () => {},
    },
    checks,
    clock: ingest.clock,
    campaignDelaySeconds: 15,
    onAuditFailure: (err, entry) => auditFailures.push({ err, entry }),
  };
  return { app, ...ingest, ...fakes, auditFailures };
}
