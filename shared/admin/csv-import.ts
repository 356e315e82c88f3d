import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describeOrigin } from '../domain/sale';
import { type IngestDeps, ingestRecord, type RecordOutcome } from '../ingest/ingest-sale';
import { csvHeaderError, parseMomaFile } from '../ingest/moma-file-parser';
import { emptyCounts, type FailureStore } from '../ingest/ports';
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
  const outcomes: RowOutcome[] = [];
  let rows = 0;
  let lastFailure: string | undefined;
  const failures: FailureStore = {
    recordFailure: (report) => {
      lastFailure = report.reason;
      return deps.failures.recordFailure(report);
    },
  };
  const noteOutcome = (line: number, outcome: RecordOutcome, record?: unknown) => {
    counts[outcome] += 1;
    if (outcomes.length >= OUTCOME_LIMIT) return;
    outcomes.push({ line, outcome, transactionId: shownTransactionId(record), ...(outcome === 'failed' ? { reason: lastFailure } : {}) });
  };
  for await (const entry of parseMomaFile(Readable.from([Buffer.from(body)]), 'csv')) {
    // A header the parser cannot use comes first and alone: nothing has been imported.
    const headerError = csvHeaderError(entry);
    if (headerError) throw new AdminError(400, 'invalid request', [{ field: 'body', rule: headerError }]);
    const line = entry.line ?? entry.index + 2;
    rows += 1;
    const origin = { kind: 'csv', origin: upload, line } as const;
    const sourceId = `csv:${upload}#${line}`;
    lastFailure = undefined;
    if ('parseError' in entry) {
      await failures.recordFailure({ sourceId, source: describeOrigin(origin), reason: entry.parseError, raw: entry.raw });
      noteOutcome(line, 'failed');
      continue;
    }
    noteOutcome(line, await ingestRecord(entry.record, origin, sourceId, { ...deps, failures }), entry.record);
  }
  return { import: upload, rows, ...counts, outcomes, outcomesTruncated: rows > outcomes.length };
}

/** Rows listed one by one in the answer; the counts cover every row. */
const OUTCOME_LIMIT = 1000;

interface RowOutcome {
  line: number;
  outcome: RecordOutcome;
  transactionId?: string;
  reason?: string;
}

/** The row's transaction id as the operator can recognise it: a string of reasonable length, or nothing. */
function shownTransactionId(record: unknown): string | undefined {
  if (!record || typeof record !== 'object' || !Object.hasOwn(record, 'transactionId')) return undefined;
  const value = (record as Record<string, unknown>).transactionId;
  return typeof value === 'string' && value.length <= 128 ? value : undefined;
}
