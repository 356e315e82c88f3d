import type { DueCustomer, PointsMovement, SentNotice } from '../../shared/domain/due-review';
import { newAccount } from '../../shared/domain/loyalty';
import { DEFAULT_PROGRAM, type ProgramConfig } from '../../shared/domain/program';
import type { DueIndex, DuePage, LoadedCustomer, NextLook, ReviewLedger } from '../../shared/expiry/ports';
import { RETRY_AFTER_MS, runDueReviews } from '../../shared/expiry/run-due-reviews';

const DAY = 86_400_000;
const NOW = new Date('2026-06-01T12:00:00.000Z');
const ago = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();
const PROGRAM: ProgramConfig = { ...DEFAULT_PROGRAM, expiry: { mode: 'age', days: 365, noticeDays: 14 } };

interface FakeCustomer {
  customer: DueCustomer & { movements: PointsMovement[]; notices: SentNotice[] };
  dueAt?: string;
  gone?: boolean;
}

/** The due index and the histories in memory, with the conditions the table's writes have. */
class FakeTable implements DueIndex, ReviewLedger {
  readonly customers = new Map<string, FakeCustomer>();
  checkpoint?: string;
  readonly daysRead: string[] = [];
  readonly loads: string[] = [];
  readonly notices = new Set<string>();
  /** Runs before an account write: lets a test change the account under the run. */
  beforeApply?: (userId: string) => void;
  failLoadOf?: string;

  add(userId: string, movements: PointsMovement[], dueAt: string) {
    const points = movements.reduce((sum, m) => sum + (m.kind === 'sale' ? m.points : 0), 0);
    this.customers.set(userId, {
      customer: { account: { ...newAccount(userId), points, lifetimePoints: points }, movements, notices: [] },
      dueAt,
    });
  }

  async completedThrough() {
    return this.checkpoint;
  }
  async complete(day: string) {
    if (!this.checkpoint || this.checkpoint < day) this.checkpoint = day;
  }
  async page(day: string, upTo: string | undefined, from: unknown): Promise<DuePage> {
    if (from === undefined) this.daysRead.push(day);
    const entries = [...this.customers.entries()]
      .filter(([, c]) => c.dueAt?.slice(0, 10) === day)
      .map(([userId, c]) => ({ userId, dueKey: `${c.dueAt}#${userId}` }))
      .filter((e) => !upTo || e.dueKey <= upTo)
      .sort((a, b) => a.dueKey.localeCompare(b.dueKey));
    // Pages of two, each from the key after the last one read, as DynamoDB pages.
    const rest = entries.filter((e) => from === undefined || e.dueKey > (from as string));
    const page = rest.slice(0, 2);
    return { entries: page, ...(rest.length > 2 ? { next: page.at(-1)!.dueKey } : {}) };
  }
  async load(userId: string): Promise<LoadedCustomer> {
    this.loads.push(userId);
    if (userId === this.failLoadOf) throw new Error('the history does not parse');
    const stored = this.customers.get(userId);
    if (!stored || stored.gone) return { state: 'gone' };
    return { state: 'live', customer: structuredClone(stored.customer), dueKey: stored.dueAt && `${stored.dueAt}#${userId}` };
  }
  async apply(before: DueCustomer['account'], after: DueCustomer['account'], changes: { expiry?: { at: string; points: number } }) {
    this.beforeApply?.(before.userId);
    const stored = this.customers.get(before.userId)!;
    if (stored.customer.account.version !== before.version) return 'stale' as const;
    stored.customer.account = after;
    if (changes.expiry) stored.customer.movements.push({ kind: 'expiry', points: changes.expiry.points });
    return 'applied' as const;
  }
  async notice(userId: string, notice: { kind: string; expiresAt?: string; coversUntil?: string }) {
    const id = `${userId}:${notice.kind}:${notice.expiresAt}`;
    if (this.notices.has(id)) return 'exists' as const;
    this.notices.add(id);
    if (notice.kind === 'points_expiring')
      this.customers
        .get(userId)!
        .customer.notices.push({ kind: 'points_expiring', expiresAt: notice.expiresAt!, coversUntil: notice.coversUntil! });
    return 'written' as const;
  }
  async reschedule(userId: string, dueKey: string, version: number | undefined, next: NextLook) {
    const stored = this.customers.get(userId);
    if (!stored || `${stored.dueAt}#${userId}` !== dueKey) return false;
    if (version !== undefined && stored.customer.account.version !== version) return false;
    stored.dueAt = next.dueAt;
    if (next.nextReviewAt) stored.customer.nextReviewAt = next.nextReviewAt;
    return true;
  }
}

const sale = (daysAgo: number, points: number): PointsMovement => ({ kind: 'sale', status: 'awarded', points, earnedAt: ago(daysAgo) });
const deps = (table: FakeTable, overrides: { timeLeftMs?: () => number; program?: ProgramConfig } = {}) => ({
  index: table,
  ledger: table,
  program: overrides.program ?? PROGRAM,
  now: NOW,
  timeLeftMs: overrides.timeLeftMs ?? (() => 300_000),
});

