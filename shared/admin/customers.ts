import { CARD_FORMAT_RULE, normalizeCardNumber } from '../domain/card-number';
import { ERASED_CUSTOMER } from '../domain/erasure';
import { matchCustomer } from '../domain/loyalty';
import type { ProgramConfig } from '../domain/program';
import { assignUnmatchedSale } from '../ingest/assign-unmatched';
import type { IngestDeps } from '../ingest/ingest-sale';
import { AdminError, notFound } from './errors';
import type { AccountChanges, AdminQueries, ChangeAuthor, CustomerProfile, CustomerStore, SaleReader } from './ports';

export interface CustomerDeps extends IngestDeps {
  customers: CustomerStore;
  sales: SaleReader;
  queries: AdminQueries;
  changes: AccountChanges;
}

const AUTO_CREDIT_DAYS = 90;

/** The customer's stored item: 404 when there is none, 410 when it was erased. */
export async function existingCustomer(userId: string, deps: Pick<CustomerDeps, 'customers'>) {
  const customer = await deps.customers.getCustomer(userId);
  refuseErased(customer, userId);
  if (!customer) throw notFound(`customer ${userId}`);
  return customer;
}

/** An erased customer (or one being erased) is gone for every route: it cannot be read, changed or credited again. */
export function refuseErased(customer: Record<string, unknown> | undefined, userId: string): void {
  if (customer?.entity === ERASED_CUSTOMER) throw new AdminError(410, `customer ${userId} was erased; a returning customer gets a new id`);
  if (customer?.erasure) throw new AdminError(410, `customer ${userId} is being erased: finish it with POST /admin/users/${userId}/erase`);
}

export async function getCustomer(userId: string, deps: Pick<CustomerDeps, 'customers' | 'program'>) {
  const customer = await existingCustomer(userId, deps);
  return {
    userId,
    name: customer.name ?? null,
    email: customer.email ?? null,
    pushEndpoint: customer.pushEndpoint ?? null,
    marketingConsent: customer.marketingConsent === true,
    marketingConsentAt: customer.marketingConsentAt ?? null,
    points: customer.points,
    lifetimePoints: customer.lifetimePoints,
    tier: customer.tier,
    punchCard: punchCard(Number(customer.punchCount ?? 0), Number(customer.punchCardsCompleted ?? 0), deps.program),
    purchaseCount: customer.purchaseCount,
    cards: await deps.customers.listCards(userId),
    createdAt: customer.createdAt,
    updatedAt: customer.updatedAt,
  };
}

/** How many customers a search answers at most. */
export const SEARCH_LIMIT = 25;

/**
 * Finds customers by their exact id, or by the last four digits of a linked card (through the keyed last-four hash,
 * so several customers may share them). Each as a summary: profile, balance, tier and cards by last four.
 */
export async function findCustomers(
  query: { userId: string } | { cardLast4: string },
  deps: Pick<CustomerDeps, 'customers' | 'program' | 'hasher' | 'directory'>,
) {
  let userIds: string[];
  if ('userId' in query) {
    userIds = [query.userId];
  } else {
    const lastFour = normalizeCardNumber(query.cardLast4);
    if (lastFour?.kind !== 'lastFour')
      throw new AdminError(400, 'invalid request', [{ field: 'query.cardLast4', rule: 'must be 4 digits' }]);
    userIds = await deps.directory.findCustomersByCard(deps.hasher.hash(lastFour), SEARCH_LIMIT);
  }
  const found = await Promise.all([...new Set(userIds)].map((userId) => getCustomer(userId, deps).catch(unlessMissing)));
  const items = found
    .filter((c) => c !== undefined)
    .map(({ userId, name, tier, points, cards }) => ({ userId, name, tier, points, cards }));
  return { items: items.sort((a, b) => a.userId.localeCompare(b.userId)) };
}

function unlessMissing(err: unknown): undefined {
  if (err instanceof AdminError && (err.status === 404 || err.status === 410)) return undefined;
  throw err;
}

