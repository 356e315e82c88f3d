import { randomBytes } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { CursorSigner, DynamoDbAdminQueries } from '../../shared/adapters/dynamodb/admin-queries';
import { DAY_SHARDS, indexKeys, keys } from '../../shared/adapters/dynamodb/table-keys';
import { createTestTable, type TestTable } from '../support/dynamodb';

let table: TestTable;
let queries: DynamoDbAdminQueries;
const dateOf = new Map<string, string>();

beforeAll(async () => {
  table = await createTestTable();
  queries = new DynamoDbAdminQueries(table.db, table.tableName, new CursorSigner(randomBytes(32)));
  const put = (transactionId: string, date: string, partition: string, machineId: string) => {
    dateOf.set(transactionId, date);
    return table.db.send(
      new PutCommand({
        TableName: table.tableName,
        Item: {
          ...keys.sale(transactionId),
          GSI3PK: partition,
          GSI3SK: `${date}#${transactionId}`,
          entity: 'sale',
          transactionId,
          date,
          machineId,
        },
      }),
    );
  };
  // 90 sales over two days, in their shards, and 6 written before the sharding, in the unsharded day partition.
  await Promise.all(
    Array.from({ length: 90 }, (_, i) => {
      const date = new Date(Date.UTC(2025, 2, 1 + Math.floor(i / 45), 8, 0, i)).toISOString();
      return put(`SH-${i}`, date, indexKeys.byDayShard('SALE', date, `SH-${i}`), `VEND-${i % 3}`);
    }),
  );
  await Promise.all(
    Array.from({ length: 6 }, (_, i) => {
      const date = new Date(Date.UTC(2025, 2, 2, 9, 0, i)).toISOString();
      return put(`LEGACY-${i}`, date, `SALE#${date.slice(0, 10)}`, 'VEND-0');
    }),
  );
});
afterAll(async () => {
  await table.destroy();
});

async function listAll(limit: number, machineId?: string) {
  const listed: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await queries.byDay('sales', { from: '2025-03-01', to: '2025-03-02' }, limit, cursor, { machineId });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    listed.push(...page.items.map((item) => String(item.transactionId)));
    cursor = page.nextCursor;
    pages += 1;
  } while (cursor && pages < 100);
  return listed;
}

describe('sales listed across the day shards, on DynamoDB Local', () => {
  test('the sales land in many shards of their day', () => {
    const shards = new Set(Array.from({ length: 45 }, (_, i) => indexKeys.byDayShard('SALE', '2025-03-01T08:00:00Z', `SH-${i}`)));
    expect(shards.size).toBeGreaterThan(DAY_SHARDS / 2);
  });

  test.each([7, 200])('pages of %i list every sale once, newest first, the unsharded ones among them', async (limit) => {
    const listed = await listAll(limit);
    expect(listed).toHaveLength(96);
    expect(new Set(listed).size).toBe(96);
    const dates = listed.map((id) => dateOf.get(id)!);
    expect(dates).toEqual([...dates].sort().reverse());
    expect(listed.slice(0, 6).every((id) => id.startsWith('LEGACY'))).toBe(true);
  });

  test('a machine filter pages through the shards too', async () => {
    const listed = await listAll(4, 'VEND-1');
    expect(listed.sort()).toEqual(Array.from({ length: 30 }, (_, k) => `SH-${3 * k + 1}`).sort());
  });
});
