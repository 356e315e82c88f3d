import { Readable } from 'node:stream';
import fc from 'fast-check';
import { type FileEntry, type FileFormat, parseMomaFile } from '../../shared/ingest/moma-file-parser';

async function parse(bytes: Buffer, format: FileFormat, cuts: number[]): Promise<FileEntry[]> {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let last = 0;
  for (const p of [...points, bytes.length]) {
    if (p > last) chunks.push(bytes.subarray(last, p));
    last = p;
  }
  const out: FileEntry[] = [];
  for await (const entry of parseMomaFile(Readable.from(chunks), format)) out.push(entry);
  return out;
}

const goodIds = (entries: FileEntry[]) =>
  entries.flatMap((e) => {
    const id =
      'record' in e && e.record !== null && typeof e.record === 'object'
        ? (e.record as { transactionId?: unknown }).transactionId
        : undefined;
    return typeof id === 'string' && /^G\d+$/.test(id) ? [id] : [];
  });
const errorCount = (entries: FileEntry[]) => entries.filter((e) => 'parseError' in e).length;

/** Entries are well formed whatever the input: sequential indexes, offsets inside the text, no parser defect. */
function expectWellFormed(entries: FileEntry[], length: number) {
  entries.forEach((e, i) => {
    expect(e.index).toBe(i);
    expect('record' in e || typeof (e as { parseError?: unknown }).parseError === 'string').toBe(true);
    if (e.offset !== undefined) expect(e.offset >= 0 && e.offset <= length).toBe(true);
    if ('parseError' in e) {
      expect(e.parseError).not.toMatch(/could not be read past/);
      if (e.raw !== undefined) expect(e.raw.length).toBeLessThanOrEqual(2_000);
    }
  });
}

const text = fc.string({ unit: fc.constantFrom(...'abcXYZ019 {}[],:é☕-_/'.split('')), maxLength: 12 });
const goodRecord = (id: string) =>
  fc.record({
    transactionId: fc.constant(id),
    amount: fc.integer({ min: 1, max: 100_000 }),
    product: text,
    machineId: text,
    date: fc.constant('2025-01-01T00:00:00Z'),
  });
const goodList = fc.integer({ min: 0, max: 12 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => goodRecord(`G${i}`))));

const jsonDamage = fc.oneof(
  fc.constant('garbage'),
  fc.constant('\u0000'),
  fc.constant('\u0001\u0002\u001f'),
  fc.constant('{"transactionId":"bad","amount":NaN}'),
  fc.constant('{"transactionId":"bad","amount":Infinity}'),
  fc.constant('{"transactionId":"bad",,"amount":1}'),
  fc.constant('{"transactionId":"bad" "amount":1}'),
  fc.constant("{'transactionId':'bad'}"),
  fc.constant('] ]'),
  fc.constant('{"transactionId":"bad","product":"unterminated\n'),
  // A record cut short at a random point (the rest of the file continues after it).
  fc.tuple(goodRecord('cut'), fc.nat()).map(([r, n]) => {
    const full = JSON.stringify(r);
    return full.slice(0, 1 + (n % (full.length - 1)));
  }),
);

type Layout = 'concatenated' | 'array' | 'wrapper';

/** Good records in a layout, with damage in some gaps; returns the text and the number of damaged gaps. */
function jsonFile(list: object[], damage: (string | null)[], layout: Layout, pretty: boolean): [string, number] {
  const parts: string[] = [];
  let damaged = 0;
  list.forEach((r, i) => {
    const d = damage[i % Math.max(damage.length, 1)];
    if (d != null && damage.length > 0) {
      parts.push(d);
      damaged++;
    }
    parts.push(pretty ? JSON.stringify(r, null, 2) : JSON.stringify(r));
  });
  if (layout === 'concatenated') return [parts.join('\n'), damaged];
  const body = parts.join(pretty ? ',\n' : ',');
  return [layout === 'array' ? `[${body}]` : `{"exportedAt":"x","transactions":[${body}],"count":${list.length}}`, damaged];
}

