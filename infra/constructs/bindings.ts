import { Stack, Validations } from 'aws-cdk-lib';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { AUDIT_INDEXES } from '../../shared/adapters/dynamodb/audit-log';
import { TABLE_INDEXES } from '../../shared/adapters/dynamodb/table-keys';
import { CAMPAIGN_CACHE, type FunctionUses, type QueueName, type Resource, WATCHED_PREFIXES } from '../../shared/topology';
import type { LoyaltyFunction } from './loyalty-function';
import { nagName, nagResource } from './nag';
import type { SyncControl } from './triggers';
import type { WatchedQueue } from './watched-queue';

/** Everything a function may be bound to. */
export interface BindableResources {
  table: dynamodb.ITable;
  bucket: s3.IBucket;
  queues: Record<QueueName, WatchedQueue>;
  cardPepper: secretsmanager.ISecret;
  achievements: sns.ITopic;
  /** The program rules' override for this deployment, if it has one. */
  programConfig?: string;
  sync: SyncControl;
  auditTable: dynamodb.ITable;
  userPool: cognito.IUserPool;
  /** The customers' pool: the issuer and app client of the access tokens that name a customer. */
  customerTokens: { issuer: string; appClientId: string };
  customerCursorKey: secretsmanager.ISecret;
}

type Binder<R extends Resource> = (fn: LoyaltyFunction, access: NonNullable<FunctionUses[R]>, resources: BindableResources) => void;

/**
 * Each resource of the topology, bound the one way: the variables naming it, and a grant for exactly the access the
 * function's `uses` lists. Least privilege, spelled out: each function gets exactly the actions its adapters call.
 */
