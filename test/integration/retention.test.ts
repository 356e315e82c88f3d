import { GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { sweepExpired } from '../../local/ttl-sweeper';
import { DynamoDbLoyaltyLedger } from '../../shared/adapters/dynamodb/loyalty-ledger';
import { keys, TTL_ATTRIBUTE } from '../../shared/adapters/dynamodb/table-keys';
import { validateMomaRecord } from '../../shared/domain/moma-record';
import { RETENTION_DAYS } from '../../shared/domain/retention';
import { assignUnmatchedSale } from '../../shared/ingest/assign-unmatched';
import { ingestRecord, ingestSale } from '../../shared/ingest/ingest-sale';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { momaSale } from '../support/moma';

const SQS = { kind: 'sqs', queue: 'moma', messageId: 'm-1', index: 0 } as const;
const DAY = 86_400;

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(() => table.destroy());

const valid = (raw: Record<string, unknown>) => {
  const result = validateMomaRecord(raw);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.sale;
};
const item = async (key: { PK: string; SK: string }) =>
  (await table.db.send(new GetCommand({ TableName: table.tableName, Key: key, ConsistentRead: true }))).Item;
/** Days from now to the item's TTL, rounded. */
const daysLeft = (stored: Record<string, unknown> | undefined) => Math.round((Number(stored?.[TTL_ATTRIBUTE]) - Date.now() / 1000) / DAY);

describe('retention, stamped on each item and enforced by the TTL', () => {
  test('failures 90 days, unmatched sales and conflicts 180; an awarded sale has none (kept with the account); assigning drops it', async () => {
    await ingestRecord({ transactionId: 'RET-BAD', amount: 'lots' }, SQS, 'ret-failure', table.deps);
    const failure = (
      await table.db.send(
        new ScanCommand({ TableName: table.tableName, FilterExpression: 'entity = :f', ExpressionAttributeValues: { ':f': 'failure' } }),
      )
    ).Items?.[0];
    expect(daysLeft(failure)).toBe(RETENTION_DAYS.failures);

    const now = new Date().toISOString();
    const unmatched = valid(momaSale({ transactionId: 'RET-UNMATCHED', cardNumber: '4000 0000 0000 0002', date: now }));
    expect(await ingestSale(unmatched, SQS, table.deps)).toBe('unmatched');
    expect(daysLeft(await item(keys.sale('RET-UNMATCHED')))).toBe(RETENTION_DAYS.unmatchedSales);

    await table.addCustomer('ret-ann', '4111 1111 1111 1111');
    const sale = momaSale({ transactionId: 'RET-AWARDED', date: now });
    expect(await ingestSale(valid(sale), SQS, table.deps)).toBe('awarded');
    expect(await item(keys.sale('RET-AWARDED'))).not.toHaveProperty(TTL_ATTRIBUTE);
    expect(await ingestSale(valid({ ...sale, amount: 999 }), SQS, table.deps)).toBe('conflict');
    const conflict = (
      await table.db.send(
        new ScanCommand({ TableName: table.tableName, FilterExpression: 'entity = :c', ExpressionAttributeValues: { ':c': 'conflict' } }),
      )
    ).Items?.[0];
    expect(daysLeft(conflict)).toBe(RETENTION_DAYS.conflicts);

    await table.addCustomer('ret-cy');
    await assignUnmatchedSale('RET-UNMATCHED', 'ret-cy', { ...table.deps, sales: table.sales });
    expect(await item(keys.sale('RET-UNMATCHED'))).toMatchObject({ status: 'awarded', userId: 'ret-cy' });
    expect(await item(keys.sale('RET-UNMATCHED'))).not.toHaveProperty(TTL_ATTRIBUTE);
  });

  test("the program's retention.salesDays gives awarded sales an expiry from their date", async () => {
    const deps = { ...table.deps, ledger: new DynamoDbLoyaltyLedger(table.db, table.tableName, { salesDays: 730 }) };
    await table.addCustomer('ret-bea', '5500 0000 0000 0004');
    const date = new Date(Date.now() - 30 * DAY * 1000).toISOString();
    expect(await ingestSale(valid(momaSale({ transactionId: 'RET-KEPT-730', cardNumber: '5500 0000 0000 0004', date })), SQS, deps)).toBe(
      'awarded',
    );
    expect(daysLeft(await item(keys.sale('RET-KEPT-730')))).toBe(700);
  });

  test('the local sweep deletes what expired, as the TTL does, and nothing else', async () => {
    const put = (id: string, expiresAt?: number) =>
      table.db.send(
        new PutCommand({
          TableName: table.tableName,
          Item: { PK: `SWEEP#${id}`, SK: 'X', ...(expiresAt === undefined ? {} : { [TTL_ATTRIBUTE]: expiresAt }) },
        }),
      );
    const nowSeconds = Math.floor(Date.now() / 1000);
    await Promise.all([put('old', nowSeconds - 10), put('fresh', nowSeconds + DAY), put('forever')]);
    expect(await sweepExpired(table.db, table.tableName, TTL_ATTRIBUTE)).toBeGreaterThanOrEqual(1);
    expect(await item({ PK: 'SWEEP#old', SK: 'X' })).toBeUndefined();
    expect(await item({ PK: 'SWEEP#fresh', SK: 'X' })).toBeDefined();
    expect(await item({ PK: 'SWEEP#forever', SK: 'X' })).toBeDefined();
  });
});
