import * as fc from 'fast-check';
import { containsCardNumber } from '../../shared/domain/card-number';
import { validateMomaRecord } from '../../shared/domain/moma-record';
import { DEFAULT_PROGRAM } from '../../shared/domain/program';
import { TransientIngestError } from '../../shared/ingest/errors';
import { ingestMessage } from '../../shared/ingest/ingest-message';
import { ingestRecord, ingestSale, toSaleRecord } from '../../shared/ingest/ingest-sale';
import { awsError, memoryIngest } from '../support/fakes';
import { momaSale } from '../support/moma';

const SQS = { kind: 'sqs', queue: 'moma', messageId: 'm-1', index: 0 } as const;
const CARD = '4111 1111 1111 1111';
const valid = (raw: Record<string, unknown>) => {
  const result = validateMomaRecord(raw);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.sale;
};

describe('ingesting one sale, against in-memory ports', () => {
  test('awards a matched sale once; the same sale again is a duplicate', async () => {
    const { deps, ledger } = memoryIngest();
    const sale = valid(momaSale({ transactionId: 'S-1', amount: 350 }));
    expect(await ingestSale(sale, SQS, deps)).toBe('awarded');
    expect(await ingestSale(sale, SQS, deps)).toBe('duplicate');
    expect(ledger.accounts.get('pat')).toMatchObject({ points: 35, purchaseCount: 1, version: 1 });
  });

  test('a stale account version is read again and retried', async () => {
    const { deps, ledger } = memoryIngest();
    ledger.commitFault = (_sale, attempt) => (attempt < 3 ? { kind: 'retry', reason: 'stale_account' } : undefined);
    expect(await ingestSale(valid(momaSale({ transactionId: 'S-stale' })), SQS, deps)).toBe('awarded');
    expect(ledger.commits).toBe(3);
  });

  test('a transaction conflict is retried like contention', async () => {
    const { deps, ledger } = memoryIngest();
    ledger.commitFault = (_sale, attempt) => (attempt === 1 ? { kind: 'retry', reason: 'transaction_conflict' } : undefined);
    expect(await ingestSale(valid(momaSale({ transactionId: 'S-conflicting-writers' })), SQS, deps)).toBe('awarded');
    expect(ledger.commits).toBe(2);
  });

  test('contention that never clears gives up with a transient error (the input is fine)', async () => {
    const { deps, ledger } = memoryIngest();
    ledger.commitFault = () => ({ kind: 'retry', reason: 'stale_account' });
    await expect(ingestSale(valid(momaSale({ transactionId: 'S-hot' })), SQS, { ...deps, maxAttempts: 4 })).rejects.toThrow(
      TransientIngestError,
    );
    expect(ledger.commits).toBe(4);
  });

  test('the same id with other content is a conflict, recorded and not awarded', async () => {
    const { deps, ledger } = memoryIngest();
    expect(await ingestSale(valid(momaSale({ transactionId: 'S-c', amount: 100 })), SQS, deps)).toBe('awarded');
    expect(await ingestSale(valid(momaSale({ transactionId: 'S-c', amount: 900 })), SQS, deps)).toBe('conflict');
    expect(ledger.conflicts).toHaveLength(1);
    expect(ledger.accounts.get('pat')).toMatchObject({ points: 10 });
  });

  test('an unknown card is held as unmatched', async () => {
    const { deps, ledger } = memoryIngest();
    expect(await ingestSale(valid(momaSale({ transactionId: 'S-u', cardNumber: '5500 0000 0000 0004' })), SQS, deps)).toBe('unmatched');
    expect(ledger.sales.get('S-u')).toMatchObject({ status: 'unmatched', unmatchedReason: 'unknown_card' });
  });

  test('a card number in product or machineId is masked in the stored sale, and hashed masked', () => {
    const { deps } = memoryIngest();
    const record = toSaleRecord(
      valid(momaSale({ transactionId: 'S-m', product: `Coffee for ${CARD}`, machineId: 'M-4111111111111111' })),
      SQS,
      deps,
    );
    expect(record.product).toBe('Coffee for ************1111');
    expect(record.machineId).toBe('M-************1111');
    expect(containsCardNumber(JSON.stringify(record))).toBe(false);
    // The content hash is of the masked text, so the same sale by another path (or masked already) is a duplicate.
    expect(
      toSaleRecord(
        valid(momaSale({ transactionId: 'S-m', product: 'Coffee for ************1111', machineId: 'M-************1111' })),
        SQS,
        deps,
      ).contentHash,
    ).toBe(record.contentHash);
  });
});

