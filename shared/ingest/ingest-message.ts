import { describeOrigin } from '../domain/sale';
import { type IngestDeps, ingestRecord } from './ingest-sale';
import { emptyCounts, type OutcomeCounts } from './ports';

export const MAX_RECORDS_PER_MESSAGE = 1_000;
/** SQS's own limit on a message body; anything longer did not come through SQS as sent, and is not parsed. */
export const MAX_MESSAGE_BYTES = 256 * 1024;

/**
 * One real-time Moma message: a sale record or an array of them. A body that cannot be read is stored as one
 * failure; each record stands alone, so one bad record (invalid, or refused by DynamoDB) never blocks the others.
 * Only transient errors propagate, so the message is redelivered (its awarded sales are then duplicates).
 */
export async function ingestMessage(body: string, message: { queue: string; messageId: string }, deps: IngestDeps): Promise<OutcomeCounts> {
  const counts = emptyCounts();
  const failureKey = `sqs:${message.queue}:${message.messageId}`;
  const described = describeOrigin({ kind: 'sqs-message', queue: message.queue, messageId: message.messageId });
  const fail = async (reason: string, raw?: string) => {
    await deps.failures.recordFailure({ sourceId: failureKey, source: described, reason, raw });
    counts.failed += 1;
    return counts;
  };

  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > MAX_MESSAGE_BYTES) return fail(`message body is ${bytes} bytes; at most ${MAX_MESSAGE_BYTES} are read`, body);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    return fail(`message body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, body);
  }
  const records = Array.isArray(parsed) ? parsed : [parsed];
  if (records.length === 0 || records.length > MAX_RECORDS_PER_MESSAGE) {
    return fail(`message must hold one sale or an array of 1 to ${MAX_RECORDS_PER_MESSAGE} sales; it holds ${records.length}`);
  }
  for (const [index, record] of records.entries()) {
    const outcome = await ingestRecord(
      record,
      { kind: 'sqs', queue: message.queue, messageId: message.messageId, index },
      `${failureKey}#${index}`,
      deps,
    );
    counts[outcome] += 1;
  }
  return counts;
}
