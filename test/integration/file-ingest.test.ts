import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../shared/adapters/dynamodb/table-keys';
import { type FileIngestDeps, ingestFile } from '../../shared/ingest/ingest-file';
import { TransientIngestError } from '../../shared/ingest/ingest-sale';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { MemoryObjectStore } from '../support/memory-objects';
import { momaSale } from '../support/moma';

let table: TestTable;
let objects: MemoryObjectStore;
let deps: FileIngestDeps;

beforeAll(async () => {
  table = await createTestTable();
  objects = new MemoryObjectStore();
  deps = { ...table.deps, objects, files: table.files };
  await table.addCustomer('pat', '4111 1111 1111 1111');
});
afterAll(() => table.destroy());

const points = async (userId: string) => ((await table.customers.getCustomer(userId)) as { points: number }).points;
const purchases = async (userId: string) => ((await table.customers.getCustomer(userId)) as { purchaseCount: number }).purchaseCount;
const fileRecord = async (ref: { bucket: string; key: string; eTag: string }) =>
  (await table.db.send(new GetCommand({ TableName: table.tableName, Key: keys.file(ref.bucket, ref.key, ref.eTag) }))).Item!;
const failuresOf = async (keyFragment: string) =>
  (
    (
      await table.db.send(
        new ScanCommand({ TableName: table.tableName, FilterExpression: 'entity = :f', ExpressionAttributeValues: { ':f': 'failure' } }),
      )
    ).Items ?? []
  ).filter((f) => String(f.source).includes(keyFragment));
const sales = (prefix: string, n: number, amount = 100) =>
  Array.from({ length: n }, (_, i) => momaSale({ transactionId: `${prefix}-${i}`, cardNumber: '4111111111111111', amount }));

