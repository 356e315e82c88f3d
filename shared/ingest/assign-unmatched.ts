import { awardToCustomer, type IngestDeps, type SaleOutcome } from './ingest-sale';
import type { SaleRecord } from './ports';

export interface SaleLookup {
  getSale(transactionId: string): Promise<(SaleRecord & { status: string; userId?: string }) | undefined>;
}

export type AssignResult =
  | { kind: 'awarded' }
  | { kind: 'customer_not_found' }
  | { kind: 'already_assigned'; userId?: string }
  | { kind: 'not_found' }
  | { kind: 'not_unmatched'; status: string };

/**
 * Credits a sale held as unmatched to the customer an operator chose. The award path is the ordinary one,
 * so assigning twice, or racing a redelivery of the sale, still credits it once.
 */
export async function assignUnmatchedSale(
  transactionId: string,
  userId: string,
  deps: IngestDeps & { sales: SaleLookup },
): Promise<AssignResult> {
  const sale = await deps.sales.getSale(transactionId);
  if (!sale) return { kind: 'not_found' };
  if (sale.status === 'awarded') return { kind: 'already_assigned', userId: sale.userId };
  if (sale.status !== 'unmatched') return { kind: 'not_unmatched', status: sale.status };
  if (!(await deps.ledger.getAccount(userId, { consistent: true }))) return { kind: 'customer_not_found' };
  const record: SaleRecord = {
    transactionId: sale.transactionId,
    date: sale.date,
    amountCents: sale.amountCents,
    product: sale.product,
    machineId: sale.machineId,
    cardLast4: sale.cardLast4,
    cardFullHash: sale.cardFullHash,
    cardLast4Hash: sale.cardLast4Hash,
    contentHash: sale.contentHash,
    source: `${sale.source} (assigned)`,
    receivedAt: sale.receivedAt,
  };
  const outcome: SaleOutcome = await awardToCustomer(record, userId, deps);
  if (outcome === 'awarded') return { kind: 'awarded' };
  const now = await deps.sales.getSale(transactionId);
  return { kind: 'already_assigned', userId: now?.userId };
}
