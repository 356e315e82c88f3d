import { marshall } from '@aws-sdk/util-dynamodb';
import { applyUpdate, ItemImages, imageOfItem, imageOfNative } from '../../bench/item-images';
import {
  conditionCheckUnits,
  type Item,
  indexWriteUnits,
  itemSize,
  itemWriteCost,
  nativeItemSize,
  numberSize,
  readUnits,
  storageBytes,
  writeUnits,
} from '../../bench/pricing';
import { RequestPricer } from '../../bench/request-cost';
import { accountStandingUpdate } from '../../shared/adapters/dynamodb/account-standing';
import { TABLE_INDEXES } from '../../shared/adapters/dynamodb/table-keys';
import { newAccount, planAward } from '../../shared/domain/loyalty';
import { DEFAULT_PROGRAM } from '../../shared/domain/program';

const KEY_ATTRIBUTES = new ItemImages(TABLE_INDEXES).keyAttributes;
const av = (item: Record<string, unknown>) => marshall(item, { removeUndefinedValues: true }) as Item;
const image = (item: Record<string, unknown>) => imageOfItem(av(item), KEY_ATTRIBUTES);

/** An item of exactly `bytes` bytes with these attributes, padded by a string attribute `pad`. */
function itemOfSize(bytes: number, attributes: Record<string, string>): Record<string, string> {
  const base = itemSize(av(attributes)) + 'pad'.length;
  return { ...attributes, pad: 'x'.repeat(bytes - base) };
}

const saleKeys = {
  PK: 'SALE#T-1',
  SK: 'SALE',
  GSI1PK: 'CUSTOMER#c1',
  GSI1SK: '2025-01-01T08:00:00.000Z#T-1',
  GSI3PK: 'SALE#2025-01-01',
  GSI3SK: '2025-01-01T08:00:00.000Z#T-1',
};

describe('item size', () => {
  it('adds UTF-8 attribute names and values', () => {
    expect(itemSize(av({ PK: 'abc' }))).toBe(5);
    expect(itemSize(av({ name: 'Zoë' }))).toBe(4 + 4);
    expect(itemSize(av({ ok: true, none: null }))).toBe(2 + 1 + 4 + 1);
  });

  it('counts a number by its significant digits, two to a byte, plus one', () => {
    expect(numberSize('12345')).toBe(4);
    expect(numberSize('100')).toBe(2);
    expect(numberSize('0.0025')).toBe(2);
    expect(numberSize('0')).toBe(1);
    expect(numberSize('-1.50')).toBe(3);
  });

  it('gives lists and maps 3 bytes plus 1 per element', () => {
    expect(itemSize(av({ m: { a: 'xy' } }))).toBe(1 + 3 + (1 + 2 + 1));
    expect(itemSize(av({ l: [1, true] }))).toBe(1 + 3 + (2 + 1) + (1 + 1));
    expect(itemSize(av({ l: [] }))).toBe(1 + 3);
  });

  it('is the same for an unmarshalled item as for its AttributeValue form', () => {
    const item = {
      PK: 'SALE#1',
      n: 1234.5,
      tags: ['a', { b: [1, 2, null] }],
      flag: false,
      s: new Set(['x', 'yz']),
      bin: new Uint8Array(5),
    };
    expect(nativeItemSize(item)).toBe(itemSize(av(item)));
    expect(imageOfNative(item, KEY_ATTRIBUTES).size).toBe(itemSize(av(item)));
  });
});

