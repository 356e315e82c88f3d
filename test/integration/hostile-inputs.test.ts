import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { LocalStackClient, waitFor } from '../../local/local-client';
import { findCardNumbers, luhnCard } from '../support/cards';
import { momaSale } from '../support/moma';

/**
 * Bad and odd inputs, as a careless or hostile producer sends them, each between good sales, through every path:
 * S3 `transactions/` and `imports/`, SQS, and `POST /admin/import`. Every good neighbour is awarded exactly once,
 * every bad input is listed by `GET /admin/failures` with a reason naming the field or the position, nothing is
 * stuck or sent to a DLQ, and no full card number is stored or returned.
 */

let local: LocalStackClient;
const cardsUsed: string[] = [];
const responses: string[] = [];

beforeAll(() => {
  local = LocalStackClient.fromEnv();
});

afterAll(async () => {
  try {
    const leaked = await cardNumbersInTable();
    expect(leaked).toEqual([]);
  } finally {
    local.destroy();
  }
});

const MB = 1024 * 1024;
let customerSeed = 700_000;

/** A customer of its own with a Luhn-valid card, and a sale factory for it (ids unique to the test). */
async function customer(name: string) {
  const card = luhnCard('4', customerSeed++);
  cardsUsed.push(card);
  const userId = `host-${name}`;
  await local.addCustomer(userId, card);
  let n = 0;
  const sale = (overrides: Record<string, unknown> = {}) =>
    momaSale({ transactionId: `HOST-${name}-${n++}`, cardNumber: card, amount: 100, ...overrides });
  return { userId, card, sale };
}

async function admin(method: string, route: string, body?: unknown, options?: { contentType?: string }) {
  const response = await local.admin(method, route, body, options);
  responses.push(JSON.stringify(response.body));
  return response;
}

