import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { decodeNotifiedRecord, sequenceNumberOf } from '../../shared/adapters/dynamodb/stream-images';
import { notifyChange } from '../../shared/notify/notify';
import { createJsonLogger, injectLambdaContext } from '../../shared/observability/json-logger';
import { notifyDeps } from '../../shared/wiring/notify';

const logger = createJsonLogger('notify');
const deps = notifyDeps(logger);

/** Records are handled in stream order; the first that fails is reported, and the stream retries from there. */
export const handler = middy(async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  for (const record of event.Records) {
    const decoded = decodeNotifiedRecord(record);
    if (!decoded.ok) {
      // Content that does not parse never will: skipped, so it does not hold up the stream.
      logger.warn('Stream record skipped: its item does not parse', { sequenceNumber: sequenceNumberOf(record), reason: decoded.reason });
      continue;
    }
    try {
      const sent = await notifyChange(decoded.change.old, decoded.change.new, deps);
      if (sent.length > 0) logger.info('Notifications sent', { eventIds: sent.map((e) => e.eventId) });
    } catch (err) {
      logger.error('Notification failed; the stream will retry from this record', {
        sequenceNumber: sequenceNumberOf(record),
        error: err as Error,
      });
      return { batchItemFailures: [{ itemIdentifier: sequenceNumberOf(record)! }] };
    }
  }
  return { batchItemFailures: [] };
}).use(injectLambdaContext(logger));
