import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbAccountChanges } from '../../shared/adapters/dynamodb/account-changes';
import { DynamoDbCustomerErasure } from '../../shared/adapters/dynamodb/customer-privacy';
import { keys } from '../../shared/adapters/dynamodb/table-keys';
import { normalizeCardNumber } from '../../shared/domain/card-number';
import { validateMomaRecord } from '../../shared/domain/moma-record';
import { ingestSale } from '../../shared/ingest/ingest-sale';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { momaSale } from '../support/moma';

/** What an erasure in progress refuses, and what two erasure calls at once do, against DynamoDB Local's conditions. */
let table: TestTable;
let erasure: DynamoDbCustomerErasure;
let changes: DynamoDbAccountChanges;
const SQS = { kind: 'sqs', queue: 'moma', messageId: 'm-1', index: 0 } as const;

beforeAll(async () => {
  table = await createTestTable();
  erasure = new DynamoDbCustomerErasure(table.db, table.tableName);
  changes = new DynamoDbAccountChanges(table.db, table.tableName);
});
afterAll(async () => {
  await table.destroy();
});

const partition = async (userId: string, prefix: string) =>
  (
    await table.db.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.customer(userId).PK, ':prefix': prefix },
        ConsistentRead: true,
      }),
    )
  ).Items ?? [];

const adjustment = (userId: string, idempotencyKey: string) => ({
  userId,
  points: 5,
  reason: 'goodwill',
  idempotencyKey,
  madeBy: { id: 'op-1', name: 'op@example.com' },
});

describe('an erasure in progress', () => {
  test('refuses a profile update, a card link and an adjustment with 410, and a sale on the card finds no account', async () => {
    await table.addCustomer('erasing-1', '4000 0000 0000 0002');
    const start = await erasure.start('erasing-1', new Date().toISOString());
    expect(start.state).toBe('erasing');

    await expect(table.customers.upsertCustomer({ userId: 'erasing-1', name: 'Back Again' })).rejects.toMatchObject({ status: 410 });
    await expect(
      table.customers.linkCard('erasing-1', table.deps.hasher.hash(normalizeCardNumber('4000 0000 0000 0002')!)),
    ).rejects.toMatchObject({ status: 410 });
    await expect(changes.adjust(adjustment('erasing-1', 'adj-late'))).rejects.toMatchObject({ status: 410 });
    expect(await partition('erasing-1', 'CARD#')).toEqual([]);

    const sale = validateMomaRecord(momaSale({ transactionId: 'TXN-ERASING-1', cardNumber: '4000000000000002' }));
    if (!sale.ok) throw new Error('invalid sale');
    expect(await ingestSale(sale.sale, SQS, table.deps)).toBe('unmatched');
  });
});

describe('two erasure calls at once', () => {
  test('move each adjustment to the pseudonym once', async () => {
    await table.addCustomer('erasing-2');
    for (const key of ['a', 'b', 'c']) await changes.adjust(adjustment('erasing-2', key));
    const start = await erasure.start('erasing-2', new Date().toISOString());
    if (start.state !== 'erasing') throw new Error(start.state);

    await Promise.all([erasure.moveAdjustments('erasing-2', start.pseudonym), erasure.moveAdjustments('erasing-2', start.pseudonym)]);

    expect(await partition('erasing-2', 'ADJUSTMENT#')).toEqual([]);
    const moved = await partition(start.pseudonym, 'ADJUSTMENT#');
    expect(moved).toHaveLength(3);
    expect(moved.every((a) => a.idempotencyKey === undefined && a.userId === start.pseudonym)).toBe(true);
  });
});
