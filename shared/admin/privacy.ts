import * as z from 'zod';
import type { AuditLog } from '../audit/audit-trail';
import { AUDIT_RETENTION_DAYS } from '../audit/audit-trail';
import type { ProgramConfig } from '../domain/program';
import type { Clock } from '../ingest/ports';
import { existingCustomer, getCustomer } from './customers';
import { InvalidCursorError, notFound } from './errors';
import type { AdminQueries, CustomerErasure, CustomerRecords, CustomerStore, PositionSealer } from './ports';

/** Notifications are kept this many days, so an export or an erasure looks this far back for them. */
export const NOTIFICATION_DAYS = 31;
const SALES_PER_PAGE = 500;
const AUDIT_PER_PAGE = 500;

export interface PrivacyDeps {
  customers: CustomerStore;
  records: CustomerRecords;
  erasure: CustomerErasure;
  cursors: PositionSealer;
  queries: AdminQueries;
  audit: AuditLog;
  program: ProgramConfig;
  clock: Clock;
  /** Waits (tests pass one that moves their clock). */
  sleep?: (ms: number) => Promise<void>;
}

const SECTIONS = ['profile', 'sales', 'notifications', 'audit'] as const;

const exportPosition = z.strictObject({
  section: z.enum(SECTIONS),
  /** When the export began: every part covers the days as they were then, even past midnight. */
  startedAt: z.iso.datetime(),
  cursor: z.string().max(2_048).optional(),
  day: z.iso.date().optional(),
});
type ExportPosition = z.infer<typeof exportPosition>;

/** An export's cursors are signed for that customer's export alone. */
const exportListing = (userId: string) => `export:${userId}`;

const daysBack = (from: Date, count: number) =>
  Array.from({ length: count }, (_, i) => new Date(from.getTime() - i * 86_400_000).toISOString().slice(0, 10));

/**
 * Everything held about a customer (right of access and portability), one part per call: the profile with its
 * cards (by last four), consent, adjustments and redemptions first, then the sales (with their reversals) in pages,
 * the notifications day by day, and the audit entries about the customer. Each part names the next; together they
 * are the whole document. Card hashes never leave: every attribute named like a hash is dropped.
 */
export async function exportCustomer(userId: string, cursor: string | undefined, deps: PrivacyDeps) {
  return withoutHashes(await exportPart(userId, cursor, deps));
}

/** Drops every attribute named like a hash (card hashes, content hashes), at any depth. */
function withoutHashes<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutHashes) as T;
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([name]) => !/hash$/i.test(name))
      .map(([name, inner]) => [name, withoutHashes(inner)]),
  ) as T;
}

async function exportPart(userId: string, cursor: string | undefined, deps: PrivacyDeps) {
  const now = deps.clock.now();
  const at: ExportPosition = cursor
    ? deps.cursors.open(exportListing(userId), cursor, exportPosition)
    : { section: 'profile', startedAt: now.toISOString() };
  const startedAt = new Date(at.startedAt);
  const part = { userId, exportedAt: at.startedAt, section: at.section };
  const next = (position: Omit<ExportPosition, 'startedAt'> | undefined) => ({
    nextCursor: position ? deps.cursors.seal(exportListing(userId), { ...position, startedAt: at.startedAt }) : undefined,
  });
  // Every part, not only the first, is refused (404, 410) for a customer who is not there (any more); the profile's
  // own read does it for the first.
  if (at.section !== 'profile') await existingCustomer(userId, deps);

  switch (at.section) {
    case 'profile': {
      const { cards, marketingConsent, marketingConsentAt, ...account } = await getCustomer(userId, deps);
      return {
        ...part,
        profile: account,
        cards,
        consents: [{ purpose: 'marketing messages', given: marketingConsent, at: marketingConsentAt }],
        adjustments: await deps.records.adjustments(userId),
        redemptions: await deps.records.redemptions(userId),
        ...(await deps.records.accountEvents(userId)),
        ...next({ section: 'sales' }),
      };
    }
    case 'sales': {
      const page = await deps.queries.customerSales(userId, SALES_PER_PAGE, at.cursor);
      const after = page.nextCursor ? { section: 'sales' as const, cursor: page.nextCursor } : { section: 'notifications' as const };
      return { ...part, items: page.items, ...next(after) };
    }
    case 'notifications': {
      const days = daysBack(startedAt, NOTIFICATION_DAYS);
      const index = at.day ? days.indexOf(at.day) : 0;
      if (index < 0) throw new InvalidCursorError('names a day this export does not cover: ask for the first part again');
      const day = days[index]!;
      const following = days[index + 1];
      const items = await deps.records.notificationsOn(userId, day);
      return { ...part, day, items, ...next(following ? { section: 'notifications', day: following } : { section: 'audit' }) };
    }
    case 'audit': {
      const from = daysBack(startedAt, AUDIT_RETENTION_DAYS).at(-1)!;
      const page = await deps.audit.list(
        { target: `customer:${userId}`, from, to: startedAt.toISOString().slice(0, 10) },
        AUDIT_PER_PAGE,
        at.cursor,
      );
      return { ...part, items: page.items, ...next(page.nextCursor ? { section: 'audit', cursor: page.nextCursor } : undefined) };
    }
  }
}