const BINDERS: { [R in Resource]-?: Binder<R> } = {
  table: (fn, operations, { table }) => {
    const grants = [{ actions: operations.map((op) => `dynamodb:${op}`), resources: [table.tableArn] }];
    if (operations.includes('Query'))
      grants.push({ actions: ['dynamodb:Query'], resources: TABLE_INDEXES.map((i) => `${table.tableArn}/index/${i.indexName}`) });
    fn.bind({ TABLE_NAME: table.tableName }, ...grants);
  },

  bucket: (fn, access, { bucket }) => {
    const watchedObjects = Object.values(WATCHED_PREFIXES).map((prefix) => bucket.arnForObjects(`${prefix}*`));
    fn.bind(
      { BUCKET_NAME: bucket.bucketName },
      ...(access.includes('list') ? [{ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }] : []),
      ...(access.includes('read') ? [{ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: watchedObjects }] : []),
    );
    if (access.includes('read'))
      Validations.of(fn.role).acknowledge(
        ...watchedObjects.map((arn) => ({
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::${nagResource(fn, arn)}]`,
          reason: 'Object reads are limited to the two prefixes Moma writes to; the object names are not known in advance.',
        })),
      );
  },

  fileEventsQueue: (fn, access, { queues }) => bindQueue(fn, 'FILE_EVENTS_QUEUE_URL', queues.fileEvents, access),

  momaQueue: (fn, access, { queues }) => bindQueue(fn, 'MOMA_QUEUE_URL', queues.moma, access),

  deadLetterQueues: (fn, access, { queues }) => {
    const deadLetterQueues = Object.values(queues).map((q) => q.deadLetterQueue.queueArn);
    fn.bind(
      { FILE_EVENTS_DLQ_URL: queues.fileEvents.deadLetterQueue.queueUrl, MOMA_DLQ_URL: queues.moma.deadLetterQueue.queueUrl },
      ...(access.includes('inspect') ? [{ actions: ['sqs:GetQueueAttributes'], resources: deadLetterQueues }] : []),
      // A message move task reads the DLQ and sends to the queue the messages came from.
      ...(access.includes('redrive')
        ? [
            { actions: ['sqs:StartMessageMoveTask', 'sqs:ReceiveMessage', 'sqs:DeleteMessage'], resources: deadLetterQueues },
            { actions: ['sqs:SendMessage'], resources: Object.values(queues).map((q) => q.queue.queueArn) },
          ]
        : []),
    );
  },

  cardPepper: (fn, access, { cardPepper }) =>
    fn.bind(
      { CARD_PEPPER_SECRET_ID: cardPepper.secretArn },
      ...(access.includes('read') ? [{ actions: ['secretsmanager:GetSecretValue'], resources: [cardPepper.secretArn] }] : []),
      ...(access.includes('describe') ? [{ actions: ['secretsmanager:DescribeSecret'], resources: [cardPepper.secretArn] }] : []),
    ),

  achievements: (fn, access, { achievements }) => {
    const stack = Stack.of(fn);
    const pushEndpoints = stack.formatArn({ service: 'sns', resource: 'endpoint', resourceName: '*' });
    fn.bind(
      { ACHIEVEMENTS_TOPIC_ARN: achievements.topicArn },
      ...(access.includes('publish') ? [{ actions: ['sns:Publish'], resources: [achievements.topicArn, pushEndpoints] }] : []),
      ...(access.includes('describe') ? [{ actions: ['sns:GetTopicAttributes'], resources: [achievements.topicArn] }] : []),
    );
    if (access.includes('publish'))
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sns:${nagName(stack.region, 'AWS::Region')}:${nagName(stack.account, 'AWS::AccountId')}:endpoint/*]`,
        reason:
          "Customers' mobile push endpoints are created as they register devices; publishing is limited to endpoints of this account and region.",
      });
  },

  programConfig: (fn, _, { programConfig }) => {
    if (programConfig) fn.bind({ PROGRAM_CONFIG: programConfig });
  },

  campaigns: (fn) => fn.bind({ CAMPAIGN_CACHE_SECONDS: String(CAMPAIGN_CACHE.seconds) }),

  syncControl: (fn, _, { sync }) =>
    fn.bind(
      { SYNC_TARGETS: Stack.of(fn).toJsonString(sync.targets) },
      ...sync.controls.map((c) => ({ actions: c.actions, resources: [c.arn] })),
    ),

  // Entries are only ever put (the code's put is conditional on the entry being new) and queried: no grant to update or delete one.
  auditLog: (fn, access, { auditTable }) =>
    fn.bind(
      { AUDIT_TABLE_NAME: auditTable.tableName },
      ...(access.includes('append') ? [{ actions: ['dynamodb:PutItem'], resources: [auditTable.tableArn] }] : []),
      ...(access.includes('read')
        ? [
            {
              actions: ['dynamodb:Query'],
              resources: [auditTable.tableArn, ...AUDIT_INDEXES.map((i) => `${auditTable.tableArn}/index/${i.indexName}`)],
            },
          ]
        : []),
    ),

  operators: (fn, _, { userPool }) =>
    fn.bind({ OPERATOR_POOL_ID: userPool.userPoolId }, { actions: ['cognito-idp:AdminGetUser'], resources: [userPool.userPoolArn] }),

  // Read by the code to check each token again: no AWS access, so no grant.
  customerTokens: (fn, _, { customerTokens }) =>
    fn.bind({ CUSTOMER_POOL_ISSUER: customerTokens.issuer, CUSTOMER_APP_CLIENT_ID: customerTokens.appClientId }),

  customerCursorKey: (fn, _, { customerCursorKey }) =>
    fn.bind(
      { CUSTOMER_CURSOR_KEY_SECRET_ID: customerCursorKey.secretArn },
      { actions: ['secretsmanager:GetSecretValue'], resources: [customerCursorKey.secretArn] },
    ),

  queueAgeMetrics: (fn) => {
    fn.bind({ QUEUE_AGE_METRICS: 'cloudwatch' }, { actions: ['cloudwatch:GetMetricData'], resources: ['*'] });
    Validations.of(fn.role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: "cloudwatch:GetMetricData has no resource-level permissions; it only reads the queues' oldest-message age.",
    });
  },
};

function bindQueue(fn: LoyaltyFunction, variable: string, { queue }: WatchedQueue, access: readonly ('send' | 'inspect')[]) {
  fn.bind(
    { [variable]: queue.queueUrl },
    ...(access.includes('send') ? [{ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }] : []),
    ...(access.includes('inspect') ? [{ actions: ['sqs:GetQueueAttributes'], resources: [queue.queueArn] }] : []),
  );
}

/** Binds a function to every resource its topology entry uses, and to nothing else. */
export function bindUses(fn: LoyaltyFunction, uses: FunctionUses, resources: BindableResources) {
  for (const resource of Object.keys(uses) as Resource[]) {
    const access = uses[resource];
    if (access !== undefined) (BINDERS[resource] as Binder<Resource>)(fn, access as never, resources);
  }
}
