import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { HmacCardHasher } from '../../shared/adapters/card-hasher';
import { keys } from '../../shared/adapters/dynamodb/table-keys';
import { normalizeCardNumber } from '../../shared/domain/card-number';
import { validateMomaRecord } from '../../shared/domain/moma-record';
import { ingestSale } from '../../shared/ingest/ingest-sale';
import { createTestTable, TEST_PEPPER, type TestTable } from '../support/dynamodb';
import { momaSale } from '../support/moma';

const NEW_PEPPER = 'rotated-pepper-fedcba9876543210fedcba9876543210';
const SQS = { kind: 'sqs', queue: 'moma', messageId: 'm-1', index: 0 } as const;

let table: TestTable;

beforeAll(async () => {
  table = await createTestTable();
});
afterAll(async () => {
  await table.destroy();
});

const sale = (transactionId: string, cardNumber: string) => {
  const result = validateMomaRecord(momaSale({ transactionId, cardNumber, amount: 200 }));
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.sale;
};

async function cardLinks(userId: string) {
  const out = await table.db.send(
    new QueryCommand({
      TableName: table.tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :card)',
      ExpressionAttributeValues: { ':pk': keys.customer(userId).PK, ':card': 'CARD#' },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

describe('rotating the card pepper against DynamoDB Local', () => {
  test('cards linked under the old pepper match during the rotation, move to the new pepper, then match under it alone', async () => {
    // Linked before the rotation, under the table's pepper: a full number and a last-four-only link.
    await table.addCustomer('rotating-full', '4000 0566 5566 5556');
    await table.addCustomer('rotating-last4', '8431');
    const [before] = await cardLinks('rotating-full');

    const rotating = { ...table.deps, hasher: new HmacCardHasher({ current: NEW_PEPPER, previous: TEST_PEPPER }) };
    const rotated = { ...table.deps, hasher: new HmacCardHasher(NEW_PEPPER) };

    // Under the new pepper alone, nothing matches yet: this is what rotating without a window would lose.
    expect(await ingestSale(sale('TXN-PEPPER-0', '5105 1051 0510 5100'), SQS, rotated)).toBe('unmatched');

    expect(await ingestSale(sale('TXN-PEPPER-1', '4000056655665556'), SQS, rotating)).toBe('awarded');
    expect(await ingestSale(sale('TXN-PEPPER-2', '8431'), SQS, rotating)).toBe('awarded');

    const [moved] = await cardLinks('rotating-full');
    const newHashes = rotated.hasher.hash(normalizeCardNumber('4000056655665556')!);
    expect(moved).toMatchObject({
      GSI1PK: `CARDHASH#${newHashes.fullHash}`,
      GSI2PK: `CARD4#${newHashes.lastFourHash}`,
      cardId: before!.cardId,
      last4: '5556',
      linkedAt: before!.linkedAt,
    });
    expect(await cardLinks('rotating-full')).toHaveLength(1);
    expect(await cardLinks('rotating-last4')).toHaveLength(1);

    // After the window, the old pepper is gone and the moved links still match.
    expect(await ingestSale(sale('TXN-PEPPER-3', '4000056655665556'), SQS, rotated)).toBe('awarded');
    expect(await ingestSale(sale('TXN-PEPPER-4', '8431'), SQS, rotated)).toBe('awarded');
    expect(await table.customers.getCustomer('rotating-full')).toMatchObject({ purchaseCount: 2, points: 40 });
    expect(await table.customers.getCustomer('rotating-last4')).toMatchObject({ purchaseCount: 2, points: 40 });
  });

  test('a card linked again under the new pepper before its link moved is matched once, not as two customers', async () => {
    await table.addCustomer('relinked', '3530 1113 3330 0000');
    const rotating = { ...table.deps, hasher: new HmacCardHasher({ current: NEW_PEPPER, previous: TEST_PEPPER }) };
    await table.customers.linkCard('relinked', rotating.hasher.hash(normalizeCardNumber('3530111333300000')!));

    expect(await ingestSale(sale('TXN-PEPPER-5', '3530111333300000'), SQS, rotating)).toBe('awarded');
    expect(await table.customers.getCustomer('relinked')).toMatchObject({ purchaseCount: 1 });
  });

  test('sales of the same card moving its link at once all award, whichever looks first', async () => {
    const rotating = { ...table.deps, hasher: new HmacCardHasher({ current: NEW_PEPPER, previous: TEST_PEPPER }) };
    const cards = ['6011 1111 1111 1117', '3566 0020 2036 0505', '5555 5555 5555 4444'];
    for (const [i, card] of cards.entries()) await table.addCustomer(`racing-${i}`, card);
    const outcomes = await Promise.all(
      cards.flatMap((card, i) => [0, 1, 2, 3].map((n) => ingestSale(sale(`TXN-RACE-${i}-${n}`, card.replace(/ /g, '')), SQS, rotating))),
    );
    expect(outcomes).toEqual(Array(12).fill('awarded'));
    for (const i of cards.keys()) {
      expect(await cardLinks(`racing-${i}`)).toHaveLength(1);
      expect(await table.customers.getCustomer(`racing-${i}`)).toMatchObject({ purchaseCount: 4 });
    }
  });
});
