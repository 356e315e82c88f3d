import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SqsClient } from '../shared/adapters/aws/sqs';
import { auditTableDefinition } from '../shared/adapters/dynamodb/audit-log';
import { DynamoDbFileLedger } from '../shared/adapters/dynamodb/file-ledger';
import { tableDefinition } from '../shared/adapters/dynamodb/table-definition';
import { S3ObjectStore } from '../shared/adapters/s3/object-store';
import type { S3Reader } from '../shared/adapters/s3/s3-reader';
import { SqsFileEventQueue } from '../shared/adapters/sqs/file-event-queue';
import { reconcileFiles } from '../shared/ingest/reconcile';
import { type QueueName, WATCHED_PREFIXES } from '../shared/topology';
import type { Emulators } from './emulators';
import { createQueues, type LocalQueue } from './sqs-emulator';

export interface Provisioned {
  streamArn: string;
  queues: Record<QueueName, LocalQueue>;
}

/**
 * The table (created on first start) and the topology's queues with their DLQs, which then get back the messages
 * they held when the stack last stopped.
 */
export async function provision(
  { clients, sqsServer }: Emulators,
  tables: { tableName: string; auditTableName: string },
  log: (line: string) => void,
): Promise<Provisioned> {
  const streamArn = await ensureTable(clients.dynamodb, tables.tableName);
  await ensureAuditTable(clients.dynamodb, tables.auditTableName);
  const queues = await createQueues(clients.sqs);
  const restored = await sqsServer.restoreSaved();
  if (restored > 0) log(`restored ${restored} queued message(s) kept from the last stop`);
  return { streamArn, queues };
}

/** Creates the table on first start; returns its stream's ARN. */
async function ensureTable(client: DynamoDBClient, tableName: string): Promise<string> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table!.LatestStreamArn!;
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
    return (await client.send(new CreateTableCommand(tableDefinition(tableName)))).TableDescription!.LatestStreamArn!;
  }
}

async function ensureAuditTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
    await client.send(new CreateTableCommand(auditTableDefinition(tableName)));
  }
}

/**
 * A hard kill loses what the SQS emulator held in memory. Every worker of the previous run is gone, so their file
 * leases are void; then every file not finished is queued again, the same safety net the cloud's 5-minute
 * reconcile provides. Sales already awarded stay deduplicated.
 */
export async function recoverUnfinishedFiles(options: {
  dynamodb: DynamoDBClient;
  tableName: string;
  bucket: string;
  s3: S3Reader;
  sqs: SqsClient;
  fileEventsQueueUrl: string;
  log: (line: string) => void;
}) {
  const { tableName, log } = options;
  const db = DynamoDBDocumentClient.from(options.dynamodb);
  const now = new Date();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'entity = :file AND #status = :processing',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':file': 'file', ':processing': 'processing' },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      await db.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { PK: item.PK, SK: item.SK },
          UpdateExpression: 'SET leaseExpiresAt = :now',
          ExpressionAttributeValues: { ':now': now.toISOString() },
        }),
      );
    }
    start = page.LastEvaluatedKey;
  } while (start);
  const objects = new S3ObjectStore(options.s3);
  const result = await reconcileFiles(options.bucket, Object.values(WATCHED_PREFIXES), 0, {
    listOlderThan: (b, prefix) => objects.listOlderThan(b, prefix, new Date(now.getTime() + 1_000)),
    files: new DynamoDbFileLedger(db, tableName),
    queue: new SqsFileEventQueue(options.sqs, options.fileEventsQueueUrl),
    now: new Date(now.getTime() + 1_000),
  });
  if (result.requeued.length > 0) log(`re-queued ${result.requeued.length} file(s) left unfinished by the previous run`);
}
