import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { createLogger } from '../../shared/observability/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseS3Notification } from '../../shared/adapters/sqs/s3-notification';
import { ingestFile } from '../../shared/ingest/ingest-file';
import { FILE_YIELD_MARGIN_MS } from '../../shared/topology';
import { fileContainer } from '../../shared/wiring/files';

const logger = createLogger('ingest-file');
const processor = new BatchProcessor(EventType.SQS);

async function processFileEvent(record: SQSRecord, context: Context): Promise<void> {
  const { deps, fileEvents, activity } = await fileContainer();
  const notification = parseS3Notification(record.body);
  if (notification.kind === 'test') return;
  if (notification.kind === 'invalid') {
    await deps.failures.recordFailure({ sourceId: `sqs:file-events:${record.messageId}`, source: `file-events message ${record.messageId}`, reason: notification.reason, raw: record.body.slice(0, 2_000) });
    logger.warn('Unusable file-events message stored as a failure', { messageId: record.messageId, reason: notification.reason });
    return;
  }
  for (const ref of notification.refs) {
    const result = await ingestFile(ref, { ...deps, shouldYield: () => context.getRemainingTimeInMillis() < FILE_YIELD_MARGIN_MS });
    if (result.status === 'yielded') {
      // Hand the rest to a fresh invocation; the checkpoint makes it resume where this one stopped.
      await fileEvents.enqueue(ref);
    }
    await activity.record('files', { duplicates: result.counts.duplicate });
    logger.info('File ingested', { bucket: ref.bucket, key: ref.key, eTag: ref.eTag, status: result.status, records: result.records, ...result.counts });
  }
}

export const handler = middy(
  async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, processFileEvent, processor, { context, throwOnFullBatchFailure: false }),
).use(injectLambdaContext(logger));