describe('a record that fails', () => {
  test("a permanent DynamoDB refusal is that record's failure, naming what was refused", async () => {
    const { deps, ledger, failures } = memoryIngest();
    ledger.commitFault = () => awsError('ValidationException', 'Item size has exceeded the maximum allowed size');
    expect(await ingestRecord(momaSale({ transactionId: 'S-big' }), SQS, 'sqs:moma:m-1#0', deps)).toBe('failed');
    expect(failures.all).toEqual([
      expect.objectContaining({
        reason: 'sale could not be stored: ValidationException: Item size has exceeded the maximum allowed size',
        transactionId: 'S-big',
        source: 'sqs moma message m-1 record 0',
      }),
    ]);
    // A valid sale refused for now stays retryable from the admin API (never with its card number).
    expect(JSON.parse(failures.all[0]!.retryRecord!)).toMatchObject({ record: { transactionId: 'S-big' }, card: { lastFour: '1111' } });
    expect(failures.all[0]!.retryRecord).not.toContain('4111');
  });

  test('a transient error propagates and stores nothing', async () => {
    const { deps, ledger, failures } = memoryIngest();
    ledger.commitFault = () => awsError('ThrottlingException', 'Rate exceeded');
    await expect(ingestRecord(momaSale({ transactionId: 'S-t' }), SQS, 'x', deps)).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(failures.all).toHaveLength(0);
  });

  test('a permanent error on one record of a message does not cost its neighbours', async () => {
    const { deps, ledger, failures } = memoryIngest();
    ledger.commitFault = (sale) =>
      sale.transactionId === 'M-2' ? awsError('ValidationException', 'Item size has exceeded the maximum allowed size') : undefined;
    const body = JSON.stringify(['M-1', 'M-2', 'M-3'].map((transactionId) => momaSale({ transactionId, amount: 100 })));

    expect(await ingestMessage(body, { queue: 'moma', messageId: 'msg' }, deps)).toMatchObject({ awarded: 2, failed: 1 });
    expect(ledger.accounts.get('pat')).toMatchObject({ points: 20 });
    expect(failures.all.map((f) => f.source)).toEqual(['sqs moma message msg record 1']);
  });

  test('a prototype never supplies a field: no own amount is "amount is required"', async () => {
    const { deps, failures, ledger } = memoryIngest();
    const { amount: _amount, ...withoutAmount } = momaSale({ transactionId: 'S-proto' });
    const sneaky = { ...withoutAmount, __proto__: { amount: 350 } };
    expect(await ingestRecord(sneaky, SQS, 'p', deps)).toBe('failed');
    expect(failures.all[0]!.reason).toBe('invalid record: amount is required and must be a number of cents');
    // Parsed JSON keeps "__proto__" as an own key, which is not a Moma field either.
    expect(await ingestRecord(JSON.parse(JSON.stringify(withoutAmount).replace('{', '{"__proto__":{"amount":350},')), SQS, 'q', deps)).toBe(
      'failed',
    );
    expect(ledger.commits).toBe(0);
  });

  test('a card number as transactionId is refused with a clear rule, and its stored copies are masked', async () => {
    const { deps, failures } = memoryIngest();
    expect(await ingestRecord(momaSale({ transactionId: CARD }), SQS, 'c', deps)).toBe('failed');
    expect(await ingestRecord(momaSale({ transactionId: `TXN-${CARD.replace(/ /g, '')}` }), SQS, 'd', deps)).toBe('failed');
    expect(failures.all.map((f) => f.reason)).toEqual([
      'invalid record: transactionId must not contain a card number',
      'invalid record: transactionId must not contain a card number',
    ]);
    expect(containsCardNumber(JSON.stringify(failures.all))).toBe(false);
    expect(failures.all[0]!.transactionId).toBe('************1111');
    // Masked, the id would be another sale's: not retryable.
    expect(failures.all.every((f) => f.retryRecord === null)).toBe(true);
  });

  test('a message over 256 KiB, or unparseable, is one failure', async () => {
    const { deps, failures } = memoryIngest();
    const big = JSON.stringify([momaSale({ product: 'p'.repeat(300 * 1024) })]);
    expect(await ingestMessage(big, { queue: 'moma', messageId: 'big' }, deps)).toMatchObject({ failed: 1, awarded: 0 });
    expect(await ingestMessage(`{"cardNumber": "${CARD}", oops`, { queue: 'moma', messageId: 'bad' }, deps)).toMatchObject({ failed: 1 });
    const [tooBig, broken] = failures.all;
    expect(tooBig).toMatchObject({
      source: 'sqs moma message big',
      reason: `message body is ${big.length} bytes; at most 262144 are read`,
      rawLength: big.length,
    });
    expect(broken!.reason).toMatch(/^message body is not valid JSON/);
    expect(containsCardNumber(JSON.stringify(broken))).toBe(false);
  });
});

