import { documentClient } from '../adapters/clients/dynamodb';
import { DynamoDbSourceActivity } from '../adapters/dynamodb/source-activity';
import type { ReconcileDeps } from '../ingest/reconcile';
import { readTableName, required } from './config';
import { fileStorage } from './file-storage';
import { once } from './lazy';

/**
 * The reconcile function's composition root: the table, the bucket it lists, the processed-file ledger and the
 * file-events queue. It hashes no card, so it never loads the card pepper.
 */
export const reconcileContainer = once(async () => {
  const env = process.env;
  const tableName = readTableName(env);
  const bucket = required(env.BUCKET_NAME, 'BUCKET_NAME');
  const { objects, files, fileEvents } = fileStorage(tableName, required(env.FILE_EVENTS_QUEUE_URL, 'FILE_EVENTS_QUEUE_URL'));
  const deps: Omit<ReconcileDeps, 'now'> = {
    listOlderThan: (b, prefix, before) => objects.listOlderThan(b, prefix, before),
    files,
    queue: fileEvents,
  };
  return { bucket, deps, activity: new DynamoDbSourceActivity(documentClient, tableName) };
});