/** How long one call works on an erasure before it answers; the next call resumes. */
const ERASURE_BUDGET_MS = 20_000;
/**
 * How long after the erasure began its last look for sales happens: an award committed just before it may not be in
 * the customer-history index yet (from then on awards find no account).
 */
const INDEX_SETTLE_MS = 1_000;

/**
 * Erases a customer (right to be forgotten) and keeps the books: name, email, device and card links are deleted at
 * once, so a later sale on the card is unmatched; sales, adjustments, redemptions and notifications move to a
 * pseudonymous id that nothing maps back to, with the balance, tier and counters; the statistics do not change. A large history
 * takes several calls: each works for a while and answers `complete: false`, the next resumes. Calling it again
 * after it completed changes nothing.
 */
export async function eraseCustomer(userId: string, deps: PrivacyDeps, budgetMs = ERASURE_BUDGET_MS) {
  const startedAt = deps.clock.now();
  const more = () => deps.clock.now().getTime() - startedAt.getTime() < budgetMs;
  const start = await deps.erasure.start(userId, startedAt.toISOString());
  if (start.state === 'missing') throw notFound(`customer ${userId}`);
  if (start.state === 'erased') return { userId, erased: true, complete: true, alreadyErased: true, erasedAt: start.erasedAt };
  const { pseudonym } = start;
  const erasureBegan = new Date(start.startedAt);
  const sales = await deps.erasure.moveSales(userId, pseudonym, more);
  if (!sales.done) return { userId, erased: false, complete: false, moved: { sales: sales.moved } };
  const settling = erasureBegan.getTime() + INDEX_SETTLE_MS - deps.clock.now().getTime();
  if (settling > 0) {
    await (deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))))(settling);
    const late = await deps.erasure.moveSales(userId, pseudonym, more);
    sales.moved += late.moved;
    if (!late.done) return { userId, erased: false, complete: false, moved: { sales: sales.moved } };
  }
  const adjustments = await deps.erasure.moveAdjustments(userId, pseudonym);
  const redemptions = await deps.erasure.moveRedemptions(userId, pseudonym);
  const notifications = await deps.erasure.moveNotifications(userId, pseudonym, daysBack(erasureBegan, NOTIFICATION_DAYS), more);
  if (!notifications.done)
    return {
      userId,
      erased: false,
      complete: false,
      moved: { sales: sales.moved, adjustments, redemptions, notifications: notifications.moved },
    };
  const erasedAt = deps.clock.now().toISOString();
  const moved = { sales: sales.moved, adjustments, redemptions, notifications: notifications.moved };
  if (!(await deps.erasure.finish(userId, pseudonym, erasedAt))) return { userId, erased: false, complete: false, moved };
  return {
    userId,
    erased: true,
    complete: true,
    alreadyErased: false,
    erasedAt,
    moved,
  };
}