describe('units', () => {
  it('charges writes per KB rounded up, doubled in a transaction', () => {
    expect(writeUnits(0)).toBe(1);
    expect(writeUnits(1024)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
    expect(writeUnits(1536, 'transactional')).toBe(4);
  });

  it('charges reads per 4 KB: 0.5 eventually consistent, 1 strongly, 2 in a transaction', () => {
    expect(readUnits(0)).toBe(0.5);
    expect(readUnits(4096)).toBe(0.5);
    expect(readUnits(4097)).toBe(1);
    expect(readUnits(4097, 'strong')).toBe(2);
    expect(readUnits(100, 'transactional')).toBe(2);
  });

  it('charges a 1.5 KB item put in a transaction 4 units, plus 2 for each of its two index entries', () => {
    const sale = image(itemOfSize(1536, saleKeys));
    expect(sale.size).toBe(1536);
    const cost = itemWriteCost({ before: undefined, after: sale, mode: 'transactional', applied: true, indexes: TABLE_INDEXES });
    expect(cost).toEqual({ table: 4, indexes: 4, total: 8 });
    expect(indexWriteUnits(undefined, sale, TABLE_INDEXES).byIndex).toEqual({ GSI1: 2, GSI3: 2 });
  });

  it('charges an index 2 when an update moves the item to another index key, 1 when only projected attributes change', () => {
    const before = image({ ...saleKeys, points: 10 });
    const moved = image({ ...saleKeys, GSI1PK: 'CUSTOMER#c2', points: 10 });
    const changed = image({ ...saleKeys, points: 20 });
    expect(indexWriteUnits(before, moved, TABLE_INDEXES).byIndex).toEqual({ GSI1: 2, GSI3: 1 });
    expect(indexWriteUnits(before, changed, TABLE_INDEXES).byIndex).toEqual({ GSI1: 1, GSI3: 1 });
  });

  it('charges 1 per index a delete removes the item from, and an item in no index nothing there', () => {
    const before = image({ ...saleKeys });
    expect(itemWriteCost({ before, after: undefined, mode: 'standard', applied: true, indexes: TABLE_INDEXES })).toEqual({
      table: 1,
      indexes: 2,
      total: 3,
    });
    const customer = image({ PK: 'CUSTOMER#c1', SK: 'PROFILE', points: 5 });
    expect(indexWriteUnits(undefined, customer, TABLE_INDEXES).total).toBe(0);
  });

  it('charges a failed conditional write its table units and no index writes', () => {
    const sale = image(itemOfSize(1536, saleKeys));
    expect(itemWriteCost({ before: undefined, after: sale, mode: 'standard', applied: false, indexes: TABLE_INDEXES })).toEqual({
      table: 2,
      indexes: 0,
      total: 2,
    });
  });

  it('charges a ConditionCheck 2 per KB of the checked item', () => {
    expect(conditionCheckUnits(undefined)).toBe(2);
    expect(conditionCheckUnits(image(itemOfSize(2048 + 1, { PK: 'CUSTOMER#c1', SK: 'PROFILE' })))).toBe(6);
  });

  it('stores an item once in the table and once per index it is in, 100 bytes overhead each', () => {
    expect(storageBytes(image(itemOfSize(400, saleKeys)), TABLE_INDEXES)).toBe(3 * 500);
  });
});

describe('update expressions', () => {
  const key = av({ PK: 'CUSTOMER#c1', SK: 'PROFILE' });

  it('follows SET, if_not_exists, ADD, arithmetic and REMOVE', () => {
    const before = image({ PK: 'CUSTOMER#c1', SK: 'PROFILE', points: 9, name: 'Ann', old: 'xxxx' });
    const after = applyUpdate(
      before,
      key,
      {
        UpdateExpression: 'SET #n = :name, createdAt = if_not_exists(createdAt, :now), total = points + :ten ADD points :p REMOVE old',
        ExpressionAttributeNames: { '#n': 'name' },
        ExpressionAttributeValues: av({ ':name': 'Annabel', ':now': '2025-01-01', ':ten': 10, ':p': 991 }),
      },
      KEY_ATTRIBUTES,
    );
    expect(after.size).toBe(
      itemSize(av({ PK: 'CUSTOMER#c1', SK: 'PROFILE', points: 1000, name: 'Annabel', createdAt: '2025-01-01', total: 19 })),
    );
  });

  it('creates an absent item from its key and what the update sets', () => {
    const after = applyUpdate(
      undefined,
      key,
      { UpdateExpression: 'ADD sales :one', ExpressionAttributeValues: av({ ':one': 1 }) },
      KEY_ATTRIBUTES,
    );
    expect(after.size).toBe(itemSize(av({ PK: 'CUSTOMER#c1', SK: 'PROFILE', sales: 1 })));
  });
});

describe('a request priced as a whole', () => {
  const table = 'hi-vis-loyalty';
  const pricer = (images: ItemImages) =>
    new RequestPricer(
      images,
      () => TABLE_INDEXES,
      (item) => item.status?.S === 'awarded',
    );

  it('prices the award transaction: the sale put with its two index entries, and the account update on the larger image', () => {
    const images = new ItemImages(TABLE_INDEXES);
    const account = newAccount('c1');
    images.set(table, image({ PK: 'CUSTOMER#c1', SK: 'PROFILE', entity: 'customer', ...account }));
    const plan = planAward(account, 275, DEFAULT_PROGRAM);
    const sale = itemOfSize(700, { ...saleKeys, status: 'awarded' });
    const update = accountStandingUpdate(table, plan.before, plan.after, '2025-01-01T08:00:00.000Z', {
      lastSaleAt: '2025-01-01T08:00:00.000Z',
    });
    const input = {
      TransactItems: [
        { Put: { TableName: table, Item: av(sale) } },
        { Update: { ...update, Key: av(update.Key), ExpressionAttributeValues: av(update.ExpressionAttributeValues) } },
      ],
    };
    const cost = pricer(images).price('TransactWriteItems', input, { ok: true, output: {} });
    // Put: 2 (one KB, transactional) + GSI1 1 + GSI3 1; update of a small account: 2.
    expect(cost).toEqual({ readUnits: 0, writeUnits: 6, indexWriteUnits: 2, failedWriteUnits: 0, awardedSales: 1 });
    expect(images.get(table, av({ PK: 'CUSTOMER#c1', SK: 'PROFILE' }))!.numbers.version).toBe('1');
  });

  it('charges a cancelled transaction for every item, table only, and counts no award', () => {
    const images = new ItemImages(TABLE_INDEXES);
    const sale = itemOfSize(700, { ...saleKeys, status: 'awarded' });
    const input = {
      TransactItems: [
        { Put: { TableName: table, Item: av(sale) } },
        {
          ConditionCheck: { TableName: table, Key: av({ PK: 'CUSTOMER#c1', SK: 'PROFILE' }), ConditionExpression: 'attribute_exists(PK)' },
        },
      ],
    };
    const error = { name: 'TransactionCanceledException', CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }] };
    const cost = pricer(images).price('TransactWriteItems', input, { ok: false, error });
    expect(cost).toEqual({ readUnits: 0, writeUnits: 4, indexWriteUnits: 0, failedWriteUnits: 4, awardedSales: 0 });
  });

  it('prices a projected read on the whole item it knows', () => {
    const images = new ItemImages(TABLE_INDEXES);
    images.set(table, image(itemOfSize(5000, { PK: 'CUSTOMER#c1', SK: 'PROFILE' })));
    const input = { TableName: table, Key: av({ PK: 'CUSTOMER#c1', SK: 'PROFILE' }), ProjectionExpression: 'points' };
    expect(pricer(images).price('GetItem', input, { ok: true, output: { Item: { points: 1 } } }).readUnits).toBe(1);
    expect(pricer(images).price('GetItem', { ...input, ConsistentRead: true }, { ok: true, output: {} }).readUnits).toBe(1);
  });
});
