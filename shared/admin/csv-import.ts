import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describeOrigin } from '../domain/sale';
import { type IngestDeps, ingestRecord } from '../ingest/ingest-sale';
import { csvHeaderError, parseMomaFile } from '../ingest/moma-file-parser';
import { emptyCounts } from '../ingest/ports';
import { AdminError } from './errors';

/**
 * Sales uploaded as CSV (the fallback path): every row goes through the same validation and award path as Moma's
 * files. Importing the same CSV again awards nothing twice and records its bad rows once. A bad row (malformed, invalid,
 * or refused by DynamoDB) costs that row only; a wrong header is the request's 400, naming the expected and the
 * found columns. Only transient errors (throttling, an unreachable table) fail the request.
 */
export async function importCsv(body: string, deps: IngestDeps) {
  const upload = `upload-${createHash('sha256').update(body).digest('hex').slice(0, 16)}`;
  const counts = emptyCounts();
  let rows = 0;
  for await (const entry of parseMomaFile(Readable.from([Buffer.from(body)]), 'csv')) {
    // A header the parser cannot use comes first and alone: nothing has been imported.
    const headerError = csvHeaderError(entry);
    if (headerError) throw new AdminError(400, 'invalid request', [{ field: 'body', rule: headerError }]);
    const line = entry.line ?? entry.index + 2;
    rows += 1;
    const origin = { kind: 'csv', origin: upload, line } as const;
    const sourceId = `csv:${upload}#${line}`;
    if ('parseError' in entry) {
      await deps.failures.recordFailure({ sourceId, source: describeOrigin(origin), reason: entry.parseError, raw: entry.raw });
      counts.failed += 1;
      continue;
    }
    counts[await ingestRecord(entry.record, origin, sourceId, deps)] += 1;
  }
  return { import: upload, rows, ...counts };
}
