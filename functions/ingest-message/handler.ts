import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { ingestMessage } from '../../shared/ingest/ingest-message';
import { ingestContainer } from '../../shared/wiring/ingest';

const logger = new Logger({ serviceName: 'ingest-message' });
const processor = new BatchProcessor(EventType.SQS);

async function processMessage(record: SQSRecord): Promise<void> {
  const { deps } = await ingestContainer();
  const queue = record.eventSourceARN.split(':').pop() ?? 'moma';
  const counts = await ingestMessage(record.body, { queue, messageId: record.messageId }, deps);
  logger.info('Message ingested', { messageId: record.messageId, ...counts });
}

export const handler = middy(
  async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, processMessage, processor, { context, throwOnFullBatchFailure: false }),
).use(injectLambdaContext(logger));