describe('retrying an award, against in-memory ports', () => {
  test('an account changed by another writer is read again, consistently, and the award lands on the newer version', async () => {
    const { deps, ledger, waits } = memoryIngest();
    ledger.contendOn('pat', 2);
    expect(await ingestSale(valid(momaSale({ transactionId: 'S-raced', amount: 500 })), SQS, deps)).toBe('awarded');
    expect(ledger.attemptsOf('S-raced')).toBe(3);
    // The first read may be eventually consistent (the version condition catches it); every retry reads consistently.
    expect(ledger.reads.map((r) => r.consistent)).toEqual([false, true, true]);
    expect(waits).toHaveLength(2);
    expect(ledger.accounts.get('pat')).toMatchObject({ points: 50, purchaseCount: 1, version: 3 });
  });

  test('each retry waits through the injected sleep, a jittered wait under the cap; a success waits no more', async () => {
    const { deps, ledger, waits } = memoryIngest();
    ledger.commitFault = (_sale, attempt) => (attempt <= 5 ? { kind: 'retry', reason: 'transaction_conflict' } : undefined);
    expect(await ingestSale(valid(momaSale({ transactionId: 'S-waits' })), SQS, deps)).toBe('awarded');
    expect(waits).toHaveLength(5);
    for (const wait of waits) {
      expect(wait).toBeGreaterThanOrEqual(0);
      expect(wait).toBeLessThanOrEqual(2_000);
    }
  });

  test('giving up names the sale, the attempts and the last reason, after waiting between each; nothing is recorded', async () => {
    const { deps, ledger, waits } = memoryIngest();
    ledger.contendOn('pat', 100);
    const attempt = ingestSale(valid(momaSale({ transactionId: 'S-gave-up' })), SQS, { ...deps, maxAttempts: 3 });
    await expect(attempt).rejects.toThrow(new TransientIngestError('sale S-gave-up: gave up after 3 attempts (stale_account)'));
    expect(waits).toHaveLength(2);
    expect(ledger.sales.has('S-gave-up')).toBe(false);
    expect(ledger.accounts.get('pat')).toMatchObject({ points: 0, purchaseCount: 0 });
  });

  test('a transient error from the ledger is not retried here: it propagates for the message to be redelivered', async () => {
    const { deps, ledger, waits } = memoryIngest();
    ledger.readFault = () => awsError('ProvisionedThroughputExceededException', 'Throughput exceeded', { status: 400 });
    await expect(ingestSale(valid(momaSale({ transactionId: 'S-read-fails' })), SQS, deps)).rejects.toMatchObject({
      name: 'ProvisionedThroughputExceededException',
    });
    expect(waits).toHaveLength(0);
    expect(ledger.commits).toBe(0);
  });

  test('a sale recorded meanwhile by another delivery is settled, not retried', async () => {
    const { deps, ledger } = memoryIngest();
    const sale = valid(momaSale({ transactionId: 'S-meanwhile' }));
    // The other delivery commits between this one's read and its commit.
    ledger.commitFault = (record, attempt) => {
      if (attempt > 1) return undefined;
      ledger.sales.set(record.transactionId, { ...record, status: 'awarded', userId: 'pat' });
      return { kind: 'exists', existing: { contentHash: record.contentHash, status: 'awarded', userId: 'pat' } };
    };
    expect(await ingestSale(sale, SQS, deps)).toBe('duplicate');
    expect(ledger.attemptsOf('S-meanwhile')).toBe(1);
  });
});

