import { Readable } from 'node:stream';
import * as fc from 'fast-check';
import { DEFAULT_FAN_OUT, partLines, partReadStart, partsOf, planParts } from '../../shared/ingest/file-parts';

/** The bytes a part worker receives: the object from one byte before its start, in chunks of the given sizes. */
function ranged(bytes: Buffer, from: number, chunkSize: number) {
  const rest = bytes.subarray(from);
  return Readable.from(
    Array.from({ length: Math.ceil(rest.length / chunkSize) }, (_, i) => rest.subarray(i * chunkSize, (i + 1) * chunkSize)),
  );
}

async function readParts(bytes: Buffer, parts: ReturnType<typeof partsOf>, chunkSize: number) {
  const texts: string[] = [];
  for (const part of parts) {
    const window: { firstByte?: number } = {};
    const pieces: Buffer[] = [];
    for await (const piece of partLines(ranged(bytes, partReadStart(part), chunkSize), part, window)) pieces.push(piece);
    const text = Buffer.concat(pieces);
    // What a part yields is the file's own bytes from where it says it starts.
    if (text.length > 0) expect(bytes.subarray(window.firstByte!, window.firstByte! + text.length).equals(text)).toBe(true);
    texts.push(text.toString('utf8'));
  }
  return texts;
}

const lineArb = fc.string({ unit: fc.constantFrom('a', 'é', '€', '😀', ' ', '\r', '{', '"'), maxLength: 30 });

describe('a large NDJSON file cut into byte-range parts', () => {
  test('property: the parts together hold every line exactly once, whatever the part size, chunking or byte order mark', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(lineArb, { minLength: 0, maxLength: 40 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 9 }),
        async (lines, finalNewline, bom, partBytes, chunkSize) => {
          const text = lines.join('\n') + (finalNewline && lines.length > 0 ? '\n' : '');
          const bytes = Buffer.from(`${bom ? '\ufeff' : ''}${text}`);
          if (bytes.length === 0) return;
          const parts = planParts(bytes.length, { thresholdBytes: 0, partBytes, maxParts: 1_000 });
          const texts = await readParts(bytes, parts, chunkSize);
          expect(texts.join('')).toBe(text);
          // No line is split: what a part yields ends at a newline, or at the end of the file.
          let read = 0;
          for (const piece of texts) {
            read += piece.length;
            if (piece !== '' && read < text.length) expect(piece.endsWith('\n')).toBe(true);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  test('parts cover the object without gaps or overlaps, within the part limit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000_000 }), (size) => {
        const parts = planParts(size, DEFAULT_FAN_OUT);
        expect(parts.length).toBeLessThanOrEqual(DEFAULT_FAN_OUT.maxParts);
        expect(parts[0]!.start).toBe(0);
        expect(parts.at(-1)!.end).toBe(size);
        for (let i = 1; i < parts.length; i++) expect(parts[i]!.start).toBe(parts[i - 1]!.end);
        expect(parts.every((p) => p.start < p.end && p.count === parts.length)).toBe(true);
      }),
    );
  });

  test('a line longer than a whole part is read once, by the part it starts in', async () => {
    const long = 'x'.repeat(100);
    const bytes = Buffer.from(`a\n${long}\nb\n`);
    const texts = await readParts(bytes, partsOf(bytes.length, 10), 3);
    expect(texts.join('')).toBe(bytes.toString());
    expect(texts.filter((t) => t.includes(long))).toHaveLength(1);
  });
});
