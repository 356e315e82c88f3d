import { hkdfSync } from 'node:crypto';
import { cognitoClient } from '../adapters/clients/cognito';
import { documentClient } from '../adapters/clients/dynamodb';
import { sqsClient } from '../adapters/clients/sqs';
import { CognitoOperatorDirectory } from '../adapters/cognito/operator-directory';
import { connectionProbes } from '../adapters/connection-probes';
import { DynamoDbAccountChanges } from '../adapters/dynamodb/account-changes';
import { CursorSigner, DynamoDbAdminQueries } from '../adapters/dynamodb/admin-queries';
import { DynamoDbAuditLog } from '../adapters/dynamodb/audit-log';
import { DynamoDbCampaignBook } from '../adapters/dynamodb/campaign-book';
import { DynamoDbCustomerErasure, DynamoDbCustomerRecords } from '../adapters/dynamodb/customer-privacy';
import { DynamoDbCustomerStore } from '../adapters/dynamodb/customer-store';
import { DynamoDbFailureRecords } from '../adapters/dynamodb/failure-records';
import { DynamoDbRedemptions } from '../adapters/dynamodb/redemptions';
import { DynamoDbSaleReader } from '../adapters/dynamodb/sale-reader';
import { DynamoDbSourceActivity } from '../adapters/dynamodb/source-activity';
import { DynamoDbStatsStore } from '../adapters/dynamodb/stats-store';
import { loadCardPeppers } from '../adapters/pepper';
import { SqsQueueMonitor } from '../adapters/sqs/queue-monitor';
import { AwsSyncControl, syncTargetsSchema } from '../adapters/sync-control';
import type { AdminContainer, AdminQueues, FileRequeueDeps } from '../admin/ports';
import { systemClock } from '../ingest/ports';
import { createJsonLogger } from '../observability/json-logger';
import { campaignDelaySeconds, readCampaignCacheSeconds, required } from './config';
import { fileContainer } from './files';
import { ingestContainer } from './ingest';
import { once } from './lazy';

const logger = createJsonLogger('admin-api');

/** A key of its own for each use of the pepper, so a cursor signature can never be replayed as a card hash. */
const derivedKey = (pepper: string, purpose: string) => Buffer.from(hkdfSync('sha256', pepper, 'hi-vis-loyalty', purpose, 32));

/** The admin function's composition root: every port of the admin slice, built from the environment once per process. */
export const adminContainer = once(build);

async function build(): Promise<AdminContainer> {
  const [{ config, deps }, fileWiring, { current: pepper }] = await Promise.all([ingestContainer(), fileContainer(), loadCardPeppers()]);
  const env = process.env;
  const { tableName } = config;
  const queues: AdminQueues = {
    moma: required(config.momaQueueUrl, 'MOMA_QUEUE_URL'),
    fileEvents: required(config.fileEventsQueueUrl, 'FILE_EVENTS_QUEUE_URL'),
    momaDlq: required(env.MOMA_DLQ_URL, 'MOMA_DLQ_URL'),
    fileEventsDlq: required(env.FILE_EVENTS_DLQ_URL, 'FILE_EVENTS_DLQ_URL'),
  };
  const bucket = required(config.bucketName, 'BUCKET_NAME');
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
  return {
    deps,
    queues,
    sales: new DynamoDbSaleReader(documentClient, tableName),
    customers: new DynamoDbCustomerStore(documentClient, tableName),
    records: new DynamoDbCustomerRecords(documentClient, tableName),
    erasure: new DynamoDbCustomerErasure(documentClient, tableName),
    exportCursors: new CursorSigner(derivedKey(pepper, 'admin-api export cursors v1')),
    queries: new DynamoDbAdminQueries(documentClient, tableName, new CursorSigner(derivedKey(pepper, 'admin-api pagination cursors v1'))),
    changes: new DynamoDbAccountChanges(documentClient, tableName, config.program),
    redemptions: new DynamoDbRedemptions(
      documentClient,
      tableName,
      new CursorSigner(derivedKey(pepper, 'admin-api redemption cursors v1')),
      config.program,
    ),
    campaigns: new DynamoDbCampaignBook(documentClient, tableName),
    campaignDelaySeconds: campaignDelaySeconds(readCampaignCacheSeconds()),
    stats: new DynamoDbStatsStore(documentClient, tableName),
    activity: new DynamoDbSourceActivity(documentClient, tableName),
    sync: new AwsSyncControl(syncTargetsSchema.parse(JSON.parse(required(env.SYNC_TARGETS, 'SYNC_TARGETS')))),
    fileRequeue,
    queueMonitor: new SqsQueueMonitor(sqsClient, env.QUEUE_AGE_METRICS === 'cloudwatch'),
    storedFailures: new DynamoDbFailureRecords(documentClient, tableName),
    checks: connectionProbes({
      bucket,
      queues,
      tableName,
      topicArn: env.ACHIEVEMENTS_TOPIC_ARN,
      pepperSecretId: env.CARD_PEPPER_SECRET_ID,
      pepperFile: env.CARD_PEPPER_FILE,
    }),
    audit: new DynamoDbAuditLog(
      documentClient,
      required(env.AUDIT_TABLE_NAME, 'AUDIT_TABLE_NAME'),
      new CursorSigner(derivedKey(pepper, 'admin-api audit cursors v1')),
    ),
    operators: new CognitoOperatorDirectory(cognitoClient, required(env.OPERATOR_POOL_ID, 'OPERATOR_POOL_ID')),
    clock: systemClock,
    // The call has run: its entry must not be lost with the failed write, so it goes to the function's logs whole.
    onAuditFailure: (err, entry) => logger.error('Audit entry could not be written', { error: err as Error, auditEntry: entry }),
  };
}
