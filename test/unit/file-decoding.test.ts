import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { type DecodedFile, decodeFileBody, FileDecodeError, FileReadError } from '../../shared/ingest/file-decoding';
import { type FileEntry, type FileFormat, parseMomaFile } from '../../shared/ingest/moma-file-parser';

const body = (bytes: Buffer, chunkSize = bytes.length || 1) => {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return Readable.from(chunks);
};

async function decode(bytes: Buffer, key = 'transactions/a.json', chunkSize?: number, contentEncoding?: string): Promise<DecodedFile> {
  return decodeFileBody(body(bytes, chunkSize), { key, contentEncoding });
}

async function text(decoded: DecodedFile): Promise<string> {
  if (decoded.kind !== 'text') throw new Error(`expected text, got: ${decoded.reason}`);
  const parts: Buffer[] = [];
  for await (const chunk of decoded.stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

async function entries(decoded: DecodedFile, format: FileFormat, slow = false): Promise<FileEntry[]> {
  if (decoded.kind !== 'text') throw new Error(`expected text, got: ${decoded.reason}`);
  const out: FileEntry[] = [];
  for await (const entry of parseMomaFile(decoded.stream, format)) {
    out.push(entry);
    if (slow && out.length % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return out;
}

const ndjson = (n: number) =>
  `${Array.from({ length: n }, (_, i) =>
    JSON.stringify({ transactionId: `TXN-${i}-${(i * 7919) % 10007}`, amount: 100 + ((i * 31) % 900), product: `P${(i * 13) % 97}` }),
  ).join('\n')}\n`;

const utf16be = (s: string) => Buffer.from(s, 'utf16le').swap16();

describe('decodeFileBody', () => {
  test('plain UTF-8 text passes through untouched', async () => {
    const decoded = await decode(Buffer.from('{"transactionId":"é"}'));
    expect(decoded).toMatchObject({ kind: 'text', encoding: 'utf-8', gzip: false });
    expect(await text(decoded)).toBe('{"transactionId":"é"}');
  });

  test('a UTF-8 byte order mark is dropped, whatever the chunking', async () => {
    for (const size of [1, 2, 3, 4, 100]) {
      expect(await text(await decode(Buffer.from('\ufeff{"a":1}'), undefined, size))).toBe('{"a":1}');
    }
  });

  test.each([
    [
      'UTF-16 LE with a byte order mark',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('[{"p":"Café ☕ 𝄞"}]', 'utf16le')]),
      'utf-16le',
    ],
    ['UTF-16 BE with a byte order mark', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be('[{"p":"Café ☕ 𝄞"}]')]), 'utf-16be'],
    ['UTF-16 LE without a byte order mark', Buffer.from('[{"p":"Café ☕ 𝄞"}]', 'utf16le'), 'utf-16le'],
    ['UTF-16 BE without a byte order mark', utf16be('[{"p":"Café ☕ 𝄞"}]'), 'utf-16be'],
  ])('%s is transcoded to UTF-8, in any chunking', async (_, bytes, encoding) => {
    for (const size of [1, 3, 7, bytes.length]) {
      const decoded = await decode(bytes, undefined, size);
      expect(decoded).toMatchObject({ kind: 'text', encoding });
      expect(await text(decoded)).toBe('[{"p":"Café ☕ 𝄞"}]');
    }
  });

  test('gzip is decompressed while streaming, recognised by its bytes under any key', async () => {
    const plain = ndjson(300);
    for (const [key, contentEncoding] of [
      ['transactions/a.ndjson.gz', undefined],
      ['transactions/a.ndjson', undefined],
      ['transactions/a.ndjson', 'gzip'],
    ]) {
      const decoded = await decode(gzipSync(plain), key, 1_000, contentEncoding);
      expect(decoded).toMatchObject({ kind: 'text', encoding: 'utf-8', gzip: true });
      expect(await text(decoded)).toBe(plain);
    }
  });

  test('gzip of UTF-16 text with a byte order mark is decompressed and transcoded', async () => {
    const decoded = await decode(gzipSync(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"a":"ü"}', 'utf16le')])), 'a.json.gz');
    expect(decoded).toMatchObject({ kind: 'text', encoding: 'utf-16le', gzip: true });
    expect(await text(decoded)).toBe('{"a":"ü"}');
  });

  test('a .gz key or Content-Encoding: gzip over plain text is read as the text it is', async () => {
    expect(await text(await decode(Buffer.from('{"a":1}'), 'a.json.gz', undefined, 'gzip'))).toBe('{"a":1}');
  });

  test('gzip damaged mid-way: every record before the damage, then one final parse error (never a read error)', async () => {
    const plain = ndjson(3_000);
    const zipped = gzipSync(plain);
    const truncated = zipped.subarray(0, Math.floor(zipped.length / 2));
    for (const slow of [false, true]) {
      const all = await entries(await decode(truncated, 'a.ndjson.gz', 512), 'ndjson', slow);
      const last = all[all.length - 1]!;
      expect(last).toMatchObject({ parseError: expect.stringMatching(/^the gzip data is damaged after \d+ bytes/) });
      const good = all.slice(0, -1);
      expect(good.length).toBeGreaterThan(500);
      expect(
        good.every(
          (e, i) => 'record' in e && e.index === i && (e.record as { transactionId: string }).transactionId.startsWith(`TXN-${i}-`),
        ),
      ).toBe(true);
      // The entry points at the first line the damage cut, right after the last record.
      expect(last.line).toBe(good.length + 1);
    }
  });

  test.each([
    [
      'json',
      (n: number) =>
        `{"exportedAt":"x","transactions":[${Array.from({ length: n }, (_, i) => JSON.stringify({ transactionId: `TXN-${i}-${(i * 7919) % 10007}` })).join(',')}]}`,
    ],
    [
      'json',
      (n: number) =>
        `[${Array.from({ length: n }, (_, i) => JSON.stringify({ transactionId: `TXN-${i}-${(i * 7919) % 10007}` })).join(',\n')}]`,
    ],
    [
      'csv',
      (n: number) =>
        `transactionId,date,amount,cardNumber,product,machineId\n${Array.from({ length: n }, (_, i) => `TXN-${i}-${(i * 7919) % 10007},d,1,1234,p,m`).join('\n')}\n`,
    ],
  ] as const)('gzip damaged mid-way in %s: the records before it, then only the gzip entry', async (format, file) => {
    const zipped = gzipSync(file(5_000));
    const all = await entries(await decode(zipped.subarray(0, Math.floor(zipped.length * 0.7)), 'a.gz', 700), format, true);
    const errors = all.filter((e) => 'parseError' in e);
    expect(errors).toEqual([
      expect.objectContaining({
        index: all.length - 1,
        parseError: expect.stringMatching(/^the gzip data is damaged after \d+ bytes: unexpected end of file$/),
      }),
    ]);
    expect(all.length).toBeGreaterThan(1_000);
    for (const [i, e] of all.slice(0, -1).entries()) {
      expect((e as { record: { transactionId: string } }).record.transactionId.startsWith(`TXN-${i}-`)).toBe(true);
    }
  });

  test('gzip with flipped bytes ends with a gzip damage entry, records before it kept', async () => {
    const zipped = Buffer.from(gzipSync(ndjson(3_000)));
    for (let i = Math.floor(zipped.length * 0.6); i < zipped.length * 0.6 + 40; i++) zipped[i] = zipped[i]! ^ 0x5a;
    const all = await entries(await decode(zipped, 'a.ndjson.gz', 4_096), 'ndjson');
    expect(all[all.length - 1]).toMatchObject({ parseError: expect.stringMatching(/^the gzip data is damaged after \d+ bytes/) });
    expect(all.filter((e) => 'record' in e).length).toBeGreaterThan(1_000);
  });

  test('the text stream fails with FileDecodeError, distinct from FileReadError', async () => {
    const zipped = gzipSync(ndjson(50));
    const decoded = await decode(zipped.subarray(0, zipped.length - 10));
    await expect(text(decoded)).rejects.toBeInstanceOf(FileDecodeError);
  });

  test('gzip damaged at its start is unreadable, with the damage named', async () => {
    const decoded = await decode(Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09]));
    expect(decoded).toEqual({ kind: 'unreadable', reason: expect.stringMatching(/^the gzip data is damaged after 0 bytes/) });
  });

  test.each([
    ['zip archive', Buffer.concat([Buffer.from('PK\x03\x04\x14\x00\x00\x00', 'latin1'), Buffer.alloc(100, 1)])],
    ['PDF document', Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n<< /Type /Catalog >>\nendobj\n', 'latin1')],
    ['PNG image', Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64)])],
    ['JPEG image', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10])],
    ['zip archive, inside gzip', gzipSync(Buffer.from('PK\x03\x04 more bytes', 'latin1'))],
  ])('%s is unreadable, named', async (name, bytes) => {
    expect(await decode(bytes)).toEqual({ kind: 'unreadable', reason: `binary content (${name}), not JSON/NDJSON/CSV text` });
  });

  test('content that is mostly not text is unreadable; a stray control byte in text is not', async () => {
    let seed = 7;
    const nextByte = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return (seed >> 16) & 0xff;
    };
    const random = Buffer.from(Array.from({ length: 2_000 }, nextByte));
    expect(await decode(random)).toEqual({
      kind: 'unreadable',
      reason: expect.stringMatching(/^binary content \(\d+% of the first 1024 bytes are not text\)/),
    });
    const damagedText = Buffer.from('{"transactionId":"a"}\n\u0000\n{"transactionId":"b"}');
    expect(await text(await decode(damagedText))).toBe(damagedText.toString());
  });

  test('an empty or whitespace-only body decodes to text with nothing to parse', async () => {
    for (const bytes of [Buffer.alloc(0), Buffer.from('  \n\t\r\n'), gzipSync(Buffer.alloc(0))]) {
      const decoded = await decode(bytes);
      expect(decoded.kind).toBe('text');
      expect(await entries(decoded, 'json')).toEqual([]);
    }
  });

  test('a body that fails while being sniffed is a read error to retry', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('socket hang up'));
      },
    });
    await expect(decodeFileBody(failing, { key: 'a.json' })).rejects.toThrow(FileReadError);
  });

  test('a body that fails later makes the parser throw FileReadError after the records before it', async () => {
    let sent = false;
    const failing = new Readable({
      read() {
        if (!sent) {
          sent = true;
          this.push(Buffer.from('{"transactionId":"a"}\n'.repeat(100)));
        } else setImmediate(() => this.destroy(new Error('ECONNRESET')));
      },
    });
    const decoded = await decodeFileBody(failing, { key: 'a.ndjson' });
    const seen: FileEntry[] = [];
    const consume = async () => {
      if (decoded.kind !== 'text') throw new Error('not text');
      for await (const entry of parseMomaFile(decoded.stream, 'ndjson')) seen.push(entry);
    };
    await expect(consume()).rejects.toThrow(/could not read the file: ECONNRESET/);
    expect(seen).toHaveLength(100);
  });

  test('a reader that stops early releases the body', async () => {
    const source = body(Buffer.from(ndjson(5_000)), 1_024);
    const decoded = await decodeFileBody(source, { key: 'a.ndjson' });
    if (decoded.kind !== 'text') throw new Error('not text');
    for await (const entry of parseMomaFile(decoded.stream, 'ndjson')) if (entry.index === 3) break;
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.destroyed).toBe(true);
  });
});
