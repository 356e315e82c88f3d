import { containsCardNumber } from '../../shared/domain/card-number';
import { validateMomaRecord } from '../../shared/domain/moma-record';
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
