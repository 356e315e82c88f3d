import { createHash } from 'node:crypto';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_CREDENTIALS } from '../../local/emulators';
import { LocalStackClient } from '../../local/local-client';
import { keys } from '../../shared/adapters/dynamodb/table-keys';
import { S3ObjectStore } from '../../shared/adapters/s3/object-store';
import { S3Reader } from '../../shared/adapters/s3/s3-reader';
import { type FileIngestDeps, ingestFile } from '../../shared/ingest/ingest-file';
import type { ObjectRef } from '../../shared/ingest/ports';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { MemoryFileEventQueue } from '../support/fakes';
import { MemoryObjectStore } from '../support/memory-objects';
import { momaSale } from '../support/moma';
import { cardNumberFor } from '../support/workload';

let table: TestTable;
// Enough customers for the parts' awards in flight at once (several parts x 25) not to contend much for one account.
const CUSTOMERS = 200;

beforeAll(async () => {
  table = await createTestTable();
  for (let c = 0; c < CUSTOMERS; c += 50)
    await Promise.all(Array.from({ length: 50 }, (_, k) => table.addCustomer(`part-${c + k}`, cardNumberFor(500 + c + k))));
});
afterAll(() => table.destroy());

/** 500 lines: every 20th broken JSON, every 25th an invalid amount, every 30th a repeat of the line before. */
function largeFile(prefix: string) {
  const lines: string[] = [];
  for (let i = 0; i < 500; i++) {
    if (i % 20 === 7) lines.push('{"transactionId": "broken", ');
    else if (i % 25 === 3)
      lines.push(JSON.stringify(momaSale({ transactionId: `${prefix}-${i}`, amount: -5, cardNumber: cardNumberFor(500) })));
    else if (i % 30 === 29) lines.push(lines[i - 1]!);
    else
      lines.push(
        JSON.stringify(momaSale({ transactionId: `${prefix}-${i}`, amount: 150, cardNumber: cardNumberFor(500 + (i % CUSTOMERS)) })),
      );
  }
  return lines;
}

function expectedOf(lines: string[]) {
  const ids = new Set<string>();
  let failed = 0;
  let duplicate = 0;
  for (const line of lines) {
    let record: { transactionId: string; amount: number };
    try {
      record = JSON.parse(line);
    } catch {
      failed += 1;
      continue;
    }
    if (record.amount < 0) failed += 1;
    else if (ids.has(record.transactionId)) duplicate += 1;
    else ids.add(record.transactionId);
  }
  return { awarded: ids.size, failed, duplicate };
}

