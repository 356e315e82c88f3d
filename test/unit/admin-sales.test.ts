import { AdminError } from '../../shared/admin/errors';
import { assignSale, reverseSale, saleWithConflicts } from '../../shared/admin/sales';
import { TransientIngestError } from '../../shared/ingest/errors';
import { memoryAdmin, saleRecord } from '../support/admin-fakes';
import { recordingSleep } from '../support/fakes';

const OPERATOR = { id: 'sub-admin', name: 'admin@hivis.local' };

function world() {
  const admin = memoryAdmin();
  admin.ledger.addAccount('pat', { points: 100, lifetimePoints: 100, punchCount: 3, purchaseCount: 3, version: 3 });
  admin.sales.awarded('S-1', 'pat', { points: 45 });
  const deps = { ...admin.deps, sales: admin.sales, changes: admin.changes };
  return { ...admin, deps };
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (err: unknown) => err,
  );

describe('reverseSale, against in-memory ports', () => {
  test('takes the sale’s points and punch off the account, once', async () => {
    const { deps, ledger, changes } = world();
    expect(await reverseSale('S-1', 'refund', OPERATOR, deps)).toMatchObject({
      reversed: true,
      alreadyReversed: false,
      balance: 55,
      sale: { transactionId: 'S-1', status: 'reversed' },
    });
    expect(ledger.accounts.get('pat')).toMatchObject({ points: 55, punchCount: 2, purchaseCount: 2 });
    expect(await reverseSale('S-1', 'refund', OPERATOR, deps)).toMatchObject({ reversed: false, alreadyReversed: true });
    expect(changes.reversals).toEqual([{ transactionId: 'S-1', reason: 'refund' }]);
  });

  test('an unknown sale is 404; one that is not awarded, or whose customer is gone, is 409', async () => {
    const { deps, ledger } = world();
    expect(await refusal(reverseSale('S-none', 'refund', OPERATOR, deps))).toMatchObject({ status: 404 });
    ledger.sales.set('S-held', { ...saleRecord('S-held'), status: 'unmatched' });
    expect(await refusal(reverseSale('S-held', 'refund', OPERATOR, deps))).toMatchObject({
      status: 409,
      message: 'transaction S-held is unmatched: only an awarded sale can be reversed',
    });
    ledger.accounts.delete('pat');
    expect(await refusal(reverseSale('S-1', 'refund', OPERATOR, deps))).toMatchObject({
      status: 409,
      message: expect.stringContaining('no longer exists'),
    });
  });

  test('an account changed since it was read is read again after the injected backoff', async () => {
    const { deps, ledger, waits } = world();
    ledger.contendOn('pat', 2);
    expect(await reverseSale('S-1', 'refund', OPERATOR, deps)).toMatchObject({ reversed: true });
    expect(waits).toHaveLength(2);
    expect(ledger.reads.every((r) => r.consistent)).toBe(true);
  });

  test('a sale changed under the reversal (reversed concurrently) is read again at once and reported', async () => {
    const { deps, ledger } = world();
    const { sleep, waits } = recordingSleep();
    const concurrent = {
      reverse: async () => {
        ledger.sales.set('S-1', { ...ledger.sales.get('S-1')!, status: 'reversed' as const });
        return 'precondition_failed' as const;
      },
      adjust: deps.changes.adjust.bind(deps.changes),
    };
    expect(await reverseSale('S-1', 'refund', OPERATOR, { ...deps, changes: concurrent, sleep })).toMatchObject({
      reversed: false,
      alreadyReversed: true,
    });
    expect(waits).toEqual([]);
  });

  test('an account that keeps changing outlasts the retries: a 503 with the reason, not a transient ingest error', async () => {
    const { deps, ledger, waits } = world();
    ledger.contendOn('pat', 1_000);
    const err = await refusal(reverseSale('S-1', 'refund', OPERATOR, { ...deps, maxAttempts: 5 }));
    expect(err).toBeInstanceOf(AdminError);
    expect(err).not.toBeInstanceOf(TransientIngestError);
    expect(err).toMatchObject({
      status: 503,
      retryAfterSeconds: 1,
      message: "could not reverse S-1: the customer's account kept changing under concurrent updates; nothing was reversed, try again",
    });
    expect(ledger.reads).toHaveLength(5);
    expect(waits).toHaveLength(4);
    expect(ledger.sales.get('S-1')).toMatchObject({ status: 'awarded' });
    expect(ledger.accounts.get('pat')).toMatchObject({ points: 100 });
  });
});

describe('saleWithConflicts and assignSale', () => {
  test('a sale comes with the conflicting versions stored beside it; an unknown one is 404', async () => {
    const { app, sales } = world();
    sales.conflicts.set('S-1', [{ contentHash: 'other', incoming: { amountCents: 999 } }]);
    expect(await saleWithConflicts('S-1', app)).toMatchObject({
      sale: { transactionId: 'S-1', status: 'awarded', points: 45 },
      conflicts: [{ contentHash: 'other' }],
    });
    expect(await refusal(saleWithConflicts('S-none', app))).toMatchObject({ status: 404, message: 'transaction S-none not found' });
  });

  test('an unmatched sale is credited to the chosen customer once; every other case is the status it names', async () => {
    const { deps, ledger } = world();
    ledger.sales.set('U-1', { ...saleRecord('U-1'), status: 'unmatched' });
    expect(await assignSale('U-1', 'pat', deps)).toEqual({ transactionId: 'U-1', userId: 'pat', assigned: true });
    expect(await assignSale('U-1', 'pat', deps)).toEqual({ transactionId: 'U-1', userId: 'pat', assigned: false, alreadyAssigned: true });
    ledger.addAccount('sam');
    expect(await refusal(assignSale('U-1', 'sam', deps))).toMatchObject({
      status: 409,
      message: 'transaction U-1 is already awarded to another customer',
    });
    expect(await refusal(assignSale('U-none', 'pat', deps))).toMatchObject({ status: 404, message: 'transaction U-none not found' });
    ledger.sales.set('U-2', { ...saleRecord('U-2'), status: 'unmatched' });
    expect(await refusal(assignSale('U-2', 'nobody', deps))).toMatchObject({ status: 404, message: 'customer nobody not found' });
    ledger.sales.set('R-1', { ...saleRecord('R-1'), status: 'reversed' });
    expect(await refusal(assignSale('R-1', 'pat', deps))).toMatchObject({
      status: 409,
      message: 'transaction R-1 is reversed, not unmatched',
    });
  });
});
