import { DynamoDbCustomerDirectory } from '../../shared/adapters/dynamodb/customer-directory';
import { DynamoDbLoyaltyLedger } from '../../shared/adapters/dynamodb/loyalty-ledger';
import { planAward } from '../../shared/domain/loyalty';
import { validateMomaRecord } from '../../shared/domain/moma-record';
import { DEFAULT_PROGRAM } from '../../shared/domain/program';
import { AwardPacker } from '../../shared/ingest/award-packer';
import { CachingCustomerDirectory } from '../../shared/ingest/card-cache';
import { ingestSale, toSaleRecord } from '../../shared/ingest/ingest-sale';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { momaSale } from '../support/moma';
import { cardNumberFor } from '../support/workload';

const SQS = { kind: 'sqs', queue: 'moma', messageId: 'm-packs', index: 0 } as const;

let table: TestTable;
let ledger: DynamoDbLoyaltyLedger;

beforeAll(async () => {
  table = await createTestTable();
  ledger = new DynamoDbLoyaltyLedger(table.db, table.tableName);
});
afterAll(async () => {
  await table.destroy();
});

const valid = (raw: Record<string, unknown>) => {
  const result = validateMomaRecord(raw);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.sale;
};
/** Each group of customers has cards of its own (a card on two customers would be ambiguous). */
const CARD_OFFSETS: Record<string, number> = { clean: 0, mixed: 100, mix2: 200, twin: 300 };
const saleOf = (transactionId: string, prefix: string, customer: number, amount = 100) =>
  valid(momaSale({ transactionId, cardNumber: cardNumberFor(CARD_OFFSETS[prefix]! + customer), amount }));

async function pendingAward(transactionId: string, prefix: string, customer: number, amount = 100) {
  const account = (await ledger.getAccount(`${prefix}-${customer}`, { consistent: true }))!;
  return {
    sale: toSaleRecord(saleOf(transactionId, prefix, customer, amount), SQS, table.deps),
    plan: planAward(account, amount, DEFAULT_PROGRAM),
  };
}

async function addCustomers(prefix: string, count: number) {
  await Promise.all(Array.from({ length: count }, (_, c) => table.addCustomer(`${prefix}-${c}`, cardNumberFor(CARD_OFFSETS[prefix]! + c))));
}

describe('awards packed in one TransactWriteItems, on DynamoDB Local', () => {
  test('a clean pack of ten commits every sale and account at once', async () => {
    await addCustomers('clean', 10);
    const awards = await Promise.all(Array.from({ length: 10 }, (_, c) => pendingAward(`PACK-CLEAN-${c}`, 'clean', c)));
    expect(await ledger.commitAwards(awards)).toEqual(Array(10).fill({ kind: 'committed' }));
    for (let c = 0; c < 10; c++)
      expect(await table.customers.getCustomer(`clean-${c}`)).toMatchObject({ points: 10, purchaseCount: 1, version: 1 });
  });

  test('a pack cancelled by a duplicate, a conflict and a stale account tells each award why, and commits nothing', async () => {
    await addCustomers('mixed', 5);
    const first = await Promise.all([pendingAward('MIX-DUP', 'mixed', 0), pendingAward('MIX-CONFLICT', 'mixed', 1, 100)]);
    await ledger.commitAwards(first);
    const staleAward = await pendingAward('MIX-STALE', 'mixed', 2);
    // Another writer moves customer 2 on after the pack was planned.
    await ledger.commitAwards([await pendingAward('MIX-OTHER-WRITER', 'mixed', 2)]);
    const pack = [
      await pendingAward('MIX-DUP', 'mixed', 0),
      await pendingAward('MIX-CONFLICT', 'mixed', 1, 900),
      staleAward,
      await pendingAward('MIX-INNOCENT-3', 'mixed', 3),
      await pendingAward('MIX-INNOCENT-4', 'mixed', 4),
    ];
    const results = await ledger.commitAwards(pack);
    expect(results[0]).toMatchObject({
      kind: 'exists',
      existing: { status: 'awarded', userId: 'mixed-0', contentHash: pack[0]!.sale.contentHash },
    });
    expect(results[1]).toMatchObject({ kind: 'exists', existing: { status: 'awarded', userId: 'mixed-1' } });
    expect((results[1] as { existing: { contentHash: string } }).existing.contentHash).not.toBe(pack[1]!.sale.contentHash);
    expect(results.slice(2)).toEqual([{ kind: 'retry', reason: 'stale_account' }, { kind: 'not_attempted' }, { kind: 'not_attempted' }]);
    expect(await table.customers.getCustomer('mixed-3')).toMatchObject({ points: 0, version: 0 });
    expect(await table.customers.getCustomer('mixed-4')).toMatchObject({ points: 0, version: 0 });
  });

  test('through the packer: duplicates, conflicts and stale accounts mixed in packs end exactly as one transaction each would', async () => {
    await addCustomers('mix2', 12);
    // Customer 0..11; every third sale a redelivery, every fifth a changed amount under an id already awarded.
    const sales = Array.from({ length: 72 }, (_, i) => {
      const id = i % 3 === 2 ? i - 1 : i;
      const customer = id % 12;
      const amount = i % 5 === 4 && id !== i ? 900 : 100;
      return saleOf(`MIX2-${id}`, 'mix2', customer, amount);
    });
    const outcomes = await Promise.all(sales.map((s) => ingestSale(s, SQS, { ...table.deps, maxAttempts: 40 })));
    const ids = new Set(sales.map((s) => s.transactionId));
    expect(outcomes.filter((o) => o === 'awarded')).toHaveLength(ids.size);
    expect(outcomes.filter((o) => o === 'duplicate' || o === 'conflict')).toHaveLength(sales.length - ids.size);
    let purchases = 0;
    for (let c = 0; c < 12; c++) purchases += Number((await table.customers.getCustomer(`mix2-${c}`))!.purchaseCount);
    expect(purchases).toBe(ids.size);
  });

  test('two processes packing at once over the same customers award every sale exactly once', async () => {
    await addCustomers('twin', 20);
    const processDeps = () => ({
      ...table.deps,
      directory: new CachingCustomerDirectory(new DynamoDbCustomerDirectory(table.db, table.tableName)),
      ledger: new AwardPacker(new DynamoDbLoyaltyLedger(table.db, table.tableName)),
      maxAttempts: 40,
    });
    const [a, b] = [processDeps(), processDeps()];
    const sales = Array.from({ length: 60 }, (_, i) => saleOf(`TWIN-${i}`, 'twin', i % 20));
    // Both processes receive every sale (the same file and its messages), in different orders.
    const outcomes = await Promise.all([
      ...sales.map((s) => ingestSale(s, SQS, a)),
      ...[...sales].reverse().map((s) => ingestSale(s, SQS, b)),
    ]);
    expect(outcomes.filter((o) => o === 'awarded')).toHaveLength(60);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(60);
    for (let c = 0; c < 20; c++) expect(await table.customers.getCustomer(`twin-${c}`)).toMatchObject({ purchaseCount: 3, points: 30 });
  });
});