describe('the scheduled expiry and requalification run', () => {
  test('reads only the due days from the checkpoint to today, and today only as far as now', async () => {
    const table = new FakeTable();
    table.checkpoint = '2026-05-29';
    table.add('due', [sale(400, 100)], ago(2));
    table.add('due-now', [sale(400, 10)], ago(0.1));
    table.add('due-tonight', [sale(400, 10)], new Date(NOW.getTime() + 3_600_000).toISOString());
    table.add('before-checkpoint', [sale(400, 10)], ago(10));

    const result = await runDueReviews(deps(table));

    expect(table.daysRead).toEqual(['2026-05-30', '2026-05-31', '2026-06-01']);
    expect(table.loads.sort()).toEqual(['due', 'due-now']);
    expect(result).toMatchObject({ customers: 2, expired: { customers: 2, points: 110 }, completedThrough: '2026-05-31', finished: true });
    expect(table.checkpoint).toBe('2026-05-31');
    expect(table.customers.get('due')).toMatchObject({ customer: { account: { points: 0, version: 1 } }, dueAt: undefined });
  });

  test('a run repeated changes nothing more; customers moved on are not read again', async () => {
    const table = new FakeTable();
    table.add('a', [sale(400, 100), sale(360, 30)], ago(1));
    await runDueReviews(deps(table));
    const after = structuredClone(table.customers.get('a'));
    expect(after).toMatchObject({ customer: { account: { points: 30 } } });
    expect(table.notices.size).toBe(1);

    table.loads.length = 0;
    const again = await runDueReviews(deps(table));
    expect(table.loads).toEqual([]);
    expect(again).toMatchObject({ customers: 0, expired: { points: 0 } });
    expect(table.customers.get('a')).toEqual(after);
  });

  test('an account changed under the run is read again and expires what is left, never below zero', async () => {
    const table = new FakeTable();
    table.add('a', [sale(400, 100)], ago(1));
    let redeemed = false;
    table.beforeApply = (userId) => {
      if (redeemed) return;
      redeemed = true;
      // A redemption of 80 lands between the read and the write.
      const stored = table.customers.get(userId)!.customer;
      stored.account = { ...stored.account, points: stored.account.points - 80, version: stored.account.version + 1 };
      stored.movements.push({ kind: 'redemption', status: 'issued', points: 80 });
    };
    const result = await runDueReviews(deps(table));
    expect(result.expired.points).toBe(20);
    expect(table.customers.get('a')!.customer.account.points).toBe(0);
  });

  test('stops for time without moving the checkpoint past an unfinished day; the next run continues', async () => {
    const table = new FakeTable();
    for (let i = 0; i < 5; i++) table.add(`c${i}`, [sale(400, 10)], ago(3));
    const first = await runDueReviews({ ...deps(table), timeLeftMs: () => (table.loads.length >= 2 ? 0 : 300_000) }, { concurrency: 1 });
    expect(first).toMatchObject({ finished: false, customers: 2 });
    // The empty days before were done; the customers' day was not.
    expect(table.checkpoint! < '2026-05-29').toBe(true);
    const second = await runDueReviews(deps(table));
    expect(second.finished).toBe(true);
    expect(first.customers + second.customers).toBe(5);
    expect(table.checkpoint).toBe('2026-05-31');
  });

  test('a customer that fails is looked at again within the hour, and the day still completes', async () => {
    const table = new FakeTable();
    table.add('broken', [sale(400, 10)], ago(2));
    const failures: string[] = [];
    table.failLoadOf = 'broken';
    const result = await runDueReviews({ ...deps(table), onFailure: (userId) => failures.push(userId) });
    expect(failures).toEqual(['broken']);
    expect(result).toMatchObject({ deferred: 1, failed: 0, completedThrough: '2026-05-31' });
    expect(table.customers.get('broken')!.dueAt).toBe(new Date(NOW.getTime() + RETRY_AFTER_MS).toISOString());
  });

  test('an erased customer leaves the index', async () => {
    const table = new FakeTable();
    table.add('erased', [sale(400, 10)], ago(2));
    table.customers.get('erased')!.gone = true;
    await runDueReviews(deps(table));
    expect(table.customers.get('erased')!.dueAt).toBeUndefined();
  });

  test('two runs at once expire each customer once', async () => {
    const table = new FakeTable();
    for (let i = 0; i < 6; i++) table.add(`c${i}`, [sale(400, 10 + i)], ago(1));
    const [a, b] = await Promise.all([runDueReviews(deps(table)), runDueReviews(deps(table))]);
    expect(a.expired.points + b.expired.points).toBe(10 + 11 + 12 + 13 + 14 + 15);
    for (const { customer } of table.customers.values()) expect(customer.movements.filter((m) => m.kind === 'expiry')).toHaveLength(1);
  });

  test('does nothing while both policies are off', async () => {
    const table = new FakeTable();
    table.add('a', [sale(400, 10)], ago(1));
    const result = await runDueReviews(deps(table, { program: DEFAULT_PROGRAM }));
    expect(result).toMatchObject({ daysRead: 0, customers: 0 });
  });
});