/** Creates the customer or updates its profile; `created` says which. */
export async function saveCustomer(profile: CustomerProfile, deps: Pick<CustomerDeps, 'customers' | 'program' | 'clock'>) {
  const existing = await deps.customers.getCustomer(profile.userId);
  refuseErased(existing, profile.userId);
  const existed = Boolean(existing);
  const consentChanged = profile.marketingConsent !== undefined && profile.marketingConsent !== (existing?.marketingConsent === true);
  await deps.customers.upsertCustomer(consentChanged ? { ...profile, marketingConsentAt: deps.clock.now().toISOString() } : profile);
  return { customer: await getCustomer(profile.userId, deps), created: !existed };
}

/** A customer's sales, newest first. */
export async function customerSales(
  userId: string,
  page: { limit: number; cursor?: string },
  deps: Pick<CustomerDeps, 'customers' | 'queries'>,
) {
  await existingCustomer(userId, deps);
  return deps.queries.customerSales(userId, page.limit, page.cursor);
}

function punchCard(punches: number, completed: number, program: ProgramConfig) {
  return { punches, of: program.punchCard.purchasesPerCard, completed, bonusPoints: program.punchCard.bonusPoints };
}

/**
 * Links a card (only its keyed hashes and last four are stored), then credits the unmatched sales of the last
 * 90 days that this card now matches unambiguously.
 */
export async function linkCard(userId: string, cardNumber: string, deps: CustomerDeps, now = new Date()) {
  const card = normalizeCardNumber(cardNumber);
  if (!card) throw new AdminError(400, 'invalid request', [{ field: 'cardNumber', rule: CARD_FORMAT_RULE }]);
  await existingCustomer(userId, deps);
  const hashes = deps.hasher.hash(card);
  const linked = await deps.customers.linkCard(userId, hashes);

  const from = new Date(now.getTime() - (AUTO_CREDIT_DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
  const credited: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.queries.byDay('unmatched', { from, to: now.toISOString().slice(0, 10) }, 100, cursor);
    for (const sale of page.items) {
      const sameCard = hashes.fullHash
        ? sale.cardFullHash === hashes.fullHash || (!sale.cardFullHash && sale.cardLast4Hash === hashes.lastFourHash)
        : sale.cardLast4Hash === hashes.lastFourHash;
      if (!sameCard) continue;
      const match = matchCustomer(
        await deps.directory.findCustomersByCard({
          fullHash: sale.cardFullHash as string | undefined,
          lastFourHash: String(sale.cardLast4Hash),
          lastFour: String(sale.cardLast4),
        }),
      );
      if (match.kind !== 'matched' || match.userId !== userId) continue;
      const result = await assignUnmatchedSale(String(sale.transactionId), userId, deps);
      if (result.kind === 'awarded') credited.push(String(sale.transactionId));
    }
    cursor = page.nextCursor;
  } while (cursor);
  return { card: linked, creditedUnmatchedSales: credited };
}

export async function removeCard(userId: string, cardId: string, deps: Pick<CustomerDeps, 'customers'>) {
  if (!(await deps.customers.unlinkCard(userId, cardId))) throw notFound(`card ${cardId} of customer ${userId}`);
}

export async function adjustPoints(
  userId: string,
  request: { points: number; reason: string; idempotencyKey: string },
  madeBy: ChangeAuthor,
  deps: Pick<CustomerDeps, 'customers' | 'changes'>,
) {
  await existingCustomer(userId, deps);
  const result = await deps.changes.adjust({ userId, ...request, madeBy });
  const stored = result.stored as { points: number; reason: string };
  if (!result.applied && (stored.points !== request.points || stored.reason !== request.reason)) {
    throw new AdminError(409, `idempotency key ${request.idempotencyKey} was already used for a different adjustment`, {
      existing: stored,
    });
  }
  return { applied: result.applied, adjustment: result.stored, balance: (await deps.customers.getCustomer(userId))?.points };
}
