import * as fc from 'fast-check';
import { validateMomaRecord } from '../../shared/domain/moma-record';
import { assignUnmatchedSale } from '../../shared/ingest/assign-unmatched';
import { TransientIngestError } from '../../shared/ingest/errors';
import { ingestSale } from '../../shared/ingest/ingest-sale';
import { memoryIngest } from '../support/fakes';
import { momaSale } from '../support/moma';

const SQS = { kind: 'sqs', queue: 'moma', messageId: 'm-1', index: 0 } as const;
const UNKNOWN_CARD = '5500 0000 0000 0004';

/** In-memory ports with one sale held as unmatched (a card no customer holds) and a second customer, `sam`. */
async function withUnmatchedSale(transactionId = 'U-1', amount = 450) {
  const ports = memoryIngest();
  ports.ledger.addAccount('sam');
  const validation = validateMomaRecord(momaSale({ transactionId, amount, cardNumber: UNKNOWN_CARD }));
  if (!validation.ok) throw new Error(JSON.stringify(validation.errors));
  expect(await ingestSale(validation.sale, SQS, ports.deps)).toBe('unmatched');
  return { ...ports, assignDeps: { ...ports.deps, sales: ports.sales } };
}

describe('assigning an unmatched sale to a customer', () => {
  test('awards it to the chosen customer through the ordinary award, keeping its stored facts', async () => {
    const { ledger, assignDeps } = await withUnmatchedSale('U-1', 450);
    const held = ledger.sales.get('U-1')!;

    expect(await assignUnmatchedSale('U-1', 'sam', assignDeps)).toEqual({ kind: 'awarded' });

    expect(ledger.accounts.get('sam')).toMatchObject({ points: 45, purchaseCount: 1, version: 1 });
    expect(ledger.sales.get('U-1')).toMatchObject({
      status: 'awarded',
      userId: 'sam',
      contentHash: held.contentHash,
      receivedAt: held.receivedAt,
      cardLast4: '0004',
      source: `${held.source} (assigned)`,
    });
  });

  test('assigning again is already_assigned, naming the customer, and awards nothing more', async () => {
    const { ledger, assignDeps } = await withUnmatchedSale();
    await assignUnmatchedSale('U-1', 'sam', assignDeps);
    expect(await assignUnmatchedSale('U-1', 'pat', assignDeps)).toEqual({ kind: 'already_assigned', userId: 'sam' });
    expect(ledger.accounts.get('pat')).toMatchObject({ points: 0, purchaseCount: 0 });
    expect(ledger.accounts.get('sam')).toMatchObject({ purchaseCount: 1 });
  });

  test('a sale never recorded is not_found', async () => {
    const { assignDeps } = await withUnmatchedSale();
    expect(await assignUnmatchedSale('U-none', 'sam', assignDeps)).toEqual({ kind: 'not_found' });
  });

  test('a sale that is neither unmatched nor awarded (reversed) is not_unmatched, with its status', async () => {
    const { ledger, assignDeps } = await withUnmatchedSale();
    ledger.sales.set('U-1', { ...ledger.sales.get('U-1')!, status: 'reversed' });
    expect(await assignUnmatchedSale('U-1', 'sam', assignDeps)).toEqual({ kind: 'not_unmatched', status: 'reversed' });
    expect(ledger.commits).toBe(0);
  });

  test('a customer without an account is customer_not_found, read consistently, and the sale stays unmatched', async () => {
    const { ledger, assignDeps } = await withUnmatchedSale();
    expect(await assignUnmatchedSale('U-1', 'nobody', assignDeps)).toEqual({ kind: 'customer_not_found' });
    expect(ledger.reads.at(-1)).toEqual({ userId: 'nobody', consistent: true });
    expect(ledger.sales.get('U-1')).toMatchObject({ status: 'unmatched' });
  });

  test('losing a race to another assignment is already_assigned, naming the winner', async () => {
    const { ledger, assignDeps } = await withUnmatchedSale();
    // Another operator's assignment to pat commits between this one's read of the sale and its commit.
    ledger.commitFault = (record, attempt) => {
      if (attempt > 1) return undefined;
      ledger.sales.set(record.transactionId, { ...ledger.sales.get(record.transactionId)!, status: 'awarded', userId: 'pat' });
      return { kind: 'exists', existing: { contentHash: record.contentHash, status: 'awarded', userId: 'pat' } };
    };
    expect(await assignUnmatchedSale('U-1', 'sam', assignDeps)).toEqual({ kind: 'already_assigned', userId: 'pat' });
    expect(ledger.accounts.get('sam')).toMatchObject({ purchaseCount: 0 });
  });

  test('contention on the account is retried through the injected sleep; contention that never clears is transient', async () => {
    const { ledger, assignDeps, waits } = await withUnmatchedSale();
    ledger.commitFault = (_record, attempt) => (attempt <= 2 ? { kind: 'retry', reason: 'stale_account' } : undefined);
    expect(await assignUnmatchedSale('U-1', 'sam', assignDeps)).toEqual({ kind: 'awarded' });
    expect(waits).toHaveLength(2);
    expect(ledger.accounts.get('sam')).toMatchObject({ purchaseCount: 1 });

    const hot = await withUnmatchedSale('U-hot');
    hot.ledger.contendOn('sam', 100);
    await expect(assignUnmatchedSale('U-hot', 'sam', { ...hot.assignDeps, maxAttempts: 3 })).rejects.toThrow(TransientIngestError);
    expect(hot.ledger.sales.get('U-hot')).toMatchObject({ status: 'unmatched' });
  });

  test('assignments racing each other and a redelivery of the sale credit it exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom('pat', 'sam', 'redelivery'), { minLength: 1, maxLength: 8 }), async (actors) => {
        const { ledger, assignDeps, deps } = await withUnmatchedSale('U-race', 300);
        const validation = validateMomaRecord(momaSale({ transactionId: 'U-race', amount: 300, cardNumber: UNKNOWN_CARD }));
        if (!validation.ok) throw new Error('invalid');
        const results = await Promise.all(
          actors.map((actor) =>
            actor === 'redelivery'
              ? ingestSale(validation.sale, SQS, deps)
              : assignUnmatchedSale('U-race', actor, { ...assignDeps, maxAttempts: 50 }),
          ),
        );
        const awarded = results.filter((r) => typeof r === 'object' && r.kind === 'awarded');
        expect(awarded.length).toBeLessThanOrEqual(1);
        const credited = ['pat', 'sam'].map((u) => ledger.accounts.get(u)!.purchaseCount);
        expect(credited[0]! + credited[1]!).toBe(awarded.length);
        // A redelivery of an unmatched sale never awards it: it is a duplicate of what is held, or of what was assigned.
        expect(results.filter((r) => typeof r === 'string')).toEqual(actors.filter((a) => a === 'redelivery').map(() => 'duplicate'));
      }),
      { numRuns: 100 },
    );
  });
});
