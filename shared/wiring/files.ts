import { documentClient } from '../adapters/clients/dynamodb';
import { s3Client } from '../adapters/clients/s3';
import { sqsClient } from '../adapters/clients/sqs';
import { DynamoDbFileLedger } from '../adapters/dynamodb/file-ledger';
import { S3ObjectStore } from '../adapters/s3/object-store';
import { SqsFileEventQueue } from '../adapters/sqs/file-event-queue';
import type { FileIngestDeps } from '../ingest/ingest-file';
import { required } from './config';
import { ingestContainer } from './ingest';
import { once } from './lazy';

/** The file path's additions to the ingest container: S3, the processed-file ledger, the file-events queue. */
export const fileContainer = once(async () => {
  const { config, deps, activity } = await ingestContainer();
  const objects = new S3ObjectStore(s3Client);
  const fileDeps: FileIngestDeps = { ...deps, objects, files: new DynamoDbFileLedger(documentClient, config.tableName) };
  const fileEvents = new SqsFileEventQueue(sqsClient, required(config.fileEventsQueueUrl, 'FILE_EVENTS_QUEUE_URL'));
  return { config, deps: fileDeps, objects, fileEvents, activity };
});
