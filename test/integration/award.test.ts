import { GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../shared/adapters/dynamodb/table-keys';
import { validateMomaRecord } from '../../shared/domain/moma-record';
import { assignUnmatchedSale } from '../../shared/ingest/assign-unmatched';
import { ingestMessage } from '../../shared/ingest/ingest-message';
import { ingestRecord, ingestSale } from '../../shared/ingest/ingest-sale';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { momaSale } from '../support/moma';

const SQS = { kind: 'sqs', queue: 'moma', messageId: 'm-1', index: 0 } as const;
const S3 = { kind: 's3', bucket: 'hi-vis-moma-data', key: 'transactions/a.json', index: 0 } as const;

let table: TestTable;

beforeAll(async () => {
  table = await createTestTable();
});
afterAll(async () => {
  await table.destroy();
});

const valid = (raw: Record<string, unknown>) => {
  const result = validateMomaRecord(raw);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.sale;
};

async function customer(userId: string) {
  return (await table.customers.getCustomer(userId)) as Record<string, number | string>;
}

describe('awarding a sale against DynamoDB Local', () => {
  test('awards 10 points per dollar and stores the sale without the card number', async () => {
    await table.addCustomer('alice', '4111 1111 1111 1111');
    const sale = momaSale({ transactionId: 'TXN-AWARD-1', amount: 350 });

    expect(await ingestSale(valid(sale), SQS, table.deps)).toBe('awarded');

    expect(await customer('alice')).toMatchObject({ points: 35, lifetimePoints: 35, tier: 'Bronze', punchCount: 1, purchaseCount: 1 });
    const stored = await table.db.send(new GetCommand({ TableName: table.tableName, Key: keys.sale('TXN-AWARD-1') }));
    expect(stored.Item).toMatchObject({ status: 'awarded', userId: 'alice', points: 35, cardLast4: '1111', balanceAfter: 35 });
    const everything = JSON.stringify((await table.db.send(new ScanCommand({ TableName: table.tableName }))).Items);
    expect(everything).not.toContain('4111111111111111');
    expect(everything).not.toContain('4111 1111 1111 1111');
  });

  test('a redelivered sale is a duplicate and changes nothing', async () => {
    await table.addCustomer('bob', '5500 0000 0000 0004');
    const sale = valid(momaSale({ transactionId: 'TXN-DUP-1', cardNumber: '5500000000000004', amount: 1000 }));

    expect(await ingestSale(sale, S3, table.deps)).toBe('awarded');
    expect(await ingestSale(sale, SQS, table.deps)).toBe('duplicate');
    expect(await ingestSale(sale, S3, table.deps)).toBe('duplicate');

    expect(await customer('bob')).toMatchObject({ points: 100, purchaseCount: 1 });
  });

  test('the same id with different content is recorded as a conflict, not awarded', async () => {
    await table.addCustomer('carol', '3782 822463 10005');
    expect(
      await ingestSale(valid(momaSale({ transactionId: 'TXN-CONFLICT-1', cardNumber: '378282246310005', amount: 200 })), SQS, table.deps),
    ).toBe('awarded');

    expect(
      await ingestSale(valid(momaSale({ transactionId: 'TXN-CONFLICT-1', cardNumber: '378282246310005', amount: 9900 })), S3, table.deps),
    ).toBe('conflict');

    expect(await customer('carol')).toMatchObject({ points: 20, purchaseCount: 1 });
    const conflicts = await table.db.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :c)',
        ExpressionAttributeValues: { ':pk': 'SALE#TXN-CONFLICT-1', ':c': 'CONFLICT#' },
      }),
    );
    expect(conflicts.Items).toHaveLength(1);
    expect(conflicts.Items![0]).toMatchObject({ existingStatus: 'awarded', incoming: { amountCents: 9900 } });
  });

  test('the same sale arriving at once through S3 and SQS, many times, is awarded exactly once', async () => {
    await table.addCustomer('dave', '6011 0009 9013 9424');
    const sale = valid(momaSale({ transactionId: 'TXN-RACE-1', cardNumber: '6011000990139424', amount: 780 }));

    const outcomes = await Promise.all(Array.from({ length: 24 }, (_, i) => ingestSale(sale, i % 2 ? S3 : SQS, table.deps)));

    expect(outcomes.filter((o) => o === 'awarded')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(23);
    expect(await customer('dave')).toMatchObject({ points: 78, purchaseCount: 1, version: 1 });
  });

  test('concurrent different sales for one customer all count: punch cards, bonuses and tier add up', async () => {
    await table.addCustomer('erin', '4000 0566 5566 5556');
    const sales = Array.from({ length: 25 }, (_, i) =>
      valid(momaSale({ transactionId: `TXN-BURST-${i}`, cardNumber: '4000056655665556', amount: 1_000 })),
    );

    // 25 writers on one account version: give the optimistic retries room, this test is about the totals.
    const outcomes = await Promise.all(sales.map((s) => ingestSale(s, SQS, { ...table.deps, maxAttempts: 40 })));

    expect(outcomes.every((o) => o === 'awarded')).toBe(true);
    // 25 x 100 points, plus two completed punch cards x 50: lifetime 2600 crosses Silver and Gold.
    expect(await customer('erin')).toMatchObject({
      points: 2_600,
      lifetimePoints: 2_600,
      purchaseCount: 25,
      punchCardsCompleted: 2,
      punchCount: 5,
      tier: 'Gold',
    });
  });

  test('a card shared by two customers (same last four) is held as ambiguous, never guessed', async () => {
    await table.addCustomer('frank', '4242 4242 4242 9999');
    await table.addCustomer('grace', '5555 5555 5555 9999');

    expect(await ingestSale(valid(momaSale({ transactionId: 'TXN-AMBIG-1', cardNumber: '9999' })), SQS, table.deps)).toBe('unmatched');
    const held = await table.sales.getSale('TXN-AMBIG-1');
    expect(held).toMatchObject({ status: 'unmatched', unmatchedReason: 'ambiguous', cardLast4: '9999' });

    // The full number is unambiguous.
    expect(
      await ingestSale(valid(momaSale({ transactionId: 'TXN-AMBIG-2', cardNumber: '4242424242429999', amount: 100 })), SQS, table.deps),
    ).toBe('awarded');
    expect(await customer('frank')).toMatchObject({ points: 10 });
    expect(await customer('grace')).toMatchObject({ points: 0 });
  });

  test('an unknown card is held as unmatched, then assigned once', async () => {
    await table.addCustomer('heidi', '4000 0000 0000 0002');
    expect(
      await ingestSale(valid(momaSale({ transactionId: 'TXN-UNKNOWN-1', cardNumber: '1234 5678 9012 3456', amount: 500 })), S3, table.deps),
    ).toBe('unmatched');
    expect(await table.sales.getSale('TXN-UNKNOWN-1')).toMatchObject({ status: 'unmatched', unmatchedReason: 'unknown_card' });
    const deps = { ...table.deps, sales: table.sales };

    const [first, second] = await Promise.all([
      assignUnmatchedSale('TXN-UNKNOWN-1', 'heidi', deps),
      assignUnmatchedSale('TXN-UNKNOWN-1', 'heidi', deps),
    ]);

    expect([first.kind, second.kind].sort()).toEqual(['already_assigned', 'awarded']);
    expect(await customer('heidi')).toMatchObject({ points: 50, purchaseCount: 1 });
    expect(await assignUnmatchedSale('TXN-NOPE', 'heidi', deps)).toEqual({ kind: 'not_found' });
    expect(
      await ingestSale(
        valid(momaSale({ transactionId: 'TXN-UNKNOWN-1', cardNumber: '1234 5678 9012 3456', amount: 500 })),
        SQS,
        table.deps,
      ),
    ).toBe('duplicate');
  });

  test('a sale first seen with an ambiguous last four is awarded when its full number arrives by the other path', async () => {
    await table.addCustomer('ivan', '4111 2222 3333 7777');
    await table.addCustomer('judy', '5111 2222 3333 7777');
    const base = { transactionId: 'TXN-UPGRADE-1', amount: 250 };

    expect(await ingestSale(valid(momaSale({ ...base, cardNumber: '7777' })), SQS, table.deps)).toBe('unmatched');
    expect(await ingestSale(valid(momaSale({ ...base, cardNumber: '4111222233337777' })), S3, table.deps)).toBe('awarded');
    expect(await ingestSale(valid(momaSale({ ...base, cardNumber: '4111222233337777' })), S3, table.deps)).toBe('duplicate');

    expect(await customer('ivan')).toMatchObject({ points: 25 });
    expect(await table.sales.getSale('TXN-UPGRADE-1')).toMatchObject({ status: 'awarded', userId: 'ivan' });
  });

  test('bad records in a message are stored as failures with their reasons; the good ones are awarded', async () => {
    await table.addCustomer('kim', '4000 1234 5678 9010');
    const body = JSON.stringify([
      momaSale({ transactionId: 'TXN-MIX-1', cardNumber: '4000123456789010', amount: 100 }),
      momaSale({ transactionId: 'TXN-MIX-2', cardNumber: '4000123456789010', amount: -5 }),
      momaSale({ transactionId: 'TXN-MIX-3', cardNumber: '40001234567890100000000', date: 'yesterday' }),
      momaSale({ transactionId: 'TXN-MIX-4', cardNumber: '4000123456789010', amount: 200 }),
    ]);

    const counts = await ingestMessage(body, { queue: 'moma', messageId: 'msg-mixed' }, table.deps);

    expect(counts).toMatchObject({ awarded: 2, failed: 2 });
    expect(await customer('kim')).toMatchObject({ points: 30 });
    const failures = (
      await table.db.send(
        new ScanCommand({ TableName: table.tableName, FilterExpression: 'entity = :f', ExpressionAttributeValues: { ':f': 'failure' } }),
      )
    ).Items!;
    const mine = failures.filter((f) => String(f.source).includes('msg-mixed'));
    expect(mine.map((f) => f.reason).sort()).toEqual([
      'invalid record: amount must be greater than 0',
      expect.stringMatching(/^invalid record: date must be an ISO 8601 date-time.*; cardNumber must be 4 digits/),
    ]);
    expect(JSON.stringify(mine)).not.toContain('40001234567890100000000');
    expect(mine.find((f) => f.transactionId === 'TXN-MIX-3')!.raw).toContain('*******************0000');
  });

  test('a failure stored twice for the same input is one item with two occurrences', async () => {
    const bad = momaSale({ transactionId: 'TXN-REPEAT-BAD', amount: 0 });
    await ingestRecord(bad, SQS, 'sqs:moma:repeat#0', table.deps);
    await ingestRecord(bad, SQS, 'sqs:moma:repeat#0', table.deps);
    const failures = (
      await table.db.send(
        new ScanCommand({
          TableName: table.tableName,
          FilterExpression: 'sourceId = :s',
          ExpressionAttributeValues: { ':s': 'sqs:moma:repeat#0' },
        }),
      )
    ).Items!;
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ occurrences: 2, status: 'open' });
  });

  test('an oversize record in a message beside good ones: the good ones are awarded, the oversize one is a listed failure', async () => {
    await table.addCustomer('lou', '4000 0000 0000 0010');
    const body = JSON.stringify([
      momaSale({ transactionId: 'TXN-BIG-1', cardNumber: '4000000000000010', amount: 100 }),
      momaSale({
        transactionId: `TXN-BIG-${'9'.repeat(200_000)}`,
        cardNumber: '4000000000000010',
        amount: 100,
        product: 'p'.repeat(50_000),
      }),
      momaSale({ transactionId: 'TXN-BIG-3', cardNumber: '4000000000000010', amount: 200 }),
    ]);

    expect(await ingestMessage(body, { queue: 'moma', messageId: 'msg-oversize' }, table.deps)).toMatchObject({ awarded: 2, failed: 1 });

    expect(await customer('lou')).toMatchObject({ points: 30 });
    const failures = (
      await table.db.send(
        new ScanCommand({ TableName: table.tableName, FilterExpression: 'entity = :f', ExpressionAttributeValues: { ':f': 'failure' } }),
      )
    ).Items!;
    const mine = failures.filter((f) => String(f.source).includes('msg-oversize'));
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      source: 'sqs moma message msg-oversize record 1',
      reason: 'invalid record: transactionId must be at most 128 characters; product must be at most 256 characters',
      transactionIdLength: 200_008,
      retryRecord: null,
    });
    expect(JSON.stringify(mine[0]).length).toBeLessThan(50_000);
  });

  test('a card number in product or machineId never reaches the stored sale', async () => {
    await table.addCustomer('max', '4000 0000 0000 0028');
    const sale = valid(
      momaSale({
        transactionId: 'TXN-CARD-IN-PRODUCT',
        cardNumber: '4000000000000028',
        product: 'Tea 4111-1111-1111-1111',
        machineId: 'VEND 5500 0000 0000 0004',
      }),
    );
    expect(await ingestSale(sale, SQS, table.deps)).toBe('awarded');
    expect(await table.sales.getSale('TXN-CARD-IN-PRODUCT')).toMatchObject({
      product: 'Tea ************1111',
      machineId: 'VEND ************0004',
    });
  });
});
