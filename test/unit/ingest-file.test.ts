import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { TransientIngestError } from '../../shared/ingest/errors';
import { EMPTY_FILE_REASON, ingestFile } from '../../shared/ingest/ingest-file';
import { awsError, memoryIngest } from '../support/fakes';
import { momaSale } from '../support/moma';

const sales = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => momaSale({ transactionId: `${prefix}-${i}`, amount: 100 }));
const ndjson = (records: unknown[]) => records.map((r) => JSON.stringify(r)).join('\n');

describe('ingesting a file, against in-memory ports', () => {
  test.each([
    ['empty', ''],
    ['whitespace-only', ' \n\t\n  '],
    ['empty-array', '[]'],
  ])('a file that is %s is processed with 0 records and listed for operators', async (_name, body) => {
    const { fileDeps, objects, files, failures } = memoryIngest();
    const ref = objects.put(`transactions/${_name}.json`, body);

    expect(await ingestFile(ref, fileDeps)).toMatchObject({ status: 'processed', records: 0 });

    expect(files.get(ref)).toMatchObject({ status: 'processed', records: 0, reason: EMPTY_FILE_REASON });
    expect(failures.all).toEqual([
      expect.objectContaining({
        reason: 'empty file: no records',
        source: `s3://hi-vis-moma-data/transactions/${_name}.json`,
        retryRecord: null,
      }),
    ]);
    expect(await files.findUnfinished([ref])).toEqual([]);
  });

  test('an unsupported file type is one named failure, recorded as finished, so it is never queued again', async () => {
    const { fileDeps, objects, files, failures } = memoryIngest();
    const ref = objects.put('transactions/readme.txt', 'hello');

    expect(await ingestFile(ref, fileDeps)).toMatchObject({ status: 'unreadable', counts: { failed: 1 } });
    expect(await ingestFile(ref, fileDeps)).toMatchObject({ status: 'already_processed' });

    expect(files.get(ref)).toMatchObject({
      status: 'unreadable',
      reason: expect.stringMatching(/^unsupported file type: expected one of \.json, \.ndjson/),
    });
    expect(failures.all).toEqual([expect.objectContaining({ occurrences: 1, reason: expect.stringMatching(/^unsupported file type/) })]);
    expect(await files.findUnfinished([ref])).toEqual([]);
  });

  test('a record DynamoDB refuses is a failure of that record; the file goes on and ends processed', async () => {
    const { fileDeps, objects, files, ledger, failures } = memoryIngest();
    ledger.commitFault = (sale) =>
      sale.transactionId === 'P-2' ? awsError('ValidationException', 'Item size has exceeded the maximum allowed size') : undefined;
    const ref = objects.put('transactions/refused.ndjson', ndjson(sales('P', 5)));

    expect(await ingestFile(ref, fileDeps)).toMatchObject({ status: 'processed', records: 5, counts: { awarded: 4, failed: 1 } });
    expect(files.get(ref)).toMatchObject({ status: 'processed', counts: { awarded: 4, failed: 1 } });
    expect(failures.all).toEqual([
      expect.objectContaining({
        source: 's3://hi-vis-moma-data/transactions/refused.ndjson line 3',
        reason: expect.stringContaining('ValidationException'),
      }),
    ]);
    expect(ledger.accounts.get('pat')).toMatchObject({ points: 40 });
  });

  test('a transient error stops the file with its progress saved; the retry finishes it, nothing twice', async () => {
    const { fileDeps, objects, files, ledger } = memoryIngest();
    let throttled = false;
    ledger.commitFault = (sale) => {
      if (sale.transactionId !== 'T-7' || throttled) return undefined;
      throttled = true;
      return awsError('ThrottlingException', 'Rate exceeded');
    };
    const ref = objects.put('transactions/throttled.json', JSON.stringify(sales('T', 12)));

    await expect(ingestFile(ref, { ...fileDeps, concurrency: 1, checkpointEveryRecords: 2 })).rejects.toThrow(TransientIngestError);
    expect(files.get(ref)).toMatchObject({ status: 'processing' });

    expect(await ingestFile(ref, fileDeps)).toMatchObject({ status: 'processed', records: 12 });
    expect(ledger.accounts.get('pat')).toMatchObject({ purchaseCount: 12, points: 12 * 10 + 50 });
  });

  test('damage is a failure naming its line; the records around it are awarded', async () => {
    const { fileDeps, objects, failures, ledger } = memoryIngest();
    const ref = objects.put(
      'transactions/damaged.ndjson',
      [
        JSON.stringify(momaSale({ transactionId: 'D-1' })),
        '{"transactionId": "D-x", 4111 1111 1111 1111',
        JSON.stringify(momaSale({ transactionId: 'D-3' })),
      ].join('\n'),
    );

    expect(await ingestFile(ref, fileDeps)).toMatchObject({ status: 'processed', counts: { awarded: 2, failed: 1 } });
    expect(failures.all).toEqual([
      expect.objectContaining({
        source: 's3://hi-vis-moma-data/transactions/damaged.ndjson line 2',
        reason: expect.stringMatching(/^invalid JSON/),
      }),
    ]);
    expect(JSON.stringify(failures.all)).not.toContain('4111 1111 1111 1111');
    expect(ledger.sales.size).toBe(2);
  });

  test('an object S3 refuses to read (a permanent error) finishes unreadable; an outage is retried', async () => {
    const { fileDeps, objects, files, failures } = memoryIngest();
    const ref = objects.put('transactions/archived.json', '[]');
    objects.openFault = () => awsError('InvalidObjectState', "The operation is not valid for the object's storage class", { status: 403 });
    expect(await ingestFile(ref, fileDeps)).toMatchObject({ status: 'unreadable' });
    expect(failures.all[0]!.reason).toMatch(/^S3 refused to read the object: InvalidObjectState/);

    const other = objects.put('transactions/outage.json', '[]');
    objects.openFault = () => awsError('ServiceUnavailable', 'Service Unavailable', { status: 503 });
    await expect(ingestFile(other, fileDeps)).rejects.toThrow(TransientIngestError);
    // The lease is released, so the redelivery claims the file at once.
    objects.openFault = undefined;
    expect(await ingestFile(other, fileDeps)).toMatchObject({ status: 'processed' });
    expect(files.get(other)).toMatchObject({ status: 'processed', attempts: 2 });
  });
});

