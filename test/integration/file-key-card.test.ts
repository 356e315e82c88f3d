import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbFileLedger } from '../../shared/adapters/dynamodb/file-ledger';
import { keys } from '../../shared/adapters/dynamodb/table-keys';
import { type FileIngestDeps, ingestFile } from '../../shared/ingest/ingest-file';
import { emptyCounts, type ObjectRef } from '../../shared/ingest/ports';
import { cardSpellings, findCardNumbers, luhnCard } from '../support/cards';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { MemoryObjectStore } from '../support/memory-objects';
import { momaSale } from '../support/moma';

/**
 * Moma names files as it likes, and a key can hold a card number (a refund file named after the card, say). The
 * processed-file record is keyed by a hash of the object's identity and keeps the key only masked; failures and
 * sales name the file masked too. Against DynamoDB Local: no item of the table holds the number, in any spelling.
 */

let table: TestTable;
let objects: MemoryObjectStore;
let deps: FileIngestDeps;
const CUSTOMER_CARD = luhnCard('4', 810_001);
const KEY_CARDS = [
  luhnCard('5', 810_002),
  luhnCard('4', 810_003),
  luhnCard('3', 810_004, 15),
  luhnCard('6', 810_005, 19),
  luhnCard('5', 810_099),
];

beforeAll(async () => {
  table = await createTestTable();
  objects = new MemoryObjectStore();
  deps = { ...table.deps, objects, files: table.files };
  await table.addCustomer('key-card', CUSTOMER_CARD);
});
afterAll(() => table.destroy());

const sale = (transactionId: string, overrides: Record<string, unknown> = {}) =>
  momaSale({ transactionId, cardNumber: CUSTOMER_CARD, amount: 100, ...overrides });

async function everyItem(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await table.db.send(new ScanCommand({ TableName: table.tableName, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

const fileRecord = async (ref: ObjectRef) =>
  (await table.db.send(new GetCommand({ TableName: table.tableName, Key: keys.file(ref.bucket, ref.key, ref.eTag) }))).Item;

describe('a card number in an object key', () => {
  test('is stored nowhere, whatever becomes of the file', async () => {
    const [plain, dashed, amex, long] = KEY_CARDS as [string, string, string, string];
    const dashedSpelling = cardSpellings(dashed)[2]!;
    // Good sales around a broken line and an invalid record: each failure names the file and its line.
    const mixed = objects.put(
      `transactions/refunds-${plain}.ndjson`,
      [
        JSON.stringify(sale('KC-1')),
        '{"transactionId": "KC-broken", ',
        JSON.stringify(sale('KC-2', { amount: -5 })),
        JSON.stringify(sale('KC-3')),
      ].join('\n'),
    );
    // Unsupported type, empty, checksum mismatch and a missing object each finish the file with a reason.
    const unsupported = objects.put(`transactions/card ${dashedSpelling}.txt`, 'anything');
    const empty = objects.put(`transactions/${amex}/empty.json`, '[]');
    const corrupt = objects.put(`transactions/${long}.json`, JSON.stringify([sale('KC-4')]), { checksum: 'AAAA' });
    const missing: ObjectRef = { bucket: mixed.bucket, key: `transactions/gone-${plain}.json`, eTag: 'e-gone' };

    expect(await ingestFile(mixed, deps)).toMatchObject({ status: 'processed', counts: { awarded: 2, failed: 2 } });
    expect((await ingestFile(unsupported, deps)).status).toBe('unreadable');
    expect((await ingestFile(empty, deps)).status).toBe('processed');
    expect((await ingestFile(corrupt, deps)).status).toBe('checksum_mismatch');
    expect((await ingestFile(missing, deps)).status).toBe('unreadable');

    const items = await everyItem();
    const leaks = items.flatMap((item) =>
      findCardNumbers(JSON.stringify(item), KEY_CARDS).map((card) => `${card} in ${item.PK}/${item.SK}`),
    );
    expect(leaks).toEqual([]);

    // The records are still found, and show the key masked.
    expect(await fileRecord(mixed)).toMatchObject({
      entity: 'file',
      status: 'processed',
      objectKey: `transactions/refunds-************${plain.slice(-4)}.ndjson`,
      awardedCount: 2,
      failedCount: 2,
    });
    expect(await fileRecord(missing)).toMatchObject({ status: 'unreadable', reason: expect.stringMatching(/no longer exists/) });
    const failures = items.filter((item) => item.entity === 'failure');
    expect(failures.map((f) => f.source)).toEqual(
      expect.arrayContaining([
        `s3://${mixed.bucket}/transactions/refunds-************${plain.slice(-4)}.ndjson line 2`,
        `s3://${mixed.bucket}/transactions/refunds-************${plain.slice(-4)}.ndjson line 3`,
      ]),
    );
    const sales = items.filter((item) => item.entity === 'sale');
    expect(sales.length).toBeGreaterThanOrEqual(3);
  });

  test('the ledger finds the same file through a claim, a checkpoint, completion and the reconcile check', async () => {
    const ledger = new DynamoDbFileLedger(table.db, table.tableName);
    const card = KEY_CARDS[0]!;
    const ref: ObjectRef = { bucket: 'hi-vis-moma-data', key: `transactions/${card}.json`, eTag: 'e-1' };
    const sameKeyOtherContent: ObjectRef = { ...ref, eTag: 'e-2' };
    const otherKey: ObjectRef = { ...ref, key: `transactions/${KEY_CARDS[4]}.json` };

    expect(await ledger.claim(ref, 60_000)).toEqual({ kind: 'claimed', resumeFromIndex: 0 });
    expect(await ledger.claim(ref, 60_000)).toMatchObject({ kind: 'in_progress_elsewhere' });
    await ledger.checkpoint(ref, 7, { ...emptyCounts(), awarded: 7 }, 0);
    // The lease is released: reconcile sees the file unfinished, and the next claim resumes at the checkpoint.
    expect(await ledger.findUnfinished([ref, otherKey], new Date())).toEqual([ref, otherKey]);
    expect(await ledger.claim(ref, 60_000)).toEqual({ kind: 'claimed', resumeFromIndex: 7 });
    await ledger.complete(ref, { status: 'processed', delta: { ...emptyCounts(), awarded: 3 }, records: 10 });

    expect(await ledger.claim(ref, 60_000)).toEqual({ kind: 'already_processed' });
    expect(await ledger.findUnfinished([ref, sameKeyOtherContent, otherKey], new Date())).toEqual([sameKeyOtherContent, otherKey]);
    expect(await fileRecord(ref)).toMatchObject({
      status: 'processed',
      records: 10,
      awardedCount: 10,
      attempts: 2,
      objectKey: `transactions/************${card.slice(-4)}.json`,
    });
    expect(findCardNumbers(JSON.stringify(await everyItem()), KEY_CARDS)).toEqual([]);
  });
});
