import { Readable } from 'node:stream';
import fc from 'fast-check';
import { formatForKey, parseMomaFile, type FileEntry, type FileFormat } from '../../shared/ingest/moma-file-parser';

async function parse(chunks: string[] | string, format: FileFormat): Promise<FileEntry[]> {
  const out: FileEntry[] = [];
  for await (const entry of parseMomaFile(Readable.from([chunks].flat().map((c) => Buffer.from(c))), format)) out.push(entry);
  return out;
}

const records = (entries: FileEntry[]) => entries.map((e) => ('record' in e ? e.record : e));

/** Splits text into random chunks, as a network stream would deliver it. */
const chunked = (text: string, cuts: number[]) => {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let last = 0;
  for (const p of points) {
    chunks.push(text.slice(last, p));
    last = p;
  }
  chunks.push(text.slice(last));
  return chunks.filter((c) => c.length > 0);
};

const jsonRecord = fc.record({
  transactionId: fc.string({ maxLength: 20 }),
  amount: fc.integer(),
  nested: fc.option(fc.record({ list: fc.array(fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null)), { maxLength: 3 }) }), { nil: undefined }),
});

describe('parseMomaFile', () => {
  test.each([
    ['transactions/a.json', 'json'],
    ['transactions/a.NDJSON', 'ndjson'],
    ['transactions/a.jsonl', 'ndjson'],
    ['imports/a.csv', 'csv'],
    ['transactions/a.txt', undefined],
    ['transactions/noext', undefined],
  ])('%s is read as %s', (key, format) => expect(formatForKey(key)).toBe(format));

  test('one object, an array, a wrapper and concatenated objects all yield their records', async () => {
    expect(records(await parse('{"transactionId":"a"}', 'json'))).toEqual([{ transactionId: 'a' }]);
    expect(records(await parse('[{"transactionId":"a"},{"transactionId":"b"}]', 'json'))).toEqual([{ transactionId: 'a' }, { transactionId: 'b' }]);
    expect(records(await parse('{"exportedAt":"x","transactions":[{"transactionId":"a"}],"count":1}', 'json'))).toEqual([{ transactionId: 'a' }]);
    expect(records(await parse('{"transactionId":"a"}\n{"transactionId":"b"}', 'json'))).toEqual([{ transactionId: 'a' }, { transactionId: 'b' }]);
  });

  // Issue 9: a syntax error no longer ends the file; it costs the damaged element (see the damage tests).
  test('a JSON syntax error keeps every record before it and costs only the damaged element', async () => {
    const entries = await parse('[{"transactionId":"a"},{"transactionId":"b"},{"transactionId" "c"}]', 'json');
    expect(records(entries.slice(0, 2))).toEqual([{ transactionId: 'a' }, { transactionId: 'b' }]);
    expect(entries[2]).toMatchObject({ index: 2, offset: 45, parseError: expect.stringMatching(/^invalid JSON at byte 62 \(line 1\): unexpected character '"' where ':' was expected/) });
    expect(entries).toHaveLength(3);
  });

  test('a truncated JSON file is reported as such', async () => {
    const entries = await parse('[{"transactionId":"a"},', 'json');
    expect(entries[0]).toMatchObject({ record: { transactionId: 'a' } });
    expect(entries[1]).toMatchObject({ parseError: expect.stringContaining('invalid JSON') });
  });

  test('NDJSON: a bad line costs only that line, with its line number', async () => {
    const entries = await parse('{"transactionId":"a"}\n\nnot json 4111111111111111\r\n{"transactionId":"b"}\n', 'ndjson');
    expect(entries).toEqual([
      { index: 0, line: 1, offset: 0, record: { transactionId: 'a' } },
      { index: 1, line: 3, offset: 23, parseError: expect.stringMatching(/^invalid JSON/), raw: 'not json 4111111111111111' },
      { index: 2, line: 4, offset: 50, record: { transactionId: 'b' } },
    ]);
  });

  test('CSV: header row, amounts become numbers, line numbers kept', async () => {
    const entries = await parse('transactionId,date,amount,cardNumber,product,machineId\nT1,2025-01-01T00:00:00Z,350,1234,"Coffee, large",V1\nT2,2025-01-01T00:00:00Z,3.50,1234,Tea,V1\n', 'csv');
    expect(entries).toEqual([
      { index: 0, line: 2, offset: 55, record: { transactionId: 'T1', date: '2025-01-01T00:00:00Z', amount: 350, cardNumber: '1234', product: 'Coffee, large', machineId: 'V1' } },
      { index: 1, line: 3, offset: 107, record: expect.objectContaining({ transactionId: 'T2', amount: 3.5 }) },
    ]);
  });

  test('property: every layout and every chunking yields the same records in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(jsonRecord, { maxLength: 15 }), fc.array(fc.nat(), { maxLength: 6 }), async (list, cuts) => {
        const expected = JSON.parse(JSON.stringify(list));
        const layouts: [string, FileFormat][] = [
          [JSON.stringify(list), 'json'],
          [JSON.stringify({ transactions: list }), 'json'],
          [list.map((r) => JSON.stringify(r)).join('\n'), 'ndjson'],
        ];
        if (list.length > 0) layouts.push([list.map((r) => JSON.stringify(r, null, 2)).join('\n'), 'json']);
        for (const [text, format] of layouts) {
          expect(records(await parse(chunked(text, cuts), format))).toEqual(expected);
        }
      }),
      { numRuns: 60 },
    );
  });

  test('a failing input stream is a read error to retry, not a malformed file', async () => {
    const failing = new Readable({
      read() {
        this.push('[{"transactionId":"a"},');
        this.destroy(new Error('socket hang up'));
      },
    });
    const consume = async () => {
      for await (const _ of parseMomaFile(failing, 'json')) void _;
    };
    await expect(consume()).rejects.toThrow('could not read the file: socket hang up');
  });
});
