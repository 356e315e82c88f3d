import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseS3Notification } from '../../shared/adapters/sqs/s3-notification';
import { describeFile, describeOrigin } from '../../shared/domain/sale';
import { describeError, isTransient } from '../../shared/ingest/errors';
import { ingestFile } from '../../shared/ingest/ingest-file';
import { createJsonLogger, injectLambdaContext } from '../../shared/observability/json-logger';
import { FILE_YIELD_MARGIN_MS } from '../../shared/topology';
import { fileContainer } from '../../shared/wiring/files';

const logger = createJsonLogger('ingest-file');

async function processFileEvent(record: SQSRecord, context: Context): Promise<void> {
  const { deps, fileEvents, activity } = await fileContainer();
  const failure = {
    sourceId: `sqs:file-events:${record.messageId}`,
    source: describeOrigin({ kind: 'file-event', messageId: record.messageId }),
  };
  const notification = parseS3Notification(record.body);
  if (notification.kind === 'test') return;
  if (notification.kind === 'invalid') {
    await deps.failures.recordFailure({ ...failure, reason: notification.reason, raw: record.body });
    logger.warn('Unusable file-events message stored as a failure', { messageId: record.messageId, reason: notification.reason });
    return;
  }
  for (const ref of notification.refs) {
    try {
      const result = await ingestFile(ref, { ...deps, shouldYield: () => context.getRemainingTimeInMillis() < FILE_YIELD_MARGIN_MS });
      if (result.status === 'yielded') {
        // Hand the rest to a fresh invocation; the checkpoint makes it resume where this one stopped.
        await fileEvents.enqueue(ref);
      }
      await activity.record('files', { duplicates: result.counts.duplicate });
      logger.info('File ingested', {
        bucket: ref.bucket,
        key: ref.key,
        eTag: ref.eTag,
        status: result.status,
        records: result.records,
        ...result.counts,
      });
    } catch (err) {
      // Only a transient error is a batch item failure (SQS redelivers the event); anything else is recorded once.
      if (isTransient(err)) {
        logger.warn('File failed transiently; SQS will redeliver its event', {
          bucket: ref.bucket,
          key: ref.key,
          error: describeError(err),
        });
        throw err;
      }
      const reason = `file event could not be processed: ${describeError(err)}`;
      await deps.failures.recordFailure({
        sourceId: `${failure.sourceId}:${ref.key}`,
        source: describeFile(ref),
        reason,
      });
      logger.warn('File event stored as a failure', { bucket: ref.bucket, key: ref.key, reason });
    }
  }
}

export const handler = middy(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  // One processor per invocation: its failure list belongs to this batch alone, even when invocations overlap.
  const processor = new BatchProcessor(EventType.SQS);
  return processPartialResponse(event, processFileEvent, processor, { context, throwOnFullBatchFailure: false });
}).use(injectLambdaContext(logger));
