import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { maskCardNumbersInText } from '../domain/card-number';
import { describeSource } from '../domain/sale';
import { ingestRecord, type IngestDeps } from '../ingest/ingest-sale';
import { parseMomaFile } from '../ingest/moma-file-parser';
import { emptyCounts } from '../ingest/ports';
import { AdminError } from './errors';

export const CSV_HEADER = ['transactionId', 'date', 'amount', 'cardNumber', 'product', 'machineId'];

/** The header line as an operator would read it in an error: masked and short. */
const foundColumns = (body: string) => maskCardNumbersInText(body.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0]!.slice(0, 300)).trim() || '(nothing)';

function headerError(body: string, detail: string) {
  return new AdminError(400, 'invalid request', [
    { field: 'body', rule: `the CSV header must name ${CSV_HEADER.join(',')}; found ${foundColumns(body)} (${maskCardNumbersInText(detail.slice(0, 300))})` },
  ]);
}

/**
 * The brief's CSV fallback: every row goes through the same validation and award path as Moma's files.
 * Importing the same CSV again awards nothing twice and records its bad rows once. A bad row (malformed, invalid,
 * or refused by DynamoDB) costs that row only; a wrong header is the request's 400, naming the expected and the
 * found columns. Only transient errors (throttling, an unreachable table) fail the request.
 */
export async function importCsv(body: string, deps: IngestDeps) {
  // TRANSITIONAL: the parser reports a wrong header itself (as a line-1 parse error, handled below); until every
  // parser in use does, a header missing a required column is refused here first, with the same message.
  const header = body.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0]!.split(',').map((h) => h.trim().replace(/^"(.*)"$/, '$1'));
  const missing = CSV_HEADER.filter((h) => !header.includes(h));
  if (missing.length > 0) throw headerError(body, `missing ${missing.join(', ')}`);
  const origin = `upload-${createHash('sha256').update(body).digest('hex').slice(0, 16)}`;
  const counts = emptyCounts();
  let rows = 0;
  for await (const entry of parseMomaFile(Readable.from([Buffer.from(body)]), 'csv')) {
    const line = entry.line ?? entry.index + 2;
    if ('parseError' in entry && line === 1) {
      // The parser reports a header it cannot use as line 1, before any row: nothing has been imported.
      throw headerError(body, entry.parseError);
    }
    rows += 1;
    const source = { kind: 'csv', origin, line } as const;
    const sourceId = `csv:${origin}#${line}`;
    if ('parseError' in entry) {
      await deps.failures.recordFailure({ sourceId, source: describeSource(source), reason: entry.parseError, raw: entry.raw });
      counts.failed += 1;
      continue;
    }
    counts[await ingestRecord(entry.record, source, sourceId, deps)] += 1;
  }
  return { import: origin, rows, ...counts };
}
