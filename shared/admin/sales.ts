import { type AwardedSale, planReversal } from '../domain/loyalty';
import { assignUnmatchedSale } from '../ingest/assign-unmatched';
import type { IngestDeps } from '../ingest/ingest-sale';
import { retryOptimistically } from '../ingest/optimistic-retry';
import { AdminError, busy, notFound } from './errors';
import type { AccountChanges, ChangeAuthor, SaleReader, StoredSale } from './ports';

export interface SaleDeps extends IngestDeps {
  sales: SaleReader;
  changes: AccountChanges;
}

/** A sale and the versions of it that arrived with other content. */
export async function saleWithConflicts(transactionId: string, deps: Pick<SaleDeps, 'sales'>) {
  const sale = await deps.sales.getSale(transactionId);
  if (!sale) throw notFound(`transaction ${transactionId}`);
  return { sale, conflicts: await deps.sales.conflictsOf(transactionId) };
}

type Reversal = { reversed: boolean; alreadyReversed: boolean; sale: StoredSale | undefined; balance?: number };

/** What a stored sale earned, as a reversal takes it back: its points, and the campaigns that gave some of them. */
function awardedSale(sale: StoredSale): AwardedSale {
  const { campaigns, campaignDay } = sale;
  return {
    points: Number(sale.points ?? 0),
    bonusPoints: Number(sale.bonusPoints ?? 0),
    ...(Array.isArray(campaigns) && typeof campaignDay === 'string' ? { campaigns, campaignDay } : {}),
  };
}

/**
 * A refund: the sale's points and punch come off the customer's account, once; asking again changes nothing.
 * An account that keeps changing under concurrent updates outlasts the retries: a 503 saying so, nothing reversed.
 */
export async function reverseSale(transactionId: string, reason: string, by: ChangeAuthor, deps: SaleDeps): Promise<Reversal> {
  const outcome = await retryOptimistically<Reversal>(async () => {
    const sale = await deps.sales.getSale(transactionId);
    if (!sale) throw notFound(`transaction ${transactionId}`);
    if (sale.status === 'reversed') return { kind: 'done', value: { reversed: false, alreadyReversed: true, sale } };
    if (sale.status !== 'awarded' || !sale.userId)
      throw new AdminError(409, `transaction ${transactionId} is ${sale.status}: only an awarded sale can be reversed`);
    const account = await deps.ledger.getAccount(sale.userId, { consistent: true });
    if (!account) throw new AdminError(409, `customer ${sale.userId} of transaction ${transactionId} no longer exists`);
    const after = planReversal(account, awardedSale(sale), deps.program);
    const result = await deps.changes.reverse(transactionId, account, after, reason, by);
    if (result === 'applied')
      return {
        kind: 'done',
        value: { reversed: true, alreadyReversed: false, sale: await deps.sales.getSale(transactionId), balance: after.points },
      };
    // Stale: the account changed since it was read. Otherwise the sale changed under us (a concurrent reversal):
    // read it again at once and report its state.
    return result === 'stale' ? { kind: 'retry', reason: 'stale_account' } : { kind: 'retry', reason: 'sale_changed', backoff: false };
  }, deps);
  if (outcome.kind === 'done') return outcome.value;
  const now = await deps.sales.getSale(transactionId);
  if (now?.status === 'reversed') return { reversed: false, alreadyReversed: true, sale: now };
  throw busy(
    `could not reverse ${transactionId}: the customer's account kept changing under concurrent updates; nothing was reversed, try again`,
  );
}

/** Credits a sale held as unmatched to the customer an operator chose; assigning it again to the same customer changes nothing. */
export async function assignSale(transactionId: string, assignee: string, deps: IngestDeps & Pick<SaleDeps, 'sales'>) {
  const result = await assignUnmatchedSale(transactionId, assignee, deps);
  switch (result.kind) {
    case 'awarded':
      return { transactionId, userId: assignee, assigned: true };
    case 'already_assigned':
      if (result.userId === assignee) return { transactionId, userId: assignee, assigned: false, alreadyAssigned: true };
      throw new AdminError(409, `transaction ${transactionId} is already awarded to another customer`);
    case 'not_found':
      throw notFound(`transaction ${transactionId}`);
    case 'customer_not_found':
      throw notFound(`customer ${assignee}`);
    case 'not_unmatched':
      throw new AdminError(409, `transaction ${transactionId} is ${result.status}, not unmatched`);
  }
}
