import { createHash } from 'node:crypto';
import { text } from 'node:stream/consumers';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../shared/adapters/s3/object-store';
import { S3Reader, S3ServiceError } from '../../shared/adapters/s3/s3-reader';
import { classifyError } from '../../shared/ingest/errors';
import { ObjectMissingError, type ObjectRef } from '../../shared/ingest/ports';
import { type ReceivedRequest, s3ErrorXml, startAwsServer, verifySigV4 } from '../support/aws-http-server';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const BUCKET = 'hi-vis-moma-data';
const OBJECT = Buffer.from('{"records":[1,2,3,4,5,6,7,8,9]}\n'.repeat(20));

let server: Awaited<ReturnType<typeof startAwsServer>>;
beforeAll(async () => {
  server = await startAwsServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const reader = (options: ConstructorParameters<typeof S3Reader>[0] = {}) =>
  new S3Reader({ region: 'eu-west-1', endpoint: server.endpoint, credentials: CREDENTIALS, retryBaseDelayMs: 1, ...options });

/** Answers a GetObject as S3 does: the object, or the range asked for with 206. */
const serveObject = (extraHeaders: Record<string, string> = {}) =>
  server.always((req, res) => {
    const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), OBJECT.length - 1) : OBJECT.length - 1;
      res
        .writeHead(206, { 'content-range': `bytes ${start}-${end}/${OBJECT.length}`, 'content-length': end - start + 1, ...extraHeaders })
        .end(OBJECT.subarray(start, end + 1));
      return;
    }
    res.writeHead(200, { 'content-length': OBJECT.length, etag: '"abc"', ...extraHeaders }).end(OBJECT);
  });

const xmlError =
  (status: number, code: string, message = `${code} happened`) =>
  (_req: ReceivedRequest, res: import('node:http').ServerResponse) =>
    res.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': 'REQ123' }).end(s3ErrorXml(code, message));

const ref = (key: string, extra: Partial<ObjectRef> = {}): ObjectRef => ({ bucket: BUCKET, key, eTag: 'abc', ...extra });

