import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { createLogger } from '../../shared/observability/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { ingestMessage } from '../../shared/ingest/ingest-message';
import { ingestContainer } from '../../shared/wiring/ingest';

const logger = createLogger('ingest-message');
const processor = new BatchProcessor(EventType.SQS);

export const handler = middy(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const { deps, activity } = await ingestContainer();
  let duplicates = 0;
  const processMessage = async (record: SQSRecord) => {
    const queue = record.eventSourceARN.split(':').pop() ?? 'moma';
    const counts = await ingestMessage(record.body, { queue, messageId: record.messageId }, deps);
    duplicates += counts.duplicate;
    logger.info('Message ingested', { messageId: record.messageId, ...counts });
  };
  const response = await processPartialResponse(event, processMessage, processor, { context, throwOnFullBatchFailure: false });
  await activity.record('messages', { duplicates });
  return response;
}).use(injectLambdaContext(logger));
