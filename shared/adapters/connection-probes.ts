import { readFile } from 'node:fs/promises';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { AdminQueues, ConnectionCheck } from '../admin/ports';
import { documentClient } from './clients/dynamodb';
import { s3Client } from './clients/s3';
import { secretsManagerClient } from './clients/secrets-manager';
import { snsClient } from './clients/sns';
import { sqsClient } from './clients/sqs';
import { keys } from './dynamodb/table-keys';
import { SqsQueueMonitor } from './sqs/queue-monitor';

/** What the admin function is configured with, and the setting each value comes from. */
export interface ProbeTargets {
  bucket: string;
  queues: AdminQueues;
  tableName: string;
  topicArn?: string;
  pepperSecretId?: string;
  pepperFile?: string;
}

/** The environment variable each queue's URL is read from. */
export const QUEUE_SETTINGS: Record<keyof AdminQueues, string> = {
  moma: 'MOMA_QUEUE_URL',
  fileEvents: 'FILE_EVENTS_QUEUE_URL',
  momaDlq: 'MOMA_DLQ_URL',
  fileEventsDlq: 'FILE_EVENTS_DLQ_URL',
};

/** One cheap read of each dependency, with what the role needs for it and the setting that names it. */
export function connectionProbes(targets: ProbeTargets): ConnectionCheck[] {
  const { bucket, tableName } = targets;
  const queueMonitor = new SqsQueueMonitor(sqsClient, false);
  return [
    {
      name: 'bucket',
      needs: `list and read s3://${bucket}/transactions/ (s3:ListBucket, s3:GetObject)`,
      setting: 'BUCKET_NAME',
      probe: async () => {
        // One default page: s3rver (the local S3) fails any listing shorter than the bucket, so no MaxKeys here.
        const out = await s3Client.listObjectsV2({ Bucket: bucket, Prefix: 'transactions/' });
        return `s3://${bucket}/transactions/ is readable (${out.KeyCount ?? 0} object(s) in the first page)`;
      },
    },
    ...(Object.entries(targets.queues) as [keyof AdminQueues, string][]).map(([name, url]) => ({
      name: `queue:${name}`,
      needs: `read the attributes of ${url} (sqs:GetQueueAttributes)`,
      setting: QUEUE_SETTINGS[name],
      probe: async () => `${url} reachable, ${(await queueMonitor.depth(name, url)).waiting} message(s) waiting`,
    })),
    {
      name: 'table',
      needs: `read the table ${tableName} (dynamodb:GetItem)`,
      setting: 'TABLE_NAME',
      probe: async () => {
        await documentClient.send(new GetCommand({ TableName: tableName, Key: keys.customer('connection-test') }));
        return `${tableName} is readable`;
      },
    },
    {
      name: 'topic',
      needs: 'read the achievements topic (sns:GetTopicAttributes)',
      setting: 'ACHIEVEMENTS_TOPIC_ARN',
      probe: async () => {
        if (!targets.topicArn) return 'no topic on the local stack: notifications go to the local sink';
        await snsClient.getTopicAttributes({ TopicArn: targets.topicArn });
        return `${targets.topicArn} is reachable`;
      },
    },
    {
      name: 'secret',
      needs: 'read the card pepper secret (secretsmanager:DescribeSecret)',
      setting: targets.pepperSecretId ? 'CARD_PEPPER_SECRET_ID' : 'CARD_PEPPER_FILE',
      probe: async () => {
        if (targets.pepperSecretId) {
          await secretsManagerClient.describeSecret({ SecretId: targets.pepperSecretId });
          return 'card pepper secret is reachable';
        }
        if (!targets.pepperFile) throw new Error('invalid configuration: CARD_PEPPER_FILE is not set');
        await readFile(targets.pepperFile);
        return 'card pepper file is readable';
      },
    },
  ];
}
