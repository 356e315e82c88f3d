import { documentClient, s3Client, sqsClient } from '../adapters/aws-clients';
import { HmacCardHasher } from '../adapters/card-hasher';
import { DynamoDbCustomerDirectory } from '../adapters/dynamodb/customer-directory';
import { DynamoDbFailureStore } from '../adapters/dynamodb/failure-store';
import { DynamoDbFileLedger } from '../adapters/dynamodb/file-ledger';
import { DynamoDbLoyaltyLedger } from '../adapters/dynamodb/loyalty-ledger';
import { DynamoDbSourceActivity } from '../adapters/dynamodb/source-activity';
import { loadCardPepper } from '../adapters/pepper';
import { S3ObjectStore } from '../adapters/s3/object-store';
import { SqsFileEventQueue } from '../adapters/sqs/file-event-queue';
import type { FileIngestDeps } from '../ingest/ingest-file';
import { systemClock } from '../ingest/ports';
import { readConfig, required, type AppConfig } from './config';

/** Everything the ingest services need, built from the environment once per process (the composition root). */
export interface IngestContainer {
  config: AppConfig;
  deps: FileIngestDeps;
  objects: S3ObjectStore;
  fileEvents: () => SqsFileEventQueue;
  activity: DynamoDbSourceActivity;
}

let container: Promise<IngestContainer> | undefined;

export function ingestContainer(): Promise<IngestContainer> {
  container ??= build().catch((err) => {
    container = undefined;
    throw err;
  });
  return container;
}

async function build(): Promise<IngestContainer> {
  const config = readConfig();
  const pepper = await loadCardPepper();
  const objects = new S3ObjectStore(s3Client);
  const deps: FileIngestDeps = {
    program: config.program,
    hasher: new HmacCardHasher(pepper),
    directory: new DynamoDbCustomerDirectory(documentClient, config.tableName),
    ledger: new DynamoDbLoyaltyLedger(documentClient, config.tableName),
    failures: new DynamoDbFailureStore(documentClient, config.tableName),
    files: new DynamoDbFileLedger(documentClient, config.tableName),
    objects,
    clock: systemClock,
  };
  return {
    config,
    deps,
    objects,
    fileEvents: () => new SqsFileEventQueue(sqsClient, required(config.fileEventsQueueUrl, 'FILE_EVENTS_QUEUE_URL')),
    activity: new DynamoDbSourceActivity(documentClient, config.tableName),
  };
}