describe('duplicates and conflicts', () => {
  test('an unmatched sale delivered again is a duplicate; with other content it is a conflict', async () => {
    const { deps, ledger } = memoryIngest();
    const unknownCard = { cardNumber: '5500 0000 0000 0004' };
    expect(await ingestSale(valid(momaSale({ transactionId: 'S-um', ...unknownCard })), SQS, deps)).toBe('unmatched');
    expect(await ingestSale(valid(momaSale({ transactionId: 'S-um', ...unknownCard })), SQS, deps)).toBe('duplicate');
    expect(await ingestSale(valid(momaSale({ transactionId: 'S-um', ...unknownCard, amount: 999 })), SQS, deps)).toBe('conflict');
    expect(ledger.conflicts).toEqual([
      {
        sale: expect.objectContaining({ transactionId: 'S-um', amountCents: 999 }),
        existing: expect.objectContaining({ status: 'unmatched' }),
      },
    ]);
  });

  test('an awarded sale sent again on an unknown card, with other content, is a conflict and awards nothing', async () => {
    const { deps, ledger } = memoryIngest();
    expect(await ingestSale(valid(momaSale({ transactionId: 'S-moved', amount: 200 })), SQS, deps)).toBe('awarded');
    expect(await ingestSale(valid(momaSale({ transactionId: 'S-moved', amount: 200, cardNumber: '5500 0000 0000 0004' })), SQS, deps)).toBe(
      'conflict',
    );
    expect(ledger.conflicts[0]?.existing).toEqual(expect.objectContaining({ status: 'awarded', userId: 'pat' }));
    expect(ledger.accounts.get('pat')).toMatchObject({ points: 20, purchaseCount: 1 });
  });

  test('the same sale by full number and by its last four is the same content: a duplicate', async () => {
    const { deps, ledger } = memoryIngest();
    expect(await ingestSale(valid(momaSale({ transactionId: 'S-four' })), SQS, deps)).toBe('awarded');
    // A redelivery through another path may carry only the last four: matched on their hash, and the same content.
    expect(await ingestSale(valid(momaSale({ transactionId: 'S-four', cardNumber: '1111' })), SQS, deps)).toBe('duplicate');
    expect(ledger.conflicts).toHaveLength(0);
  });
});