/** Every failure the admin API lists (today's and recent), through its cursor pagination. */
async function listedFailures(): Promise<Record<string, any>[]> {
  const items: Record<string, any>[] = [];
  let cursor: string | undefined;
  do {
    const page = await admin('GET', `/admin/failures?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(page.status).toBe(200);
    items.push(...(page.body.items as Record<string, any>[]));
    cursor = page.body.nextCursor as string | undefined;
  } while (cursor);
  return items;
}

/** The failures listed about one input; waits for the first, since the record and its failure are written apart. */
async function failuresAbout(fragment: string) {
  const about = async () => (await listedFailures()).filter((f) => JSON.stringify([f.source, f.sourceId]).includes(fragment));
  await waitFor(async () => (await about()).length > 0, `a failure about ${fragment}`, 10_000, 200).catch(() => undefined);
  return about();
}

async function expectPoints(userId: string, points: number, purchases: number) {
  await waitFor(
    async () => (await local.customer(userId))?.purchaseCount === purchases,
    `${userId} to have ${purchases} purchases`,
    30_000,
  );
  expect(await local.customer(userId)).toMatchObject({ points, purchaseCount: purchases });
}

const FINISHED = ['processed', 'unreadable', 'checksum_mismatch'];
async function fileFinished(key: string) {
  return waitFor(
    async () => {
      const record = await local.fileRecord(key);
      return record && FINISHED.includes(String(record.status)) ? record : undefined;
    },
    `${key} to finish`,
    30_000,
  );
}

/**
 * DLQ depths when a test starts: other test files park poison messages on purpose (and one redrives them, so a
 * poison message may still be on its way back to the DLQ): the queues drain first. Test files run one at a time.
 */
let dlqDepthsBefore: number[] = [];
const dlqDepths = () => Promise.all([local.endpoints.momaDlqUrl, local.endpoints.fileEventsDlqUrl].map((url) => local.queueDepth(url)));
const waitForQueuesToDrain = () =>
  waitFor(
    async () =>
      (await local.queueDepth(local.endpoints.momaQueueUrl)) === 0 && (await local.queueDepth(local.endpoints.fileEventsQueueUrl)) === 0,
    'the queues to drain',
    30_000,
  );
beforeEach(async () => {
  await waitForQueuesToDrain();
  dlqDepthsBefore = await dlqDepths();
}, 40_000);

async function queuesDrained() {
  await waitForQueuesToDrain();
  expect(await dlqDepths()).toEqual(dlqDepthsBefore);
}

async function cardNumbersInTable(): Promise<string[]> {
  const found = new Set<string>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await local.db.send(new ScanCommand({ TableName: local.endpoints.tableName, ExclusiveStartKey: start }));
    for (const item of page.Items ?? [])
      for (const card of findCardNumbers(JSON.stringify(item), cardsUsed)) found.add(`${card} in ${item.PK}/${item.SK}`);
    start = page.LastEvaluatedKey;
  } while (start);
  for (const body of responses) for (const card of findCardNumbers(body, cardsUsed)) found.add(`${card} in a response`);
  return [...found];
}

const csvRow = (s: Record<string, unknown>) => [s.transactionId, s.date, s.amount, s.cardNumber, s.product, s.machineId].join(',');
const CSV_HEADER = 'transactionId,date,amount,cardNumber,product,machineId';

describe('oversize values cost nothing but themselves', () => {
  test('S3 JSON array: a 1 MB transactionId, product and machineId between good sales', async () => {
    const c = await customer('big-json');
    const sales = [
      c.sale(),
      c.sale({ transactionId: 'T'.repeat(MB) }),
      c.sale(),
      c.sale({ product: 'P'.repeat(MB) }),
      c.sale(),
      c.sale({ machineId: 'M'.repeat(MB) }),
      c.sale(),
    ];
    await local.putMomaFile('transactions/host-big.json', JSON.stringify(sales));

    expect(await fileFinished('transactions/host-big.json')).toMatchObject({ status: 'processed' });
    await expectPoints(c.userId, 40, 4);
    const failures = await failuresAbout('host-big.json');
    expect(failures).toHaveLength(3);
    for (const field of ['transactionId', 'product', 'machineId'])
      expect(failures.map((f) => String(f.reason)).join('\n')).toContain(`${field} must be at most`);
    expect(new Set(failures.map((f) => f.source)).size).toBe(3);
  });

  test('SQS: an oversize message beside good ones, and an oversize record inside an array message', async () => {
    const c = await customer('big-sqs');
    await local.sendMomaMessage(c.sale());
    const oversize = await local.sendMomaMessage(c.sale({ product: 'P'.repeat(200_000) }));
    const mixed = await local.sendMomaMessage([c.sale(), c.sale({ transactionId: `HOST-big-sqs-${'x'.repeat(100_000)}` }), c.sale()]);

    await expectPoints(c.userId, 30, 3);
    await queuesDrained();
    expect(String((await failuresAbout(oversize.MessageId!))[0]?.reason)).toContain('product');
    expect(String((await failuresAbout(mixed.MessageId!))[0]?.reason)).toContain('transactionId');
  });

  test('POST /admin/import: an oversize row, a wrong column count and a stray quote cost only their rows', async () => {
    const c = await customer('big-csv');
    const rows = [
      CSV_HEADER,
      csvRow(c.sale()),
      csvRow(c.sale({ product: 'P'.repeat(300_000) })),
      `${csvRow(c.sale())},extra`,
      csvRow(c.sale({ product: 'Large "Coffee' })).replace('Large', '"Large'),
      csvRow(c.sale()),
    ];
    const result = await admin('POST', '/admin/import', rows.join('\n'), { contentType: 'text/csv' });

    expect(result.status).toBe(200);
    await expectPoints(c.userId, 20, 2);
    const failures = await listedFailures();
    const importFailures = failures.filter((f) => String(f.source).includes(String(result.body.import)));
    expect(importFailures.length).toBe(3);
    for (const failure of importFailures) expect(String(failure.source)).toMatch(/line \d+/);
  });

  test('S3 imports/*.csv: the same damage costs only the damaged rows', async () => {
    const c = await customer('csv-s3');
    const rows = [
      CSV_HEADER,
      csvRow(c.sale()),
      `${csvRow(c.sale())},extra`,
      csvRow(c.sale()),
      'x,"unclosed,350',
      csvRow(c.sale()),
      csvRow(c.sale({ amount: 'lots' })),
    ];
    await local.putMomaFile('imports/host-damaged.csv', rows.join('\n'));

    expect(await fileFinished('imports/host-damaged.csv')).toMatchObject({ status: 'processed' });
    await expectPoints(c.userId, 30, 3);
    const failures = await failuresAbout('host-damaged.csv');
    expect(failures.length).toBe(3);
    expect(failures.map((f) => `${f.source} ${f.reason}`).join('\n')).toContain('amount');
  });

  test('a CSV with the wrong header is one failure naming the expected and found columns', async () => {
    await local.putMomaFile('imports/host-header.csv', 'id,when,cents\n1,2,3\n');
    await fileFinished('imports/host-header.csv');
    const [failure] = await failuresAbout('host-header.csv');
    expect(String(failure?.reason)).toContain('transactionId');
    expect(String(failure?.reason)).toContain('cents');
  });
});

describe('damaged JSON costs only the damaged part', () => {
  test('garbage, a raw NUL and a NaN between concatenated objects', async () => {
    const c = await customer('concat');
    const good = () => JSON.stringify(c.sale());
    const body = [
      good(),
      'garbage here',
      good(),
      '\u0000\u0000',
      good(),
      JSON.stringify(c.sale()).replace('"amount":100', '"amount":NaN'),
      good(),
    ].join('\n');
    await local.putMomaFile('transactions/host-concat.json', body);

    expect(await fileFinished('transactions/host-concat.json')).toMatchObject({ status: 'processed' });
    await expectPoints(c.userId, 40, 4);
    const failures = await failuresAbout('host-concat.json');
    expect(failures.length).toBeGreaterThanOrEqual(3);
    for (const failure of failures) expect(`${failure.source} ${failure.reason}`).toMatch(/byte|line|offset|position/);
  });

  test('junk and a NaN between array elements', async () => {
    const c = await customer('array');
    const body = `[${JSON.stringify(c.sale())}, {"transactionId":"HOST-array-nan","amount":NaN}, junk, ${JSON.stringify(c.sale())},\n${JSON.stringify(c.sale())}]`;
    await local.putMomaFile('transactions/host-array.json', body);

    expect(await fileFinished('transactions/host-array.json')).toMatchObject({ status: 'processed' });
    await expectPoints(c.userId, 30, 3);
    const failures = await failuresAbout('host-array.json');
    expect(failures.length).toBeGreaterThanOrEqual(1);
    for (const failure of failures) expect(`${failure.source} ${failure.reason}`).toMatch(/byte \d+/);
  });

  test('gzip bytes under a .json key are decompressed; other binary content is a named file failure', async () => {
    const c = await customer('gzip');
    await local.putMomaFile(
      'transactions/host-gzipped.json',
      gzipSync(Buffer.from(JSON.stringify([c.sale(), c.sale()]))) as unknown as string,
    );
    await local.s3.send(
      new PutObjectCommand({
        Bucket: local.endpoints.bucket,
        Key: 'transactions/host-encoded.json',
        Body: gzipSync(Buffer.from(JSON.stringify(c.sale()))),
        ContentEncoding: 'gzip',
      }),
    );
    await local.putMomaFile(
      'transactions/host-binary.json',
      Buffer.from([
        0x89,
        0x50,
        0x4e,
        0x47,
        0x0d,
        0x0a,
        0x1a,
        0x0a,
        ...Array.from({ length: 600 }, (_, i) => (i * 37) % 256),
      ]) as unknown as string,
    );

    await expectPoints(c.userId, 30, 3);
    expect((await fileFinished('transactions/host-binary.json')).status).not.toBe('processing');
    const [failure] = await failuresAbout('host-binary.json');
    expect(String(failure?.reason)).toMatch(/binary|not .*text/i);
  });

  test('an empty and a whitespace-only file are recorded and visible to operators', async () => {
    await local.putMomaFile('transactions/host-empty.json', '');
    await local.putMomaFile('transactions/host-blank.ndjson', '  \n\n \t\n');

    for (const key of ['transactions/host-empty.json', 'transactions/host-blank.ndjson']) {
      expect(await fileFinished(key)).toMatchObject({ status: 'processed', records: 0 });
      expect(String((await failuresAbout(key))[0]?.reason)).toMatch(/empty|no records/i);
    }
  });

  test('NDJSON: an oversize line and a broken line cost only their lines', async () => {
    const c = await customer('ndjson');
    const lines = [
      JSON.stringify(c.sale()),
      JSON.stringify(c.sale({ product: 'P'.repeat(2 * MB) })),
      '{"transactionId": "HOST-ndjson-broken", "amount":',
      JSON.stringify(c.sale()),
    ];
    await local.putMomaFile('transactions/host-lines.ndjson', lines.join('\n'));

    expect(await fileFinished('transactions/host-lines.ndjson')).toMatchObject({ status: 'processed' });
    await expectPoints(c.userId, 20, 2);
    const failures = await failuresAbout('host-lines.ndjson');
    expect(failures.map((f) => String(f.source)).sort()).toEqual([expect.stringContaining('line 2'), expect.stringContaining('line 3')]);
  });

  test('an unsupported file type is one named failure, recorded once', async () => {
    await local.putMomaFile('transactions/host-sales.xml', '<sales/>');
    await waitFor(async () => (await failuresAbout('host-sales.xml')).length > 0, 'the unsupported file failure');
    expect((await admin('POST', '/admin/sync/start')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_000));
    const [failure, ...more] = await failuresAbout('host-sales.xml');
    expect(more).toEqual([]);
    expect(String(failure?.reason)).toContain('unsupported');
    expect(failure?.occurrences).toBe(1);
  });
});

describe('prototype keys never make a field look present', () => {
  test('__proto__ and constructor carrying amount, by file and by message', async () => {
    const c = await customer('proto');
    const { amount: _amount, ...withoutAmount } = c.sale();
    const hostile = [
      JSON.stringify({ ...withoutAmount, transactionId: 'HOST-proto-a' }).replace(/^\{/, '{"__proto__":{"amount":350},'),
      JSON.stringify({ ...withoutAmount, transactionId: 'HOST-proto-b' }).replace(/^\{/, '{"constructor":{"prototype":{"amount":350}},'),
    ];
    await local.putMomaFile('transactions/host-proto.ndjson', [JSON.stringify(c.sale()), ...hostile, JSON.stringify(c.sale())].join('\n'));
    await local.sendMomaBatch([hostile[0]!.replace('HOST-proto-a', 'HOST-proto-c'), JSON.stringify(c.sale())]);

    await expectPoints(c.userId, 30, 3);
    await queuesDrained();
    for (const id of ['HOST-proto-a', 'HOST-proto-b', 'HOST-proto-c']) expect(await local.sale(id)).toBeUndefined();
    const reasons = (await listedFailures()).filter((f) =>
      ['HOST-proto-a', 'HOST-proto-b', 'HOST-proto-c'].includes(String(f.transactionId)),
    );
    expect(reasons).toHaveLength(3);
    for (const failure of reasons) expect(String(failure.reason)).toContain('amount');
  });
});

describe('card numbers never stored, wherever they hide', () => {
  test('a full number as transactionId, inside product and machineId, inside broken JSON', async () => {
    const c = await customer('hide');
    const hidden = luhnCard('5', 4242);
    cardsUsed.push(hidden);
    await local.sendMomaMessage(c.sale({ transactionId: hidden }));
    await local.sendMomaMessage(c.sale({ product: `Coffee paid by ${hidden}` }));
    await local.putMomaFile(
      'transactions/host-hide.ndjson',
      [
        JSON.stringify(c.sale({ machineId: `VEND ${hidden.match(/.{4}/g)!.join(' ')}` })),
        `{"transactionId":"HOST-hide-x","cardNumber":"${hidden}" oops`,
        JSON.stringify(c.sale()),
      ].join('\n'),
    );
    await admin(
      'POST',
      '/admin/import',
      [CSV_HEADER, `HOST-hide-csv,2025-01-01T14:30:00Z,abc,${hidden},Tea,VEND-1`, `"HOST-hide-q,${hidden}`].join('\n'),
      { contentType: 'text/csv' },
    );

    await expectPoints(c.userId, 30, 3);
    await queuesDrained();
    await admin('GET', '/admin/transactions?limit=100');
    await admin('GET', '/admin/unmatched?limit=100');
    await admin('GET', '/admin/stats');
    await admin('GET', '/admin/notifications?limit=100');
    await admin('GET', `/admin/users/${c.userId}/transactions?limit=100`);
    expect(await cardNumbersInTable()).toEqual([]);
  });

  test('a full number in the object key of a file, through the S3 notification path', async () => {
    const c = await customer('key');
    const hidden = luhnCard('4', 4343);
    cardsUsed.push(hidden);
    const key = `transactions/host-key-${hidden.match(/.{4}/g)!.join('-')}.ndjson`;
    await local.putMomaFile(key, [JSON.stringify(c.sale()), '{"transactionId": "HOST-key-broken", ', JSON.stringify(c.sale())].join('\n'));

    expect(await fileFinished(key)).toMatchObject({
      status: 'processed',
      objectKey: `transactions/host-key-************${hidden.slice(-4)}.ndjson`,
    });
    await expectPoints(c.userId, 20, 2);
    const failures = await failuresAbout(`host-key-************${hidden.slice(-4)}`);
    expect(failures.map((f) => f.source)).toEqual([
      `s3://${local.endpoints.bucket}/transactions/host-key-************${hidden.slice(-4)}.ndjson line 2`,
    ]);
    await queuesDrained();
    expect(await cardNumbersInTable()).toEqual([]);
  });
});
