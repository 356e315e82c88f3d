import { hkdfSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetTopicAttributesCommand } from '@aws-sdk/client-sns';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../adapters/clients/dynamodb';
import { s3Client } from '../adapters/clients/s3';
import { snsClient } from '../adapters/clients/sns';
import { sqsClient } from '../adapters/clients/sqs';
import { DynamoDbAccountChanges } from '../adapters/dynamodb/account-changes';
import { CursorSigner, DynamoDbAdminQueries } from '../adapters/dynamodb/admin-queries';
import { DynamoDbCustomerStore } from '../adapters/dynamodb/customer-store';
import { DynamoDbSourceActivity } from '../adapters/dynamodb/source-activity';
import { DynamoDbStatsStore } from '../adapters/dynamodb/stats-store';
import { keys } from '../adapters/dynamodb/table-keys';
import { loadCardPepper } from '../adapters/pepper';
import { QueueMonitor } from '../adapters/sqs/queue-monitor';
import { AwsSyncControl, syncTargetsSchema } from '../adapters/sync-control';
import type { ConnectionCheck } from '../admin/connection-test';
import type { FileRequeueDeps } from '../admin/sync';
import { createLogger } from '../observability/logger';
import { required } from './config';
import { fileContainer } from './files';
import { ingestContainer } from './ingest';
import { once } from './lazy';

const secrets = new SecretsManagerClient({});
const logger = createLogger('admin-api');

/** A key of its own for each use of the pepper, so a cursor signature can never be replayed as a card hash. */
const derivedKey = (pepper: string, purpose: string) => Buffer.from(hkdfSync('sha256', pepper, 'hi-vis-loyalty', purpose, 32));

export type AdminContainer = Awaited<ReturnType<typeof build>>;

export const adminContainer = once(build);

async function build() {
  const [{ config, deps }, fileWiring, pepper] = await Promise.all([ingestContainer(), fileContainer(), loadCardPepper()]);
  const env = process.env;
  const queues = {
    moma: required(config.momaQueueUrl, 'MOMA_QUEUE_URL'),
    fileEvents: required(config.fileEventsQueueUrl, 'FILE_EVENTS_QUEUE_URL'),
    momaDlq: required(env.MOMA_DLQ_URL, 'MOMA_DLQ_URL'),
    fileEventsDlq: required(env.FILE_EVENTS_DLQ_URL, 'FILE_EVENTS_DLQ_URL'),
  };
  const bucket = required(config.bucketName, 'BUCKET_NAME');
  const customers = new DynamoDbCustomerStore(documentClient, config.tableName);
  const fileRequeue: FileRequeueDeps = {
    bucket,
    listOlderThan: (b, prefix, before) => fileWiring.objects.listOlderThan(b, prefix, before),
    files: fileWiring.deps.files,
    queue: fileWiring.fileEvents,
    onRequeueError: (err) =>
      logger.error('Sync started, but re-queueing unprocessed files failed; the scheduled reconcile will re-queue them', {
        error: err as Error,
      }),
  };
  const checks: ConnectionCheck[] = [
    {
      name: 'bucket',
      needs: `list and read s3://${bucket}/transactions/ (s3:ListBucket, s3:GetObject)`,
      probe: async () => {
        // One default page: s3rver (the local S3) fails any listing shorter than the bucket, so no MaxKeys here.
        const out = await s3Client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'transactions/' }));
        return `s3://${bucket}/transactions/ is readable (${out.KeyCount ?? 0} object(s) in the first page)`;
      },
    },
    ...Object.entries(queues).map(([name, url]) => ({
      name: `queue:${name}`,
      needs: `read the attributes of ${url} (sqs:GetQueueAttributes)`,
      probe: async () => `${url} reachable, ${(await new QueueMonitor(sqsClient, false).depth(name, url)).waiting} message(s) waiting`,
    })),
    {
      name: 'table',
      needs: `read the table ${config.tableName} (dynamodb:GetItem)`,
      probe: async () => {
        await documentClient.send(new GetCommand({ TableName: config.tableName, Key: keys.customer('connection-test') }));
        return `${config.tableName} is readable`;
      },
    },
    {
      name: 'topic',
      needs: 'read the achievements topic (sns:GetTopicAttributes)',
      probe: async () => {
        if (!env.ACHIEVEMENTS_TOPIC_ARN) return 'no topic on the local stack: notifications go to the local sink';
        await snsClient.send(new GetTopicAttributesCommand({ TopicArn: env.ACHIEVEMENTS_TOPIC_ARN }));
        return `${env.ACHIEVEMENTS_TOPIC_ARN} is reachable`;
      },
    },
    {
      name: 'secret',
      needs: 'read the card pepper secret (secretsmanager:DescribeSecret)',
      probe: async () => {
        if (env.CARD_PEPPER_SECRET_ID) {
          await secrets.send(new DescribeSecretCommand({ SecretId: env.CARD_PEPPER_SECRET_ID }));
          return 'card pepper secret is reachable';
        }
        await readFile(required(env.CARD_PEPPER_FILE, 'CARD_PEPPER_FILE'));
        return 'card pepper file is readable';
      },
    },
  ];
  return {
    config,
    deps,
    db: documentClient,
    tableName: config.tableName,
    queues,
    customers,
    queries: new DynamoDbAdminQueries(
      documentClient,
      config.tableName,
      new CursorSigner(derivedKey(pepper, 'admin-api pagination cursors v1')),
    ),
    fileRequeue,
    changes: new DynamoDbAccountChanges(documentClient, config.tableName),
    stats: new DynamoDbStatsStore(documentClient, config.tableName),
    activity: new DynamoDbSourceActivity(documentClient, config.tableName),
    sync: new AwsSyncControl(syncTargetsSchema.parse(JSON.parse(required(env.SYNC_TARGETS, 'SYNC_TARGETS')))),
    queueMonitor: new QueueMonitor(sqsClient, env.QUEUE_AGE_METRICS === 'cloudwatch'),
    checks,
  };
}