describe('sales that match no single customer', () => {
  test('a card two customers hold is held as ambiguous, never guessed', async () => {
    const { deps, ledger, directory } = memoryIngest();
    ledger.addAccount('sam');
    directory.link('sam', CARD);
    expect(await ingestSale(valid(momaSale({ transactionId: 'S-amb' })), SQS, deps)).toBe('unmatched');
    expect(ledger.sales.get('S-amb')).toMatchObject({ status: 'unmatched', unmatchedReason: 'ambiguous' });
    expect(ledger.commits).toBe(0);
  });

  test('a card linked to a customer whose account is gone is held as an unknown card', async () => {
    const { deps, ledger, directory } = memoryIngest();
    directory.link('ghost', '5500 0000 0000 0004');
    expect(await ingestSale(valid(momaSale({ transactionId: 'S-ghost', cardNumber: '5500 0000 0000 0004' })), SQS, deps)).toBe('unmatched');
    expect(ledger.sales.get('S-ghost')).toMatchObject({ status: 'unmatched', unmatchedReason: 'unknown_card' });
  });

  test('only the last four given: matched on their hash when one customer holds them', async () => {
    const { deps, ledger } = memoryIngest();
    expect(await ingestSale(valid(momaSale({ transactionId: 'S-l4', cardNumber: '1111' })), SQS, deps)).toBe('awarded');
    expect(ledger.sales.get('S-l4')).toMatchObject({ userId: 'pat', cardLast4: '1111' });
    expect(ledger.sales.get('S-l4')?.cardFullHash).toBeUndefined();
  });
});

describe('properties of the award', () => {
  const amount = fc.integer({ min: 1, max: DEFAULT_PROGRAM.maxAmountCents });

  test('points are 10 per dollar, rounded down to whole points', async () => {
    await fc.assert(
      fc.asyncProperty(amount, async (cents) => {
        const { deps, ledger } = memoryIngest();
        expect(await ingestSale(valid(momaSale({ transactionId: 'S-p', amount: cents })), SQS, deps)).toBe('awarded');
        expect(ledger.accounts.get('pat')!.points).toBe(Math.floor(cents / 10));
      }),
      { numRuns: 200 },
    );
    // The edges of the rounding: nine cents earn nothing, ten earn a point, 99 earn nine.
    const { deps, ledger } = memoryIngest();
    for (const [i, cents] of [9, 10, 99].entries())
      await ingestSale(valid(momaSale({ transactionId: `S-e${i}`, amount: cents })), SQS, deps);
    expect(ledger.accounts.get('pat')!.points).toBe(0 + 1 + 9);
  });

  test('sales delivered any number of times, in any order, concurrently and under contention, are each awarded once', async () => {
    const deliveries = fc
      .array(fc.record({ amount, times: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 14 })
      .chain((sales) => {
        const ids = sales.flatMap((s, i) => Array.from({ length: s.times }, () => i));
        return fc.tuple(fc.constant(sales), fc.shuffledSubarray(ids, { minLength: ids.length, maxLength: ids.length }), fc.nat(20));
      });
    await fc.assert(
      fc.asyncProperty(deliveries, fc.boolean(), async ([sales, order, contention], concurrently) => {
        const { deps, ledger } = memoryIngest();
        ledger.contendOn('pat', contention);
        const retrying = { ...deps, maxAttempts: 200 };
        const deliver = (i: number) =>
          ingestSale(valid(momaSale({ transactionId: `S-n${i}`, amount: sales[i]!.amount })), SQS, retrying).then((outcome) => ({
            i,
            outcome,
          }));
        const results = concurrently ? await Promise.all(order.map(deliver)) : await sequentially(order.map((i) => () => deliver(i)));

        for (const [i, sale] of sales.entries()) {
          const outcomes = results.filter((r) => r.i === i).map((r) => r.outcome);
          expect(outcomes.filter((o) => o === 'awarded')).toHaveLength(1);
          expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(sale.times - 1);
        }
        const purchasePoints = sales.reduce((sum, s) => sum + Math.floor(s.amount / 10), 0);
        const bonus = Math.floor(sales.length / DEFAULT_PROGRAM.punchCard.purchasesPerCard) * DEFAULT_PROGRAM.punchCard.bonusPoints;
        expect(ledger.accounts.get('pat')).toMatchObject({ points: purchasePoints + bonus, purchaseCount: sales.length });
      }),
      { numRuns: 100 },
    );
  });
});

async function sequentially<T>(tasks: Array<() => Promise<T>>): Promise<T[]> {
  const results: T[] = [];
  for (const task of tasks) results.push(await task());
  return results;
}
