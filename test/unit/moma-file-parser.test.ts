import { Readable } from 'node:stream';
import fc from 'fast-check';
import { type FileEntry, type FileFormat, formatForKey, parseMomaFile } from '../../shared/ingest/moma-file-parser';

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
  nested: fc.option(fc.record({ list: fc.array(fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null)), { maxLength: 3 }) }), {
    nil: undefined,
  }),
});

describe('parseMomaFile', () => {
  test.each([
    ['transactions/a.json', 'json'],
    ['transactions/a.NDJSON', 'ndjson'],
    ['transactions/a.jsonl', 'ndjson'],
    ['imports/a.csv', 'csv'],
    ['transactions/a.json.gz', 'json'],
    ['transactions/a.NDJSON.GZ', 'ndjson'],
    ['transactions/a.jsonl.gz', 'ndjson'],
    ['imports/a.csv.gz', 'csv'],
    ['transactions/a.gz', undefined],
    ['transactions/a.txt.gz', undefined],
    ['transactions/v1.2/noext', undefined],
    ['transactions/a.txt', undefined],
    ['transactions/noext', undefined],
  ])('%s is read as %s', (key, format) => expect(formatForKey(key)).toBe(format));

  test('one object, an array, a wrapper and concatenated objects all yield their records', async () => {
    expect(records(await parse('{"transactionId":"a"}', 'json'))).toEqual([{ transactionId: 'a' }]);
    expect(records(await parse('[{"transactionId":"a"},{"transactionId":"b"}]', 'json'))).toEqual([
      { transactionId: 'a' },
      { transactionId: 'b' },
    ]);
    expect(records(await parse('{"exportedAt":"x","transactions":[{"transactionId":"a"}],"count":1}', 'json'))).toEqual([
      { transactionId: 'a' },
    ]);
    expect(records(await parse('{"transactionId":"a"}\n{"transactionId":"b"}', 'json'))).toEqual([
      { transactionId: 'a' },
      { transactionId: 'b' },
    ]);
  });

  // Issue 9: a syntax error no longer ends the file; it costs the damaged element (see the damage tests).
  test('a JSON syntax error keeps every record before it and costs only the damaged element', async () => {
    const entries = await parse('[{"transactionId":"a"},{"transactionId":"b"},{"transactionId" "c"}]', 'json');
    expect(records(entries.slice(0, 2))).toEqual([{ transactionId: 'a' }, { transactionId: 'b' }]);
    expect(entries[2]).toMatchObject({
      index: 2,
      offset: 45,
      parseError: expect.stringMatching(/^invalid JSON at byte 62 \(line 1\): unexpected character '"' where ':' was expected/),
    });
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
    const entries = await parse(
      'transactionId,date,amount,cardNumber,product,machineId\nT1,2025-01-01T00:00:00Z,350,1234,"Coffee, large",V1\nT2,2025-01-01T00:00:00Z,3.50,1234,Tea,V1\n',
      'csv',
    );
    expect(entries).toEqual([
      {
        index: 0,
        line: 2,
        offset: 55,
        record: {
          transactionId: 'T1',
          date: '2025-01-01T00:00:00Z',
          amount: 350,
          cardNumber: '1234',
          product: 'Coffee, large',
          machineId: 'V1',
        },
      },
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

const ok = (id: string) => JSON.stringify({ transactionId: id, amount: 350 });
const errors = (entries: FileEntry[]) => entries.filter((e): e is Extract<FileEntry, { parseError: string }> => 'parseError' in e);
const ids = (entries: FileEntry[]) =>
  entries.flatMap((e) => ('record' in e ? [(e.record as { transactionId?: string }).transactionId] : []));
/** Feeds the bytes one at a time, in random-size pieces and whole: the entries must not depend on it. */
async function parseEveryWay(text: string, format: FileFormat): Promise<FileEntry[]> {
  const bytes = Buffer.from(text);
  const whole = await parse(text, format);
  const ones: FileEntry[] = [];
  for await (const e of parseMomaFile(Readable.from([...bytes].map((b) => Buffer.from([b]))), format)) ones.push(e);
  expect(ones).toEqual(whole);
  let seed = bytes.length;
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; ) {
    seed = (seed * 16807) % 2147483647;
    const size = 1 + (seed % 17);
    pieces.push(bytes.subarray(i, i + size));
    i += size;
  }
  const random: FileEntry[] = [];
  for await (const e of parseMomaFile(Readable.from(pieces), format)) random.push(e);
  expect(random).toEqual(whole);
  return whole;
}

describe('parseMomaFile: damage costs only the damaged part', () => {
  test.each([
    ['garbage between concatenated objects', `${ok('a')} garbage ${ok('b')}`, /unexpected character 'g' where a record was expected/],
    ['a raw NUL outside strings', `${ok('a')}\n\u0000\n${ok('b')}`, /unexpected byte 0x00 where a record was expected/],
    [
      'control bytes inside an object',
      `${ok('a')}\n{"transactionId":"x",\u0001"amount":1}\n${ok('b')}`,
      /unexpected byte 0x01 where a property name was expected/,
    ],
    [
      'a NaN literal',
      `[${ok('a')},{"transactionId":"x","amount":NaN},${ok('b')}]`,
      /unexpected character 'N' \('NaN' is not a JSON value\)/,
    ],
    ['an Infinity literal', `[${ok('a')},{"transactionId":"x","amount":-Infinity},${ok('b')}]`, /unexpected character 'I'/],
    ['junk between array elements', `[${ok('a')}, junk, ${ok('b')}]`, /unexpected character 'j' where a value was expected/],
    ['a missing value', `[${ok('a')},{"transactionId":"x","amount":},${ok('b')}]`, /unexpected character '}' where a value was expected/],
    ['a truncated element followed by the next', `[${ok('a')},{"transactionId":"x","am,${ok('b')}]`, /invalid JSON at byte \d+ \(line 1\)/],
    [
      'an unterminated string (line-level resync)',
      `[\n${ok('a')},\n{"transactionId":"x","product":"Coff\n${ok('b')}\n]`,
      /a line break inside a string/,
    ],
    [
      'a truncated concatenated object',
      `${ok('a')}\n{"transactionId":"x","amount":35\n${ok('b')}\n`,
      /unexpected character '\{' where ',' or '\}' was expected/,
    ],
    ['a double comma', `[${ok('a')},,${ok('b')}]`, /unexpected character ',' where a record was expected/],
    [
      'damage inside a wrapper',
      `{"exportedAt":"x","transactions":[${ok('a')},{"amount":NaN},${ok('b')}],"count":3}`,
      /'NaN' is not a JSON value/,
    ],
  ])('%s: one parse error, the records before and after kept', async (_, text, reason) => {
    const entries = await parseEveryWay(text, 'json');
    expect(ids(entries)).toEqual(['a', 'b']);
    expect(errors(entries)).toHaveLength(1);
    const [error] = errors(entries);
    expect(error!.parseError).toMatch(/^invalid JSON at byte \d+ \(line \d+\): /);
    expect(error!.parseError).toMatch(reason);
    expect(entries.map((e) => e.index)).toEqual([0, 1, 2]);
    expect(entries[1]).toBe(error);
    // The offset points into the damaged text, which raw starts with.
    expect(text.slice(error!.offset).startsWith(error!.raw!.slice(0, 10))).toBe(true);
    expect(error!.raw!.length).toBeLessThanOrEqual(2_000);
  });

  test('offsets and lines of records and damage are exact', async () => {
    const text = `[\n  ${ok('a')},\n  {"transactionId":"x","amount":NaN},\n  ${ok('b')}\n]`;
    const entries = await parseEveryWay(text, 'json');
    expect(entries).toEqual([
      { index: 0, line: 2, offset: 4, record: { transactionId: 'a', amount: 350 } },
      {
        index: 1,
        line: 3,
        offset: text.indexOf('{"transactionId":"x"'),
        parseError: `invalid JSON at byte ${text.indexOf('NaN')} (line 3): unexpected character 'N' ('NaN' is not a JSON value); 38 bytes skipped`,
        raw: '{"transactionId":"x","amount":NaN},\n  ',
      },
      { index: 2, line: 4, offset: text.lastIndexOf('{'), record: { transactionId: 'b', amount: 350 } },
    ]);
  });

  test('a truncated file: the records before it and one error at the end', async () => {
    expect(await parseEveryWay(`[${ok('a')},${ok('b')}`, 'json')).toEqual([
      expect.objectContaining({ index: 0, record: { transactionId: 'a', amount: 350 } }),
      expect.objectContaining({ index: 1, record: { transactionId: 'b', amount: 350 } }),
      { index: 2, line: 1, offset: 70, parseError: 'invalid JSON at byte 70 (line 1): the file ends before the array is closed' },
    ]);
    const cut = await parseEveryWay(`[${ok('a')},{"transactionId":"b","am`, 'json');
    expect(ids(cut)).toEqual(['a']);
    expect(errors(cut)).toEqual([
      expect.objectContaining({ offset: 36, parseError: expect.stringContaining('the file ends inside a string') }),
    ]);
  });

  test('a record larger than 1 MiB is one parse error and its text is skipped, in every layout', async () => {
    const huge = JSON.stringify({ transactionId: 'big', product: 'x'.repeat(1_100_000) });
    for (const text of [
      `[${ok('a')},${huge},${ok('b')}]`,
      `${ok('a')}\n${huge}\n${ok('b')}`,
      `{"transactions":[${ok('a')},${huge},${ok('b')}]}`,
    ]) {
      const entries = await parse(chunked(text, [100, 70_000, 500_000, 900_000, 1_050_000]), 'json');
      expect(ids(entries)).toEqual(['a', 'b']);
      const offset = text.indexOf('{"transactionId":"big"');
      const line = text.slice(0, offset).split('\n').length;
      expect(errors(entries)).toEqual([
        {
          index: 1,
          line,
          offset,
          parseError: `invalid JSON: the record at byte ${offset} (line ${line}) is larger than 1 MiB`,
          raw: huge.slice(0, 2_000),
        },
      ]);
    }
    // A 1 MB value inside a record under the limit is still a record, for validation to reject by field.
    const large = JSON.stringify({ transactionId: 'x'.repeat(1_000_000) });
    expect((await parse(`[${large},${ok('a')}]`, 'json')).map((e) => 'record' in e)).toEqual([true, true]);
  });

  test('a wrapper larger than 1 MiB streams its records', async () => {
    const list = Array.from({ length: 12_000 }, (_, i) => ok(`T${i}`));
    const entries = await parse(
      chunked(`{"exportedAt":"x","transactions":[${list.join(',')}],"count":12000}`, [10_000, 400_000, 800_000]),
      'json',
    );
    expect(ids(entries)).toEqual(list.map((_, i) => `T${i}`));
  });

  test('damage inside an oversized wrapper costs only the element', async () => {
    const list = Array.from({ length: 12_000 }, (_, i) => (i === 7_000 ? '{"transactionId":"x","amount":NaN}' : ok(`T${i}`)));
    const entries = await parse(chunked(`{"transactions":[${list.join(',')}]}`, [64_000, 128_000]), 'json');
    expect(ids(entries)).toHaveLength(11_999);
    expect(errors(entries)).toEqual([
      expect.objectContaining({ index: 7_000, parseError: expect.stringContaining("'NaN' is not a JSON value") }),
    ]);
  });

  test('the wrapper rule: transactions must be an array and there must be no transactionId', async () => {
    const wrapped = await parseEveryWay(`{"exportedAt":"x","transactions":[${ok('a')},${ok('b')}]}`, 'json');
    expect(ids(wrapped)).toEqual(['a', 'b']);
    expect(wrapped.map((e) => e.offset)).toEqual([34, 69]);
    for (const text of [
      `{"transactionId":"T","transactions":[${ok('a')}]}`,
      `{"transactions":[${ok('a')}],"transactionId":"T"}`,
      '{"transactions":"not an array","amount":1}',
      '{"transactions":{"a":1}}',
    ]) {
      expect(await parseEveryWay(text, 'json')).toEqual([{ index: 0, line: 1, offset: 0, record: JSON.parse(text) }]);
    }
  });

  test('a damaged record holding a transactions array is a parse error at its start; the records after it are kept', async () => {
    // Objects nested in a damaged record may be read as records too (validation then judges them).
    for (const text of [
      `{"transactionId":"T","transactions":[${ok('a')},NaN]}\n${ok('b')}`,
      `{"transactions":[${ok('a')}],"transactionId":"T","x":NaN}\n${ok('b')}`,
    ]) {
      const entries = await parseEveryWay(text, 'json');
      expect(entries[0]).toMatchObject({ offset: 0, parseError: expect.stringContaining("'NaN' is not a JSON value") });
      expect(ids(entries).at(-1)).toBe('b');
    }
  });

  test('stray closing brackets between records cost nothing else', async () => {
    const entries = await parseEveryWay(
      `${ok('a')}
}
${ok('b')}
]]
${ok('c')}`,
      'json',
    );
    expect(ids(entries)).toEqual(['a', 'b', 'c']);
    expect(errors(entries).map((e) => e.parseError)).toEqual([
      "invalid JSON at byte 35 (line 2): unexpected character '}' where a record was expected; 2 bytes skipped",
      "invalid JSON at byte 72 (line 4): unexpected character ']' where a record was expected; 3 bytes skipped",
    ]);
  });

  test('damage that hides whether an object is a wrapper: its records are kept', async () => {
    // The transactionId after the damage cannot be seen, so the object is read as the wrapper it began as.
    const entries = await parseEveryWay(`{"transactions":[${ok('a')},NaN],"transactionId":"T"}\n${ok('b')}`, 'json');
    expect(ids(entries)).toEqual(['a', 'b']);
    expect(errors(entries)).toHaveLength(1);
  });

  test('non-object values are records for validation to reject; a BOM is skipped', async () => {
    expect(records(await parseEveryWay('\ufeff[1,"x",null,[2],{"transactionId":"a"}]', 'json'))).toEqual([
      1,
      'x',
      null,
      [2],
      { transactionId: 'a' },
    ]);
    expect(records(await parseEveryWay('\ufeff42 "x" {"transactionId":"a"}', 'json'))).toEqual([42, 'x', { transactionId: 'a' }]);
  });

  test('empty and whitespace-only files yield nothing', async () => {
    for (const format of ['json', 'ndjson', 'csv'] as FileFormat[]) {
      expect(await parse('', format)).toEqual([]);
      expect(await parse(' \n\r\n\t ', format)).toEqual([]);
    }
  });

  test('reasons never quote the damaged value (card numbers stay in raw only)', async () => {
    const entries = await parse(`[{"cardNumber":4111111111111111x}]\n`, 'json');
    expect(errors(entries)[0]!.parseError).not.toContain('4111');
    const line = await parse('{"cardNumber":"4111111111111111"\n', 'ndjson');
    expect(errors(line)[0]!.parseError).toBe('invalid JSON at byte 32 (line 1): the line ends inside an unclosed object');
  });
});

describe('parseMomaFile: prototype keys', () => {
  const proto =
    '{"__proto__":{"amount":350},"constructor":{"prototype":{"amount":1}},"transactionId":"p","nested":{"__proto__":{"x":1},"ok":1}}';
  const escaped = '{"\\u005f_proto__":{"amount":350},"transactionId":"q"}';

  test.each([
    ['json', `[${proto},${escaped}]`],
    ['ndjson', `${proto}\n${escaped}\n`],
  ])('%s: prototype keys are dropped at every depth and records have no prototype', async (format, text) => {
    const entries = await parse(text, format as FileFormat);
    for (const entry of entries) {
      const record = (entry as { record: Record<string, unknown> }).record;
      expect(Object.getPrototypeOf(record)).toBeNull();
      expect(record.amount).toBeUndefined();
      expect(Object.keys(record)).not.toContain('__proto__');
      expect(Object.hasOwn(record, 'constructor')).toBe(false);
    }
    const first = (entries[0] as { record: Record<string, unknown> }).record;
    expect(JSON.parse(JSON.stringify(first))).toEqual({ transactionId: 'p', nested: { ok: 1 } });
    expect(Object.getPrototypeOf(first.nested)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).amount).toBeUndefined();
  });

  test('csv: columns named like prototype keys never reach the record', async () => {
    const entries = await parse(
      'transactionId,date,amount,cardNumber,product,machineId,__proto__,constructor\nT1,d,350,1234,p,m,x,y\n',
      'csv',
    );
    const record = (entries[0] as { record: Record<string, unknown> }).record;
    expect(Object.getPrototypeOf(record)).toBeNull();
    expect(Object.keys(record)).toEqual(['transactionId', 'date', 'amount', 'cardNumber', 'product', 'machineId']);
  });
});

describe('parseMomaFile: NDJSON lines', () => {
  test('bad lines of every kind cost their line, with specific reasons and offsets', async () => {
    const text = [
      ok('a'),
      '{"amount":NaN}',
      '\u0000',
      '{"transactionId":"x"} trailing',
      '{"transactionId":"y"',
      ok('b'),
      '[1]',
      '"str"',
    ].join('\n');
    const entries = await parseEveryWay(text, 'ndjson');
    const at = (s: string) => text.indexOf(s);
    expect(entries.map((e) => ('record' in e ? e.record : e.parseError))).toEqual([
      { transactionId: 'a', amount: 350 },
      `invalid JSON at byte ${at('NaN')} (line 2): unexpected character 'N' ('NaN' is not a JSON value)`,
      `invalid JSON at byte ${at('\u0000')} (line 3): unexpected byte 0x00 where a value was expected`,
      `invalid JSON at byte ${at('trailing')} (line 4): unexpected character 't' where the end of the line was expected after the record`,
      `invalid JSON at byte ${at('"y"') + 3} (line 5): the line ends inside an unclosed object`,
      { transactionId: 'b', amount: 350 },
      [1],
      'str',
    ]);
    const lineStarts = [0, ...[...text.matchAll(/\n/g)].map((m) => m.index! + 1)];
    expect(entries.map((e) => [e.index, e.line, e.offset])).toEqual(lineStarts.map((offset, i) => [i, i + 1, offset]));
  });

  test('a line over 1 MiB is one parse error naming it; its text is not kept', async () => {
    const huge = JSON.stringify({ transactionId: 'big', product: 'x'.repeat(1_100_000) });
    const entries = await parse(chunked(`${ok('a')}\n${huge}\r\n${ok('b')}`, [10, 300_000, 700_000]), 'ndjson');
    expect(ids(entries)).toEqual(['a', 'b']);
    expect(errors(entries)).toEqual([
      {
        index: 1,
        line: 2,
        offset: 35,
        parseError: 'invalid JSON: the record at byte 35 (line 2) is larger than 1 MiB',
        raw: huge.slice(0, 2_000),
      },
    ]);
  });
});

describe('parseMomaFile: CSV row by row', () => {
  const header = 'transactionId,date,amount,cardNumber,product,machineId';
  const row = (id: string) => `${id},2025-01-01T00:00:00Z,350,1234,Coffee,V1`;

  test.each([
    ['too few fields', 'T9,2025-01-01T00:00:00Z,350,1234,Coffee', 'invalid CSV at line 3: 5 fields, the header has 6'],
    ['too many fields', 'T9,2025-01-01T00:00:00Z,350,1234,Coffee,V1,extra', 'invalid CSV at line 3: 7 fields, the header has 6'],
    ['a stray quote', 'T9,2025-01-01T00:00:00Z,3"50,1234,Coffee,V1', 'invalid CSV at line 3: a quote inside the unquoted field 3'],
    [
      'an invalid closing quote',
      'T9,2025-01-01T00:00:00Z,350,1234,"Coffee"large,V1',
      "invalid CSV at line 3: character 'l' after the closing quote of field 5",
    ],
    [
      'an unclosed quote',
      'T9,2025-01-01T00:00:00Z,350,1234,"Coffee,V1',
      'invalid CSV at line 3: field 5 opens a quote that is not closed on its line',
    ],
    [
      'an unclosed quote before a quoted field',
      'T9,2025-01-01T00:00:00Z,350,1234,"Coffee,V1\nT8,2025-01-01T00:00:00Z,350,1234,"Tea, hot",V1',
      'invalid CSV at line 3: field 5 opens a quote that is not closed on its line',
    ],
  ])('%s costs only that row', async (_, bad, reason) => {
    const text = `${header}\n${row('T1')}\n${bad}\n${row('T2')}\r\n${row('T3')}\n`;
    const entries = await parseEveryWay(text, 'csv');
    const expectedIds = bad.includes('T8') ? ['T1', 'T8', 'T2', 'T3'] : ['T1', 'T2', 'T3'];
    expect(ids(entries)).toEqual(expectedIds);
    expect(errors(entries)).toEqual([{ index: 1, line: 3, offset: text.indexOf('T9'), parseError: reason, raw: bad.split('\n')[0] }]);
  });

  test('an unclosed quote at the end of the file costs its row only', async () => {
    const entries = await parseEveryWay(`${header}\n${row('T1')}\nT9,d,350,1234,"Coffee,V1\n`, 'csv');
    expect(ids(entries)).toEqual(['T1']);
    expect(errors(entries)).toEqual([
      expect.objectContaining({ line: 3, parseError: 'invalid CSV at line 3: field 5 opens a quote that is not closed on its line' }),
    ]);
  });

  test('an unclosed quote with no quote after it resyncs within the look-ahead bound', async () => {
    const rows = Array.from({ length: 3_000 }, (_, i) => row(`T${i}`));
    const text = `${header}\nT9,d,350,1234,"Coffee,V1\n${rows.join('\n')}\n`;
    const entries = await parse(chunked(text, [1_000, 50_000, 90_000]), 'csv');
    expect(ids(entries)).toEqual(rows.map((_, i) => `T${i}`));
    expect(errors(entries)).toHaveLength(1);
  });

  test('quoted fields may hold commas, quotes and line breaks', async () => {
    const entries = await parseEveryWay(`${header}\nT1,d,350,1234,"Coffee, ""large""\nwith milk", V1 \n${row('T2')}`, 'csv');
    expect(entries).toEqual([
      {
        index: 0,
        line: 2,
        offset: 55,
        record: { transactionId: 'T1', date: 'd', amount: 350, cardNumber: '1234', product: 'Coffee, "large"\nwith milk', machineId: 'V1' },
      },
      expect.objectContaining({ index: 1, line: 4, record: expect.objectContaining({ transactionId: 'T2' }) }),
    ]);
  });

  test('header: any order, trimmed, BOM, extra columns ignored, blank lines skipped', async () => {
    const entries = await parseEveryWay(
      `\ufeff machineId ,extra, transactionId,date,amount,cardNumber,product\r\n\r\nV1,zz,T1,d,0350,1234,Tea\r\n`,
      'csv',
    );
    expect(entries).toEqual([
      {
        index: 0,
        line: 3,
        offset: 70,
        record: { transactionId: 'T1', date: 'd', amount: 350, cardNumber: '1234', product: 'Tea', machineId: 'V1' },
      },
    ]);
  });

  test('amount is a number only when it is a whole decimal number', async () => {
    const entries = await parse(`${header}\nT1,d,12abc,1,p,m\nT2,d,,1,p,m\nT3,d,-5,1,p,m\n`, 'csv');
    expect(entries.map((e) => (e as { record: { amount: unknown } }).record.amount)).toEqual(['12abc', '', -5]);
  });

  test('a wrong header is one parse error naming the expected and found columns, then nothing', async () => {
    const entries = await parseEveryWay(`transactionId,date,cardNumber,product,machine\n${row('T1')}\n${row('T2')}\n`, 'csv');
    expect(entries).toEqual([
      {
        index: 0,
        line: 1,
        offset: 0,
        parseError:
          'invalid CSV header: expected the columns transactionId,date,amount,cardNumber,product,machineId; found transactionId,date,cardNumber,product,machine (missing amount, machineId)',
      },
    ]);
    const masked = await parse('4111111111111111,date\nx,y\n', 'csv');
    expect(masked).toHaveLength(1);
    expect(errors(masked)[0]!.parseError).not.toContain('4111111111111111');
  });

  test('a JSON file sent as CSV is a wrong header', async () => {
    expect(await parse('{"transactionId":"a","amount":1}\n', 'csv')).toEqual([
      expect.objectContaining({ index: 0, line: 1, parseError: expect.stringMatching(/^invalid CSV header: expected the columns/) }),
    ]);
  });
});
