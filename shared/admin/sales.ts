import type { DynamoDbAccountChanges } from '../adapters/dynamodb/account-changes';
import type { DynamoDbCustomerStore } from '../adapters/dynamodb/customer-store';
import { planReversal } from '../domain/loyalty';
import { backoffMs, type IngestDeps } from '../ingest/ingest-sale';
import { AdminError, busy, notFound } from './errors';

export interface SaleDeps extends IngestDeps {
  customers: DynamoDbCustomerStore;
  changes: DynamoDbAccountChanges;
}

/** A refund: the sale's points and punch come off the customer's account, once; asking again changes nothing. */
export async function reverseSale(transactionId: string, reason: string, deps: SaleDeps) {
  for (let attempt = 1; attempt <= 8; attempt++) {
    const sale = await deps.customers.getSale(transactionId);
    if (!sale) throw notFound(`transaction ${transactionId}`);
    if (sale.status === 'reversed') return { reversed: false, alreadyReversed: true, sale };
    if (sale.status !== 'awarded' || !sale.userId)
      throw new AdminError(409, `transaction ${transactionId} is ${sale.status}: only an awarded sale can be reversed`);
    const account = await deps.ledger.getAccount(sale.userId, { consistent: true });
    if (!account) throw new AdminError(409, `customer ${sale.userId} of transaction ${transactionId} no longer exists`);
    const after = planReversal(
      account,
      { points: Number(sale.points ?? 0), bonusPoints: Number((sale as { bonusPoints?: number }).bonusPoints ?? 0) },
      deps.program,
    );
    const result = await deps.changes.reverse(transactionId, account, after, reason);
    if (result === 'applied')
      return { reversed: true, alreadyReversed: false, sale: await deps.customers.getSale(transactionId), balance: after.points };
    if (result === 'stale') {
      await new Promise((r) => setTimeout(r, backoffMs(attempt)));
    }
    // The sale changed under us (reversed by a concurrent request): report its state now.
  }
  const now = await deps.customers.getSale(transactionId);
  if (now?.status === 'reversed') return { reversed: false, alreadyReversed: true, sale: now };
  throw busy(
    `could not reverse ${transactionId}: the customer's account kept changing under concurrent updates; nothing was reversed, try again`,
  );
}