describe('a card number in the object key', () => {
  const CARD_IN_KEY = '4000 0000 0810 0036';

  test('is masked wherever a failure or a sale names the file: its lines, the file itself, a missing object', async () => {
    const { fileDeps, failures, ledger, objects } = memoryIngest();
    const key = `transactions/refund ${CARD_IN_KEY}.ndjson`;
    const ref = objects.put(
      key,
      [JSON.stringify(momaSale({ transactionId: 'K-1' })), '{"broken', JSON.stringify(momaSale({ transactionId: 'K-2' }))].join('\n'),
    );
    const unsupported = objects.put(`transactions/${CARD_IN_KEY.replace(/ /g, '')}.txt`, 'x');
    const missing = { ...ref, key: `transactions/${CARD_IN_KEY.replace(/ /g, '-')}.json`, eTag: 'gone' };

    expect(await ingestFile(ref, fileDeps)).toMatchObject({ status: 'processed', counts: { awarded: 2, failed: 1 } });
    expect((await ingestFile(unsupported, fileDeps)).status).toBe('unreadable');
    expect((await ingestFile(missing, fileDeps)).status).toBe('unreadable');

    const masked = 'refund ************0036.ndjson';
    expect(failures.all.map((f) => f.source)).toEqual([
      `s3://${ref.bucket}/transactions/${masked} line 2`,
      `s3://${ref.bucket}/transactions/************0036.txt`,
      `s3://${ref.bucket}/transactions/************0036.json`,
    ]);
    expect(failures.all[2]!.reason).toBe(
      `s3://${ref.bucket}/transactions/************0036.json no longer exists (or that version was deleted)`,
    );
    expect(ledger.sales.get('K-1')!.source).toBe(`s3://${ref.bucket}/transactions/${masked} line 1`);
    const stored = JSON.stringify([failures.all, [...ledger.sales.values()]]);
    for (const spelling of ['4000000008100036', CARD_IN_KEY, CARD_IN_KEY.replace(/ /g, '-')]) expect(stored).not.toContain(spelling);
  });
});

describe('decoding a file before it is parsed', () => {
  const storeOf = (bytes: Record<string, Buffer>, contentEncoding?: string) => ({
    open: async (ref: { key: string }) => ({ body: Readable.from([bytes[ref.key]!]), contentEncoding }),
  });
  const refTo = (key: string) => ({ bucket: 'hi-vis-moma-data', key, eTag: key });

  test('gzip under a .json.gz key, or stored with Content-Encoding: gzip, is decompressed and awarded', async () => {
    const { fileDeps, ledger } = memoryIngest();
    const gz = (id: string) => gzipSync(Buffer.from(JSON.stringify([momaSale({ transactionId: id })])));
    expect(
      await ingestFile(refTo('transactions/a.json.gz'), { ...fileDeps, objects: storeOf({ 'transactions/a.json.gz': gz('G-1') }) }),
    ).toMatchObject({ status: 'processed', counts: { awarded: 1 } });
    expect(
      await ingestFile(refTo('transactions/b.json'), { ...fileDeps, objects: storeOf({ 'transactions/b.json': gz('G-2') }, 'gzip') }),
    ).toMatchObject({ status: 'processed', counts: { awarded: 1 } });
    expect([...ledger.sales.keys()]).toEqual(['G-1', 'G-2']);
  });

  test('binary content is one named file failure; the file is finished as unreadable and never retried', async () => {
    const { fileDeps, files, failures } = memoryIngest();
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    const ref = refTo('transactions/photo.json');
    const deps = { ...fileDeps, objects: storeOf({ [ref.key]: png }) };

    expect(await ingestFile(ref, deps)).toMatchObject({ status: 'unreadable', counts: { failed: 1 } });
    expect(await ingestFile(ref, deps)).toMatchObject({ status: 'already_processed' });

    expect(files.get(ref)).toMatchObject({ status: 'unreadable', reason: expect.stringMatching(/^unreadable file: binary content/) });
    expect(failures.all).toEqual([expect.objectContaining({ source: 's3://hi-vis-moma-data/transactions/photo.json', occurrences: 1 })]);
    expect(await files.findUnfinished([ref])).toEqual([]);
  });
});
