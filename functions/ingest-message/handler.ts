import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { describeOrigin } from '../../shared/domain/sale';
import { describeError, isTransient } from '../../shared/ingest/errors';
import { ingestMessage } from '../../shared/ingest/ingest-message';
import { createJsonLogger, injectLambdaContext } from '../../shared/observability/json-logger';
import { ingestContainer } from '../../shared/wiring/ingest';

const logger = createJsonLogger('ingest-message');

export const handler = middy(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const { deps, activity } = await ingestContainer();
  // One processor per invocation: its failure list belongs to this batch alone, even when invocations overlap.
  const processor = new BatchProcessor(EventType.SQS);
  let duplicates = 0;
  const processMessage = async (record: SQSRecord) => {
    const queue = record.eventSourceARN.split(':').pop() ?? 'moma';
    try {
      const counts = await ingestMessage(record.body, { queue, messageId: record.messageId }, deps);
      duplicates += counts.duplicate;
      logger.info('Message ingested', { messageId: record.messageId, ...counts });
    } catch (err) {
      // Only a transient error is a batch item failure (SQS redelivers it); anything else is the message's failure.
      if (isTransient(err)) {
        logger.warn('Message failed transiently; SQS will redeliver it', { messageId: record.messageId, error: describeError(err) });
        throw err;
      }
      const reason = `message could not be processed: ${describeError(err)}`;
      await deps.failures.recordFailure({
        sourceId: `sqs:${queue}:${record.messageId}`,
        source: describeOrigin({ kind: 'sqs-message', queue, messageId: record.messageId }),
        reason,
        raw: record.body,
      });
      logger.warn('Message stored as a failure', { messageId: record.messageId, reason });
    }
  };
  const response = await processPartialResponse(event, processMessage, processor, { context, throwOnFullBatchFailure: false });
  await activity.record('messages', { duplicates });
  return response;
}).use(injectLambdaContext(logger));