describe('parseMomaFile properties', () => {
  test('JSON: every good record exactly once, in order, and every damage a parse error, in every layout and chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        goodList,
        fc.array(fc.option(jsonDamage, { nil: null }), { maxLength: 6 }),
        fc.constantFrom<Layout>('concatenated', 'array', 'wrapper'),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 8 }),
        async (list, damage, layout, pretty, cuts) => {
          const [file, damaged] = jsonFile(list, damage, layout, pretty);
          const bytes = Buffer.from(file);
          const entries = await parse(bytes, 'json', cuts);
          expectWellFormed(entries, bytes.length);
          expect(goodIds(entries)).toEqual(list.map((r) => r.transactionId));
          expect(errorCount(entries)).toBeGreaterThanOrEqual(damaged);
          if (damaged === 0) expect(errorCount(entries)).toBe(0);
          for (const e of entries) {
            if (!('record' in e) || !goodIds([e]).length) continue;
            expect(bytes[e.offset!]).toBe(0x7b);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  test('NDJSON: a bad line costs that line only', async () => {
    const badLine = fc.oneof(
      fc.constant('garbage'),
      fc.constant('{"transactionId":"bad","amount":NaN}'),
      fc.constant('\u0000'),
      fc.constant('{"transactionId":"bad"'),
      fc.constant('{"a":1} {"b":2}'),
      fc.constant('{"product":"unterminated'),
    );
    await fc.assert(
      fc.asyncProperty(
        goodList,
        fc.array(fc.option(badLine, { nil: null }), { maxLength: 6 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 8 }),
        async (list, damage, crlf, cuts) => {
          const lines: string[] = [];
          let damaged = 0;
          list.forEach((r, i) => {
            const d = damage.length > 0 ? damage[i % damage.length] : null;
            if (d != null) {
              lines.push(d);
              damaged++;
            }
            if (i % 4 === 3) lines.push('');
            lines.push(JSON.stringify(r));
          });
          const file = lines.join(crlf ? '\r\n' : '\n');
          const bytes = Buffer.from(file);
          const entries = await parse(bytes, 'ndjson', cuts);
          expectWellFormed(entries, bytes.length);
          expect(goodIds(entries)).toEqual(list.map((r) => r.transactionId));
          expect(errorCount(entries)).toBe(damaged);
          for (const e of entries) expect(e.line).toBe(bytes.subarray(0, e.offset).toString().split('\n').length);
        },
      ),
      { numRuns: 150 },
    );
  });

  test('CSV: a malformed row costs that row only', async () => {
    const field = fc.string({ unit: fc.constantFrom(...'ab1 ,"\né'.split('')), maxLength: 8 }).map((s) => s.trim());
    const csvField = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    const row = (id: string) =>
      fc.tuple(fc.integer({ min: 1, max: 99_999 }), field, field).map(([amount, product, machine]) => ({ id, amount, product, machine }));
    const rows = fc.integer({ min: 0, max: 12 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => row(`G${i}`))));
    const badRow = fc.oneof(
      fc.constant('B1,d,350,1234,Coffee'),
      fc.constant('B2,d,350,1234,Coffee,V1,extra'),
      fc.constant('B3,d,3"50,1234,Coffee,V1'),
      fc.constant('B4,d,350,1234,"Coffee"large,V1'),
      fc.constant('B5,d,350,1234,"Coffee,V1'),
      fc.constant('"B6,d,350,1234,Coffee,V1'),
    );
    await fc.assert(
      fc.asyncProperty(
        rows,
        fc.array(fc.option(badRow, { nil: null }), { maxLength: 6 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 8 }),
        async (list, damage, crlf, cuts) => {
          const lines = ['transactionId,date,amount,cardNumber,product,machineId'];
          let damaged = 0;
          list.forEach((r, i) => {
            const d = damage.length > 0 ? damage[i % damage.length] : null;
            if (d != null) {
              lines.push(d);
              damaged++;
            }
            lines.push([r.id, '2025-01-01T00:00:00Z', String(r.amount), '1234', csvField(r.product), csvField(r.machine)].join(','));
          });
          const bytes = Buffer.from(`${lines.join(crlf ? '\r\n' : '\n')}\n`);
          const entries = await parse(bytes, 'csv', cuts);
          expectWellFormed(entries, bytes.length);
          expect(entries.flatMap((e) => ('record' in e ? [e.record] : []))).toEqual(
            list.map((r) => ({
              transactionId: r.id,
              date: '2025-01-01T00:00:00Z',
              amount: r.amount,
              cardNumber: '1234',
              product: r.product,
              machineId: r.machine,
            })),
          );
          expect(errorCount(entries)).toBe(damaged);
        },
      ),
      { numRuns: 150 },
    );
  });

  test('random and mutated bytes never throw or hang, in every format', async () => {
    const seedFile = Buffer.from(
      `[${[1, 2, 3].map((i) => JSON.stringify({ transactionId: `T${i}`, amount: 350, product: 'Coffee, "large"' })).join(',\n')}]\ntransactionId,date,amount,cardNumber,product,machineId\nT1,d,350,1234,"a,b",V1\n`,
    );
    const mutated = fc
      .array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean()), { minLength: 1, maxLength: 8 })
      .map((edits) => {
        const bytes = [...seedFile];
        for (const [at, byte, insert] of edits) {
          if (insert) bytes.splice(at % (bytes.length + 1), 0, byte);
          else bytes[at % bytes.length] = byte;
        }
        return Buffer.from(bytes);
      });
    const structural = fc
      .array(fc.constantFrom(...'{}[]",:\\ \n\r0-1eE.tfnNaIu\u0000\uFEFFx'.split('')), { maxLength: 120 })
      .map((cs) => Buffer.from(cs.join('')));
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)),
      mutated,
      structural,
    );
    await fc.assert(
      fc.asyncProperty(input, fc.array(fc.nat(), { maxLength: 8 }), async (bytes, cuts) => {
        for (const format of ['json', 'ndjson', 'csv'] as FileFormat[]) {
          const entries = await parse(bytes, format, cuts);
          expectWellFormed(entries, bytes.length);
          // Chunking never changes what is read.
          expect(await parse(bytes, format, [])).toEqual(entries);
        }
      }),
      { numRuns: 300 },
    );
  });
});
