import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { maskCardNumbersInText } from '../domain/card-number';
import { ingestRecord, type IngestDeps } from '../ingest/ingest-sale';
import { parseMomaFile } from '../ingest/moma-file-parser';
import { emptyCounts } from '../ingest/ports';
import { AdminError } from './errors';

export const CSV_HEADER = ['transactionId', 'date', 'amount', 'cardNumber', 'product', 'machineId'];

/**
 * The brief's CSV fallback: every row goes through the same validation and award path as Moma's files.
 * Importing the same CSV again awards nothing twice and records its bad rows once.
 */
export async function importCsv(body: string, deps: IngestDeps) {
  const header = body.split(/\r?\n/, 1)[0]!.replace(/^\uFEFF/, '').split(',').map((h) => h.trim());
  const missing = CSV_HEADER.filter((h) => !header.includes(h));
  if (missing.length > 0) throw new AdminError(400, 'invalid request', [{ field: 'body', rule: `the CSV header must name ${CSV_HEADER.join(',')}; missing ${missing.join(', ')}` }]);
  const origin = `upload-${createHash('sha256').update(body).digest('hex').slice(0, 16)}`;
  const counts = emptyCounts();
  let rows = 0;
  for await (const entry of parseMomaFile(Readable.from([Buffer.from(body)]), 'csv')) {
    rows += 1;
    const line = entry.line ?? entry.index + 2;
    const sourceId = `csv:${origin}#${line}`;
    if ('parseError' in entry) {
      await deps.failures.recordFailure({ sourceId, source: `csv ${origin} line ${line}`, reason: entry.parseError, raw: entry.raw === undefined ? undefined : maskCardNumbersInText(entry.raw) });
      counts.failed += 1;
      continue;
    }
    counts[await ingestRecord(entry.record, { kind: 'csv', origin, line }, sourceId, deps)] += 1;
  }
  return { import: origin, rows, ...counts };
}