/** Every stored failure, page after page (a scan returns a megabyte at a time). */
async function allFailures() {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await table.db.send(
      new ScanCommand({
        TableName: table.tableName,
        FilterExpression: 'entity = :f',
        ExpressionAttributeValues: { ':f': 'failure' },
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

async function purchasesOfAll() {
  let total = 0;
  for (let c = 0; c < CUSTOMERS; c++) total += Number((await table.customers.getCustomer(`part-${c}`))!.purchaseCount);
  return total;
}

describe('a large NDJSON file fanned out to byte-range parts, on DynamoDB Local', () => {
  test('the parts, run at once and one of them twice, award every sale once; the file finishes with the sums', async () => {
    const objects = new MemoryObjectStore();
    const queue = new MemoryFileEventQueue();
    const deps: FileIngestDeps = {
      ...table.deps,
      objects,
      files: table.files,
      fileEvents: queue,
      fanOut: { thresholdBytes: 20_000, partBytes: 16_000, maxParts: 50 },
    };
    const lines = largeFile('FAN');
    const ref = objects.put('transactions/large.ndjson', `${lines.join('\n')}\n`);
    const before = await purchasesOfAll();

    expect(await ingestFile(ref, deps)).toMatchObject({ status: 'fanned_out' });
    const parts = queue.queued.filter((r): r is ObjectRef & { part: NonNullable<ObjectRef['part']> } => r.part !== undefined);
    expect(parts.length).toBeGreaterThan(3);
    const results = await Promise.all([...parts, parts[2]!].map((part) => ingestFile(part, deps).catch((err: Error) => err.message)));
    expect(results.filter((r) => typeof r === 'object' && r.status === 'processed').length).toBe(parts.length);

    const expected = expectedOf(lines);
    const file = (await table.db.send(new GetCommand({ TableName: table.tableName, Key: keys.file(ref.bucket, ref.key, ref.eTag) }))).Item!;
    expect(file).toMatchObject({
      status: 'processed',
      partCount: parts.length,
      partsDone: parts.length,
      records: lines.length,
      awardedCount: expected.awarded,
      failedCount: expected.failed,
      duplicateCount: expected.duplicate,
    });
    expect((await purchasesOfAll()) - before).toBe(expected.awarded);
    // Each bad line is one failure, placed by its byte offset in the file.
    const failures = (await allFailures()).filter((f) => String(f.source).includes('large.ndjson'));
    expect(failures).toHaveLength(expected.failed);
    const offsets = failures.map((f) => Number(/byte (\d+)/.exec(String(f.source))?.[1]));
    const text = `${lines.join('\n')}\n`;
    for (const offset of offsets) expect(text.slice(offset).startsWith('{"transactionId"')).toBe(true);
  });

  test('a file claimed again while its parts are unfinished queues those again, not the finished ones', async () => {
    const objects = new MemoryObjectStore();
    const queue = new MemoryFileEventQueue();
    const deps: FileIngestDeps = {
      ...table.deps,
      objects,
      files: table.files,
      fileEvents: queue,
      fanOut: { thresholdBytes: 20_000, partBytes: 20_000, maxParts: 50 },
      leaseMs: 1,
    };
    const lines = largeFile('REFAN');
    const ref = objects.put('transactions/refan.ndjson', lines.join('\n'));
    await ingestFile(ref, deps);
    const parts = [...queue.queued];
    queue.queued.length = 0;
    await ingestFile(parts[0]!, deps);
    // The file's lease ran out (a lost part message): reconcile's redelivery finds it and sends every part again.
    await table.files.fanOut(ref, { count: parts.length, objectBytes: ref.size! }, -1);
    expect(await ingestFile(ref, deps)).toMatchObject({ status: 'fanned_out' });
    // Only the parts not finished yet go again.
    expect(queue.queued.map((r) => r.part!.index)).toEqual(parts.slice(1).map((r) => r.part!.index));
    await Promise.all(queue.queued.map((part) => ingestFile(part, deps)));
    const file = (await table.db.send(new GetCommand({ TableName: table.tableName, Key: keys.file(ref.bucket, ref.key, ref.eTag) }))).Item!;
    expect(file).toMatchObject({ status: 'processed', records: lines.length, awardedCount: expectedOf(lines).awarded });
  });
});

describe('part events that name no part of the file', () => {
  test('a part of a file never cut into parts, or a range the file was not cut at, is one failure and touches nothing', async () => {
    const objects = new MemoryObjectStore();
    const queue = new MemoryFileEventQueue();
    const deps: FileIngestDeps = {
      ...table.deps,
      objects,
      files: table.files,
      fileEvents: queue,
      fanOut: { thresholdBytes: 20_000, partBytes: 40_000, maxParts: 50 },
    };
    const whole = objects.put('transactions/orphan.ndjson', `${largeFile('ORPHAN').slice(0, 50).join('\n')}\n`);
    expect(await ingestFile({ ...whole, part: { index: 0, count: 2, start: 0, end: 2_000 } }, deps)).toMatchObject({
      status: 'unreadable',
    });

    const ref = objects.put('transactions/forged.ndjson', largeFile('FORGED').join('\n'));
    await ingestFile(ref, deps);
    const real = queue.queued[0]!.part!;
    // A forged first part covering one line would mark the real first part done without reading it.
    expect(await ingestFile({ ...ref, part: { ...real, end: 10 } }, deps)).toMatchObject({ status: 'unreadable' });
    expect(await ingestFile({ ...ref, part: { ...real, index: real.count, count: real.count } }, deps)).toMatchObject({
      status: 'unreadable',
    });
    // Neither touched the file: no part of it is done.
    const file = (await table.db.send(new GetCommand({ TableName: table.tableName, Key: keys.file(ref.bucket, ref.key, ref.eTag) }))).Item!;
    expect(file).toMatchObject({ status: 'processing', partsDone: 0, partCount: real.count });
    const refused = (await allFailures()).filter((f) => /part event/.test(String(f.reason)));
    expect(refused.map((f) => String(f.reason)).sort()).toEqual([
      expect.stringContaining('for a file that was never cut into parts'),
      expect.stringContaining(`bytes 0-10 (part 1 of ${real.count}) that is not one of the ${real.count} parts`),
      expect.stringContaining(`(part ${real.count + 1} of ${real.count}) that is not one of the ${real.count} parts`),
    ]);
  });
});

describe('byte ranges from the S3 emulator, through the functions own S3 reader', () => {
  test('an object opened at a range streams from that byte, and says the whole size', async () => {
    const local = LocalStackClient.fromEnv();
    const store = new S3ObjectStore(
      new S3Reader({ endpoint: local.endpoints.s3Endpoint, region: 'us-east-1', forcePathStyle: true, credentials: LOCAL_CREDENTIALS }),
    );
    try {
      const key = 'range-check/parts.ndjson';
      const body = 'first line\nsecond line\nthird line\n';
      await local.putMomaFile(key, body);
      const eTag = createHash('md5').update(body).digest('hex');
      const opened = await store.open({ bucket: local.endpoints.bucket, key, eTag }, { range: { start: 11 } });
      const chunks: Buffer[] = [];
      for await (const chunk of opened.body) chunks.push(Buffer.from(chunk as Uint8Array));
      expect(Buffer.concat(chunks).toString()).toBe('second line\nthird line\n');
      expect(opened.size).toBe(body.length);
      expect(opened.checksumSha256).toBeUndefined();
    } finally {
      local.destroy();
    }
  });
});