describe('S3Reader.getObject', () => {
  test('streams the object, signed (SigV4, S3 rules) with the version, If-Match and checksum mode it was asked for', async () => {
    serveObject({ 'x-amz-checksum-sha256': 'c2hhMjU2', 'x-amz-checksum-type': 'FULL_OBJECT', 'content-encoding': 'gzip' });
    const out = await reader({ credentials: { ...CREDENTIALS, sessionToken: 'SESSION' } }).getObject({
      Bucket: BUCKET,
      Key: 'transactions/batch 1+(x)!*é.json',
      VersionId: 'v1/+=',
      IfMatch: '"abc"',
      ChecksumMode: 'ENABLED',
    });
    expect(Buffer.from(await text(out.Body))).toEqual(OBJECT);
    expect(out).toMatchObject({
      ContentLength: OBJECT.length,
      ETag: '"abc"',
      ChecksumSHA256: 'c2hhMjU2',
      ChecksumType: 'FULL_OBJECT',
      ContentEncoding: 'gzip',
      $metadata: { httpStatusCode: 200, attempts: 1 },
    });

    const [req] = server.requests;
    // Path-style (the endpoint is an IP address), the key escaped once per segment, slashes kept.
    expect(req!.path).toBe(`/${BUCKET}/transactions/batch%201%2B%28x%29%21%2A%C3%A9.json`);
    expect(req!.query).toEqual({ versionId: 'v1/+=' });
    expect(req!.headers).toMatchObject({
      'if-match': '"abc"',
      'x-amz-checksum-mode': 'ENABLED',
      'x-amz-security-token': 'SESSION',
      'x-amz-content-sha256': createHash('sha256').update('').digest('hex'),
    });
    const check = verifySigV4(req!, CREDENTIALS.secretAccessKey);
    expect(check).toMatchObject({ valid: true, accessKeyId: 'AKIDEXAMPLE', region: 'eu-west-1', service: 's3' });
    expect(check.signedHeaders).toEqual(
      expect.arrayContaining(['host', 'if-match', 'x-amz-checksum-mode', 'x-amz-content-sha256', 'x-amz-date', 'x-amz-security-token']),
    );
  });

  test('builds the same URL as the SDK for awkward keys', async () => {
    const keys = [
      'transactions/a b+c%d.json',
      'imports/ümlaut & co/ (1).csv',
      'x/~tilde_-.json',
      'deep//double/./dot/../file',
      'quote\'and"more',
    ];
    server.always((_req, res) => res.writeHead(200, { 'content-length': 0 }).end());
    const sdk = new S3Client({ region: 'eu-west-1', endpoint: server.endpoint, forcePathStyle: true, credentials: CREDENTIALS });
    for (const key of keys) {
      server.reset();
      server.always((_req, res) => res.writeHead(200, { 'content-length': 0 }).end());
      await sdk.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      const out = await reader().getObject({ Bucket: BUCKET, Key: key });
      await text(out.Body);
      const [fromSdk, ours] = server.requests;
      expect(ours!.path).toBe(fromSdk!.path);
      expect(decodeURIComponent(ours!.path)).toBe(`/${BUCKET}/${key}`);
      // The verifier agrees with the SDK's own signature, so it agreeing with ours means something.
      expect(verifySigV4(fromSdk!, CREDENTIALS.secretAccessKey).valid).toBe(true);
      expect(verifySigV4(ours!, CREDENTIALS.secretAccessKey).valid).toBe(true);
    }
    sdk.destroy();
  });

  test('sends a byte range and returns the 206 partial content', async () => {
    serveObject();
    const out = await reader().getObject({ Bucket: BUCKET, Key: 'k', Range: 'bytes=10-19' });
    expect(await text(out.Body)).toBe(OBJECT.subarray(10, 20).toString());
    expect(out).toMatchObject({ ContentRange: `bytes 10-19/${OBJECT.length}`, ContentLength: 10, $metadata: { httpStatusCode: 206 } });
    expect(server.requests[0]!.headers.range).toBe('bytes=10-19');
    expect(verifySigV4(server.requests[0]!, CREDENTIALS.secretAccessKey).signedHeaders).toContain('range');
  });

  test('an error is named by its S3 code, with the SDK fields the error classifier reads', async () => {
    server.next(xmlError(404, 'NoSuchKey', 'The specified key does not exist.'));
    const err = await reader()
      .getObject({ Bucket: BUCKET, Key: 'gone' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(S3ServiceError);
    expect(err).toMatchObject({
      name: 'NoSuchKey',
      message: 'The specified key does not exist.',
      $fault: 'client',
      $metadata: { httpStatusCode: 404, requestId: 'REQ123', extendedRequestId: 'HOST456', attempts: 1 },
    });
    expect(server.requests).toHaveLength(1);
  });

  test('a response with no body is named by its status', async () => {
    server.next((_req, res) => res.writeHead(412).end());
    await expect(reader().getObject({ Bucket: BUCKET, Key: 'k' })).rejects.toMatchObject({ name: 'PreconditionFailed', $fault: 'client' });
  });

  test('retries 5xx and throttling (SlowDown) up to three attempts, then fails transiently', async () => {
    server.next(xmlError(503, 'SlowDown'), xmlError(500, 'InternalError'), xmlError(503, 'SlowDown'));
    const err = await reader()
      .getObject({ Bucket: BUCKET, Key: 'k' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'SlowDown', $fault: 'server', $metadata: { httpStatusCode: 503, attempts: 3 } });
    expect(server.requests).toHaveLength(3);
    expect(classifyError(err)).toBe('transient');
  });

  test('a retried request that then succeeds returns the object', async () => {
    server.next(xmlError(503, 'ServiceUnavailable'));
    serveObject();
    const out = await reader().getObject({ Bucket: BUCKET, Key: 'k' });
    expect(Buffer.from(await text(out.Body))).toEqual(OBJECT);
    expect(out.$metadata.attempts).toBe(2);
    // Each attempt is signed on its own.
    expect(server.requests.map((r) => verifySigV4(r, CREDENTIALS.secretAccessKey).valid)).toEqual([true, true]);
  });

  test('a 4xx refusal is not retried, and classifies as the SDK error did', async () => {
    server.next(xmlError(400, 'InvalidArgument'));
    const invalid = await reader()
      .getObject({ Bucket: BUCKET, Key: 'k' })
      .catch((e: unknown) => e);
    expect(classifyError(invalid)).toBe('permanent');
    server.next(xmlError(403, 'AccessDenied'));
    const denied = await reader()
      .getObject({ Bucket: BUCKET, Key: 'k' })
      .catch((e: unknown) => e);
    // A deployment problem, retried until the DLQ keeps the event (shared/ingest/errors.ts).
    expect(classifyError(denied)).toBe('transient');
    expect(server.requests).toHaveLength(2);
  });

  test('a dropped connection is retried, and in the end is a transient network error', async () => {
    server.always((_req, res) => res.socket?.destroy());
    const err = await reader()
      .getObject({ Bucket: BUCKET, Key: 'k' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ECONNRESET', $metadata: { attempts: 3 } });
    expect(server.requests).toHaveLength(3);
    expect(classifyError(err)).toBe('transient');
  });

  test('a body that stalls fails with a TimeoutError, and a pooled connection outlives the timeout', async () => {
    server.next((_req, res) => {
      res.writeHead(200, { 'content-length': 100 });
      res.write('only part of it');
    });
    const out = await reader({ socketTimeoutMs: 150 }).getObject({ Bucket: BUCKET, Key: 'k' });
    await expect(text(out.Body)).rejects.toMatchObject({ name: 'TimeoutError' });

    serveObject();
    const quick = reader({ socketTimeoutMs: 150 });
    await text((await quick.getObject({ Bucket: BUCKET, Key: 'k' })).Body);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(Buffer.from(await text((await quick.getObject({ Bucket: BUCKET, Key: 'k' })).Body))).toEqual(OBJECT);
  });

  test('reads the endpoint, region, credentials and path style from the environment, as the SDK does', async () => {
    serveObject();
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_S3: server.endpoint,
      AWS_REGION: 'ap-southeast-2',
      AWS_ACCESS_KEY_ID: 'AKIDENV',
      AWS_SECRET_ACCESS_KEY: 'env-secret',
      AWS_SESSION_TOKEN: 'env-token',
      S3_FORCE_PATH_STYLE: 'true',
    });
    try {
      await text((await new S3Reader().getObject({ Bucket: BUCKET, Key: 'k' })).Body);
    } finally {
      process.env = saved;
    }
    const [req] = server.requests;
    expect(req!.path).toBe(`/${BUCKET}/k`);
    expect(req!.headers['x-amz-security-token']).toBe('env-token');
    expect(verifySigV4(req!, 'env-secret')).toMatchObject({ valid: true, accessKeyId: 'AKIDENV', region: 'ap-southeast-2' });
  });
});

describe('S3Reader URLs', () => {
  const request = (options: ConstructorParameters<typeof S3Reader>[0], bucket = BUCKET, key: string | undefined = 'a/b c.json') =>
    new S3Reader({ region: 'eu-west-1', credentials: CREDENTIALS, ...options }).request(bucket, key, {}, {});

  test('virtual-hosted by default, at the regional endpoint', () => {
    expect(request({ forcePathStyle: false })).toMatchObject({
      protocol: 'https:',
      hostname: `${BUCKET}.s3.eu-west-1.amazonaws.com`,
      path: '/a/b%20c.json',
    });
    expect(new S3Reader({ region: 'eu-west-1', forcePathStyle: false }).request(BUCKET, undefined, {}, {})).toMatchObject({ path: '/' });
    expect(request({ forcePathStyle: false, region: 'cn-north-1' })).toMatchObject({
      hostname: `${BUCKET}.s3.cn-north-1.amazonaws.com.cn`,
    });
  });

  test('path-style when forced, for a bucket that cannot be a host name, and for an IP endpoint', () => {
    expect(request({ forcePathStyle: true })).toMatchObject({ hostname: 's3.eu-west-1.amazonaws.com', path: `/${BUCKET}/a/b%20c.json` });
    expect(request({ forcePathStyle: false }, 'dotted.bucket')).toMatchObject({ path: '/dotted.bucket/a/b%20c.json' });
    expect(request({ forcePathStyle: false }, 'Upper_Case')).toMatchObject({ path: '/Upper_Case/a/b%20c.json' });
    expect(request({ forcePathStyle: false, endpoint: 'http://127.0.0.1:4569' })).toMatchObject({
      hostname: '127.0.0.1',
      port: 4569,
      path: `/${BUCKET}/a/b%20c.json`,
    });
  });

  test('a custom endpoint keeps its host (with the bucket in front, virtual-hosted) and its path', () => {
    expect(request({ forcePathStyle: false, endpoint: 'https://s3.example.test/base/' })).toMatchObject({
      hostname: `${BUCKET}.s3.example.test`,
      path: '/base/a/b%20c.json',
    });
    expect(request({ forcePathStyle: true, endpoint: 'http://minio.local:9000' })).toMatchObject({
      protocol: 'http:',
      hostname: 'minio.local',
      port: 9000,
      path: `/${BUCKET}/a/b%20c.json`,
    });
  });
});

describe('S3Reader.listObjectsV2', () => {
  const listing = (keys: string[], options: { token?: string; next?: string; encoded?: boolean } = {}) =>
    `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${BUCKET}</Name><Prefix>transactions/</Prefix>${
      options.next ? `<NextContinuationToken>${options.next}</NextContinuationToken>` : ''
    }<KeyCount>${keys.length}</KeyCount><MaxKeys>1000</MaxKeys>${options.encoded ? '<EncodingType>url</EncodingType>' : ''}<IsTruncated>${Boolean(
      options.next,
    )}</IsTruncated>${keys
      .map(
        (key, i) =>
          `<Contents><Key>${key}</Key><LastModified>2025-01-0${i + 1}T10:00:00.000Z</LastModified><ETag>&quot;etag-${i}&quot;</ETag><ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><Size>${
            100 + i
          }</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      )
      .join('')}</ListBucketResult>`;

  test('lists a page: keys decoded when S3 URL-encoded them, quoted ETags, sizes, dates, the continuation', async () => {
    server.next((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/xml' }).end(
        listing(['transactions/a+b.json', 'transactions/plus%2Bsign.json', 'transactions/%C3%BC%26.json'], {
          encoded: true,
          next: 'tok+/=',
        }),
      ),
    );
    const page = await reader().listObjectsV2({ Bucket: BUCKET, Prefix: 'transactions/' });
    expect(page).toMatchObject({ IsTruncated: true, NextContinuationToken: 'tok+/=', KeyCount: 3 });
    expect(page.Contents).toEqual([
      { Key: 'transactions/a b.json', ETag: '"etag-0"', Size: 100, LastModified: new Date('2025-01-01T10:00:00.000Z') },
      { Key: 'transactions/plus+sign.json', ETag: '"etag-1"', Size: 101, LastModified: new Date('2025-01-02T10:00:00.000Z') },
      { Key: 'transactions/ü&.json', ETag: '"etag-2"', Size: 102, LastModified: new Date('2025-01-03T10:00:00.000Z') },
    ]);
    expect(server.requests[0]!.query).toEqual({ 'list-type': '2', 'encoding-type': 'url', prefix: 'transactions/' });
    expect(server.requests[0]!.path).toBe(`/${BUCKET}/`);
    expect(verifySigV4(server.requests[0]!, CREDENTIALS.secretAccessKey).valid).toBe(true);
  });

  test('keys are taken as they are from an S3 that did not encode them (s3rver), entities decoded', async () => {
    server.next((_req, res) => res.writeHead(200).end(listing(['transactions/a+b &amp; 100%.json'])));
    const page = await reader().listObjectsV2({ Bucket: BUCKET });
    expect(page.Contents?.map((c) => c.Key)).toEqual(['transactions/a+b & 100%.json']);
    expect(page.IsTruncated).toBe(false);
    expect(page.NextContinuationToken).toBeUndefined();
  });

  test('an empty listing has no contents, as the SDK reports it', async () => {
    server.next((_req, res) => res.writeHead(200).end(listing([])));
    expect(await reader().listObjectsV2({ Bucket: BUCKET })).toMatchObject({ Contents: undefined, KeyCount: 0, IsTruncated: false });
  });

  test('sends the same listing request as the SDK', async () => {
    server.always((_req, res) => res.writeHead(200).end(listing([])));
    const sdk = new S3Client({ region: 'eu-west-1', endpoint: server.endpoint, forcePathStyle: true, credentials: CREDENTIALS });
    await sdk.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'imports/', ContinuationToken: 'a+b/c=', MaxKeys: 5 }));
    await reader().listObjectsV2({ Bucket: BUCKET, Prefix: 'imports/', ContinuationToken: 'a+b/c=', MaxKeys: 5 });
    sdk.destroy();
    const [fromSdk, ours] = server.requests;
    expect(ours!.path).toBe(fromSdk!.path);
    // Ours also asks for URL-encoded keys; everything the SDK sent is the same.
    expect(ours!.query).toEqual({ ...fromSdk!.query, 'encoding-type': 'url' });
  });
});

describe('S3ObjectStore over the reader', () => {
  test('opens the notified version (no If-Match), or pins the ETag, and asks for the checksum of a whole object', async () => {
    serveObject({ 'x-amz-checksum-sha256': 'c2hhMjU2' });
    const store = new S3ObjectStore(reader());
    const versioned = await store.open(ref('a.json', { versionId: 'v9' }));
    expect(versioned).toMatchObject({ checksumSha256: 'c2hhMjU2', size: OBJECT.length });
    await text(versioned.body);
    await text((await store.open(ref('b.json'))).body);
    const [first, second] = server.requests;
    expect(first!.query).toEqual({ versionId: 'v9' });
    expect(first!.headers['if-match']).toBeUndefined();
    expect(second!.headers['if-match']).toBe('"abc"');
    expect(second!.headers['x-amz-checksum-mode']).toBe('ENABLED');
  });

  test('a range: Range header, no checksum asked for or reported, and the whole object’s size from Content-Range', async () => {
    serveObject({ 'x-amz-checksum-sha256': 'c2hhMjU2' });
    const store = new S3ObjectStore(reader());
    const opened = await store.open(ref('a.json'), { range: { start: 5, end: 14 } });
    expect(await text(opened.body)).toBe(OBJECT.subarray(5, 15).toString());
    expect(opened).toMatchObject({ checksumSha256: undefined, size: OBJECT.length });
    const open = await store.open(ref('a.json'), { range: { start: 600 } });
    expect(await text(open.body)).toBe(OBJECT.subarray(600).toString());
    expect(server.requests.map((r) => [r.headers.range, r.headers['x-amz-checksum-mode']])).toEqual([
      ['bytes=5-14', undefined],
      ['bytes=600-', undefined],
    ]);
  });

  test('a composite (multipart) checksum is left out', async () => {
    serveObject({ 'x-amz-checksum-sha256': 'c2hhMjU2-3', 'x-amz-checksum-type': 'COMPOSITE' });
    const opened = await new S3ObjectStore(reader()).open(ref('a.json'));
    await text(opened.body);
    expect(opened.checksumSha256).toBeUndefined();
  });

  test.each([
    [404, 'NoSuchKey'],
    [404, 'NoSuchVersion'],
    [412, 'PreconditionFailed'],
  ])('%i %s: the object is missing', async (status, code) => {
    server.next(xmlError(status, code));
    await expect(new S3ObjectStore(reader()).open(ref('transactions/4111111111111111.json'))).rejects.toBeInstanceOf(ObjectMissingError);
  });

  test('a missing bucket is not a missing object', async () => {
    server.next(xmlError(404, 'NoSuchBucket'));
    const err = await new S3ObjectStore(reader()).open(ref('a.json')).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'NoSuchBucket' });
    expect(classifyError(err)).toBe('transient');
  });

  test('lists older objects over every page, skipping folders and recent objects', async () => {
    const page = (keys: Array<[string, string]>, next?: string) => (_req: ReceivedRequest, res: import('node:http').ServerResponse) =>
      res
        .writeHead(200)
        .end(
          `<ListBucketResult>${next ? `<NextContinuationToken>${next}</NextContinuationToken>` : ''}<IsTruncated>${Boolean(next)}</IsTruncated>${keys
            .map(
              ([key, modified]) =>
                `<Contents><Key>${key}</Key><LastModified>${modified}</LastModified><ETag>"e-${key}"</ETag><Size>1</Size></Contents>`,
            )
            .join('')}</ListBucketResult>`,
        );
    server.next(
      page(
        [
          ['transactions/', '2025-01-01T00:00:00Z'],
          ['transactions/old.json', '2025-01-01T00:00:00Z'],
        ],
        'page-2',
      ),
      page([
        ['transactions/new.json', '2025-01-03T00:00:00Z'],
        ['transactions/older.json', '2024-12-31T00:00:00Z'],
      ]),
    );
    const listed = [];
    for await (const object of new S3ObjectStore(reader()).listOlderThan(BUCKET, 'transactions/', new Date('2025-01-02T00:00:00Z')))
      listed.push(object);
    expect(listed).toEqual([
      {
        bucket: BUCKET,
        key: 'transactions/old.json',
        eTag: 'e-transactions/old.json',
        size: 1,
        lastModified: new Date('2025-01-01T00:00:00Z'),
      },
      {
        bucket: BUCKET,
        key: 'transactions/older.json',
        eTag: 'e-transactions/older.json',
        size: 1,
        lastModified: new Date('2024-12-31T00:00:00Z'),
      },
    ]);
    expect(server.requests.map((r) => r.query['continuation-token'])).toEqual([undefined, 'page-2']);
  });
});