describe('ingesting a Moma file against DynamoDB Local', () => {
  test('good records are awarded around bad ones; each bad one is a failure with its line', async () => {
    const before = await points('pat');
    const lines = [
      JSON.stringify(momaSale({ transactionId: 'F1-0', cardNumber: '4111111111111111', amount: 100 })),
      '{"transactionId": "F1-broken", ',
      JSON.stringify(momaSale({ transactionId: 'F1-2', cardNumber: '4111111111111111', amount: -1 })),
      JSON.stringify(momaSale({ transactionId: 'F1-3', cardNumber: '0000', amount: 100 })),
      JSON.stringify(momaSale({ transactionId: 'F1-4', cardNumber: '4111111111111111', amount: 200 })),
    ];
    const ref = objects.put('transactions/mixed.ndjson', lines.join('\n'));

    const result = await ingestFile(ref, deps);

    expect(result).toMatchObject({
      status: 'processed',
      records: 5,
      counts: { awarded: 2, failed: 2, unmatched: 1, duplicate: 0, conflict: 0 },
    });
    expect((await points('pat')) - before).toBe(30);
    expect(await fileRecord(ref)).toMatchObject({
      status: 'processed',
      awardedCount: 2,
      failedCount: 2,
      unmatchedCount: 1,
      records: 5,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const failures = (
      await table.db.send(
        new ScanCommand({ TableName: table.tableName, FilterExpression: 'entity = :f', ExpressionAttributeValues: { ':f': 'failure' } }),
      )
    ).Items!;
    const sources = failures.filter((f) => String(f.source).includes('mixed.ndjson')).map((f) => [f.source, f.reason]);
    expect(sources).toEqual(
      expect.arrayContaining([
        ['s3://hi-vis-moma-data/transactions/mixed.ndjson line 2', expect.stringMatching(/^invalid JSON/)],
        ['s3://hi-vis-moma-data/transactions/mixed.ndjson line 3', 'invalid record: amount must be greater than 0'],
      ]),
    );
  });

  test('a second notification for the same object is a no-op', async () => {
    const ref = objects.put('transactions/once.json', JSON.stringify(sales('F2', 3)));
    expect((await ingestFile(ref, deps)).status).toBe('processed');
    const before = await points('pat');

    expect(await ingestFile(ref, deps)).toMatchObject({ status: 'already_processed', records: 0 });
    expect(await points('pat')).toBe(before);
  });

  test('a new version of a file is processed, and its sales still deduplicate', async () => {
    const first = objects.put('transactions/versions.json', JSON.stringify(sales('F3', 2)));
    await ingestFile(first, deps);
    const second = objects.put('transactions/versions.json', JSON.stringify([...sales('F3', 2), ...sales('F3-extra', 1)]));

    expect((await ingestFile(second, deps)).counts).toMatchObject({ awarded: 1, duplicate: 2 });
  });

  test('a checksum that does not match the bytes read is a file failure', async () => {
    const ref = objects.put('transactions/corrupt.json', JSON.stringify(sales('F4', 1)), {
      checksum: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
    });
    expect((await ingestFile(ref, deps)).status).toBe('checksum_mismatch');
    expect(await fileRecord(ref)).toMatchObject({ status: 'checksum_mismatch' });

    const good = objects.put('transactions/checked.json', JSON.stringify(sales('F4-ok', 1)), { withChecksum: true });
    expect((await ingestFile(good, deps)).status).toBe('processed');
  });

  test('a worker that crashes mid-file is resumed from its checkpoint and nothing is awarded twice', async () => {
    const ref = objects.put('transactions/crash.json', JSON.stringify(sales('F5', 60, 100)));
    const before = await points('pat');
    const purchasesBefore = await purchases('pat');
    let calls = 0;
    const crashingLedger = {
      ...table.deps.ledger,
      getAccount: table.deps.ledger.getAccount.bind(table.deps.ledger),
      holdUnmatched: table.deps.ledger.holdUnmatched.bind(table.deps.ledger),
      recordConflict: table.deps.ledger.recordConflict.bind(table.deps.ledger),
      commitAward: async (...args: Parameters<typeof table.deps.ledger.commitAward>) => {
        if (++calls === 35) throw new Error('DynamoDB unreachable');
        return table.deps.ledger.commitAward(...args);
      },
    };

    await expect(ingestFile(ref, { ...deps, ledger: crashingLedger, concurrency: 4, checkpointEveryRecords: 10 })).rejects.toThrow(
      TransientIngestError,
    );
    const checkpoint = await fileRecord(ref);
    expect(checkpoint.status).toBe('processing');
    expect(checkpoint.nextIndex).toBeGreaterThan(0);
    expect(checkpoint.nextIndex).toBeLessThanOrEqual(34);

    const resumed = await ingestFile(ref, deps);

    expect(resumed.status).toBe('processed');
    // 60 purchases of 10 points each, and exactly 6 punch cards of 50 bonus points.
    expect((await points('pat')) - before).toBe(60 * 10 + 6 * 50);
    expect((await purchases('pat')) - purchasesBefore).toBe(60);
    expect(await fileRecord(ref)).toMatchObject({ status: 'processed', records: 60, attempts: 2 });
  });

  test('a worker running out of time yields, and the next one finishes the file', async () => {
    const ref = objects.put(
      'transactions/long.ndjson',
      sales('F6', 40)
        .map((s) => JSON.stringify(s))
        .join('\n'),
    );
    const before = await points('pat');
    let seen = 0;

    const first = await ingestFile(ref, { ...deps, concurrency: 2, shouldYield: () => ++seen > 15 });
    expect(first.status).toBe('yielded');
    expect((await fileRecord(ref)).nextIndex).toBe(15);

    const second = await ingestFile(ref, deps);
    expect(second).toMatchObject({ status: 'processed', records: 40, counts: { awarded: 25 } });
    expect((await points('pat')) - before).toBe(40 * 10 + 4 * 50);
  });

  test('two workers given the same file at once: one processes it, the other is told to retry later', async () => {
    const ref = objects.put('transactions/twice.json', JSON.stringify(sales('F7', 20)));
    const results = await Promise.allSettled([ingestFile(ref, deps), ingestFile(ref, deps)]);
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.reason).toBeInstanceOf(TransientIngestError);
  });

  test('an unsupported file type and a vanished object are failures, not retries', async () => {
    const unsupported = { bucket: 'hi-vis-moma-data', key: 'transactions/readme.txt', eTag: 'x' };
    const gone = { bucket: 'hi-vis-moma-data', key: 'transactions/gone.json', eTag: 'y' };
    expect((await ingestFile(unsupported, deps)).status).toBe('unreadable');
    expect((await ingestFile(gone, deps)).status).toBe('unreadable');
    // Both are finished files: a second notification changes nothing and reconcile never queues them again.
    expect((await ingestFile(unsupported, deps)).status).toBe('already_processed');
    expect(await fileRecord(unsupported)).toMatchObject({ status: 'unreadable', reason: expect.stringMatching(/^unsupported file type/) });
    expect(await table.files.findUnfinished([unsupported, gone], new Date())).toEqual([]);
    expect((await failuresOf('readme.txt')).map((f) => [f.source, f.occurrences])).toEqual([
      ['s3://hi-vis-moma-data/transactions/readme.txt', 1],
    ]);
  });

  // 512 KiB: far over every field's bound, under the parser's 1 MiB cap on one record (above it, the record is a parse error).
  test.each(['transactionId', 'product', 'machineId'])(
    'a record with a 512 KiB %s beside good ones: the good ones are awarded, it is a bounded failure',
    async (field) => {
      const before = await purchases('pat');
      const huge = `4111 1111 1111 1111 ${'x'.repeat(512 * 1024)}`;
      const records = [
        ...sales(`F9-${field}-a`, 2),
        momaSale({ transactionId: `F9-${field}-big`, cardNumber: '4111111111111111', amount: 100, [field]: huge }),
        ...sales(`F9-${field}-b`, 2),
      ];
      const ref = objects.put(`transactions/oversize-${field}.ndjson`, records.map((r) => JSON.stringify(r)).join('\n'));

      expect(await ingestFile(ref, deps)).toMatchObject({ status: 'processed', records: 5, counts: { awarded: 4, failed: 1 } });

      expect((await purchases('pat')) - before).toBe(4);
      const [failure, ...others] = await failuresOf(`oversize-${field}.ndjson`);
      expect(others).toEqual([]);
      expect(failure).toMatchObject({
        source: `s3://hi-vis-moma-data/transactions/oversize-${field}.ndjson line 3`,
        reason: expect.stringContaining(`${field} must be at most`),
        rawTruncated: true,
      });
      expect(failure!.rawLength).toBeGreaterThan(512 * 1024);
      expect(JSON.stringify(failure).length).toBeLessThan(50_000);
      expect(JSON.stringify(failure)).not.toContain('4111 1111 1111 1111');
    },
  );

  test('an empty or whitespace-only file is processed with 0 records, and an operator sees it among the failures', async () => {
    for (const [name, body] of [
      ['empty.json', ''],
      ['blank.ndjson', '  \n\n '],
    ] as const) {
      const ref = objects.put(`transactions/${name}`, body);
      expect(await ingestFile(ref, deps)).toMatchObject({ status: 'processed', records: 0 });
      expect(await fileRecord(ref)).toMatchObject({ status: 'processed', records: 0, reason: 'empty file: no records' });
      expect((await failuresOf(name)).map((f) => [f.source, f.reason, f.status])).toEqual([
        [`s3://hi-vis-moma-data/transactions/${name}`, 'empty file: no records', 'open'],
      ]);
    }
  });
});
