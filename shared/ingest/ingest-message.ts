import { maskCardNumbersInText } from '../domain/card-number';
import { ingestRecord, type IngestDeps } from './ingest-sale';
import { emptyCounts, type FileCounts } from './ports';

const MAX_RECORDS_PER_MESSAGE = 1_000;

/**
 * One real-time Moma message: a sale record or an array of them. A body that cannot be read is stored as a
 * failure; each record stands alone, so one bad record never blocks the others. Transient errors propagate
 * so the message is redelivered (its awarded sales are then recognised as duplicates).
 */
export async function ingestMessage(body: string, message: { queue: string; messageId: string }, deps: IngestDeps): Promise<FileCounts> {
  const counts = emptyCounts();
  const sourceId = `sqs:${message.queue}:${message.messageId}`;
  const source = `sqs ${message.queue} message ${message.messageId}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    await deps.failures.recordFailure({ sourceId, source, reason: `message body is not valid JSON: ${(err as Error).message}`, raw: maskCardNumbersInText(body.slice(0, 2_000)) });
    counts.failed += 1;
    return counts;
  }
  const records = Array.isArray(parsed) ? parsed : [parsed];
  if (records.length === 0 || records.length > MAX_RECORDS_PER_MESSAGE) {
    await deps.failures.recordFailure({ sourceId, source, reason: `message must hold one sale or an array of 1 to ${MAX_RECORDS_PER_MESSAGE} sales; it holds ${records.length}` });
    counts.failed += 1;
    return counts;
  }
  for (const [index, record] of records.entries()) {
    const outcome = await ingestRecord(record, { kind: 'sqs', queue: message.queue, messageId: message.messageId, index }, `${sourceId}#${index}`, deps);
    counts[outcome] += 1;
  }
  return counts;
}
