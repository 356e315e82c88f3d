import { documentClient } from '../adapters/clients/dynamodb';
import { s3Client } from '../adapters/clients/s3';
import { sqsClient } from '../adapters/clients/sqs';
import { DynamoDbFileLedger } from '../adapters/dynamodb/file-ledger';
import { S3ObjectStore } from '../adapters/s3/object-store';
import { SqsFileEventQueue } from '../adapters/sqs/file-event-queue';

/** Where files live and how their processing is tracked: S3, the processed-file ledger, the file-events queue. */
export function fileStorage(tableName: string, fileEventsQueueUrl: string) {
  return {
    objects: new S3ObjectStore(s3Client),
    files: new DynamoDbFileLedger(documentClient, tableName),
    fileEvents: new SqsFileEventQueue(sqsClient, fileEventsQueueUrl),
  };
}
