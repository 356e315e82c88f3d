import { type CfnElement, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { MOMA_FILE_LIFECYCLE } from '../shared/domain/retention';
import { FUNCTIONS, type FunctionName } from '../shared/topology';
import { AdminHttpApi } from './constructs/admin-api';
import { Alarms } from './constructs/alarms';
import { logicalIdWithoutParts } from './constructs/architecture-part';
import { AuditTrail } from './constructs/audit-trail';
import { bindUses } from './constructs/bindings';
import { ConsoleHosting } from './constructs/console-hosting';
import { CustomerHttpApi } from './constructs/customer-api';
import { CustomerIdentity } from './constructs/customer-identity';
import { LoyaltyFunction } from './constructs/loyalty-function';
import { Messaging } from './constructs/messaging';
import { MomaProducer } from './constructs/moma-producer';
import { OperatorIdentity } from './constructs/operator-identity';
import { Storage } from './constructs/storage';
import { Triggers } from './constructs/triggers';

export interface HiVisStackProps extends StackProps {
  /** Physical name of Moma's bucket (Moma is set up to write to `hi-vis-moma-data`); generated when empty. */
  bucketName?: string;
  /** Physical name of Moma's real-time queue; generated when empty. */
  momaQueueName?: string;
  /** The program rules' JSON override (PROGRAM_CONFIG) for this deployment; the defaults when empty. */
  programConfig?: string;
  /** Other addresses the operator console is served from (sign-in callbacks), besides its own distribution. */
  consoleUrls?: string[];
  /** The built console to deploy; `console/dist` when empty. */
  consoleAssetsDirectory?: string;
  /** The Cognito domain prefix for sign-in and the token endpoint (globally unique); derived from the account when empty. */
  authDomainPrefix?: string;
  /** A CloudTrail trail for this system (default on); off where an organisation trail already logs these events. */
  trail?: boolean;
  /** Days Moma's files are kept in the bucket (default 400). */
  momaFileRetentionDays?: number;
  /** The AWS account Moma delivers from, trusted to assume the MomaProducer role; this account when empty. */
  momaAccountId?: string;
  /** The external id agreed with Moma, required with another account. */
  momaExternalId?: string;
  /** Source maps in the function bundles, turned on (default off: exceptions cost more with them). */
  sourceMaps?: boolean;
  /**
   * Write units a second the loyalty table takes at once (pre-warmed: a one-time charge); a new on-demand table takes
   * 4,000 and grows with use. README, Performance: what a 1,000,000-record file needs.
   */
  tableWarmWriteUnits?: number;
  /** Origins of the loyalty web app that may call the customers' API from a browser (CORS); none when empty. */
  customerAppOrigins?: string[];
}

/** The topology (shared/topology.ts) on AWS: what is stored, how work arrives, each function bound to what it uses. */
export class HiVisLoyaltyStack extends Stack {
  readonly functions: Record<FunctionName, LoyaltyFunction>;

  constructor(scope: Construct, id: string, props: HiVisStackProps = {}) {
    super(scope, id, props);

    const storage = new Storage(this, 'Storage', {
      bucketName: props.bucketName,
      momaFileRetentionDays: props.momaFileRetentionDays ?? MOMA_FILE_LIFECYCLE.defaultRetentionDays,
      tableWarmWriteUnits: props.tableWarmWriteUnits,
    });
    const messaging = new Messaging(this, 'Messaging', { bucket: storage.bucket, momaQueueName: props.momaQueueName });
    this.functions = Object.fromEntries(
      (Object.keys(FUNCTIONS) as FunctionName[]).map((name) => [
        name,
        new LoyaltyFunction(this, name, { spec: FUNCTIONS[name], sourceMaps: props.sourceMaps }),
      ]),
    ) as Record<FunctionName, LoyaltyFunction>;
    const identity = new OperatorIdentity(this, 'Operators', {
      consoleUrls: props.consoleUrls ?? [],
      domainPrefix: props.authDomainPrefix || `hi-vis-loyalty-${this.account}`,
    });
    const adminApi = new AdminHttpApi(this, 'Admin', { authorizer: identity.authorizer() });
    const operatorConsole = new ConsoleHosting(this, 'Console', {
      api: adminApi.httpApi,
      authDomain: identity.domain,
      client: identity.consoleClient,
      assetsDirectory: props.consoleAssetsDirectory,
    });
    identity.addConsoleUrl(`${operatorConsole.url}/`);
    const customers = new CustomerIdentity(this, 'Customers');
    const customerApi = new CustomerHttpApi(this, 'CustomerApi', {
      authorizer: customers.authorizer(),
      appOrigins: props.customerAppOrigins ?? [],
    });
    const triggers = new Triggers(this, 'Triggers', {
      functions: this.functions,
      table: storage.table,
      queues: messaging.queues,
      streamFailures: messaging.streamFailures,
      httpApis: { admin: adminApi, customer: customerApi },
    });
    for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
      bindUses(this.functions[name], FUNCTIONS[name].uses, {
        table: storage.table,
        bucket: storage.bucket,
        queues: messaging.queues,
        cardPepper: storage.cardPepper,
        achievements: messaging.achievements,
        programConfig: props.programConfig || undefined,
        sync: triggers.sync,
        auditTable: storage.auditTable,
        userPool: identity.userPool,
        customerTokens: { issuer: customers.issuer, appClientId: customers.appClient.userPoolClientId },
        customerCursorKey: customerApi.cursorKey,
      });
    }
    const momaProducer = new MomaProducer(this, 'MomaProducer', {
      bucket: storage.bucket,
      momaQueue: messaging.queues.moma.queue,
      trustedAccountId: props.momaAccountId,
      externalId: props.momaExternalId,
    });
    const trail =
      props.trail === false
        ? undefined
        : new AuditTrail(this, 'AuditTrail', {
            bucket: storage.bucket,
            bucketRoles: [
              momaProducer.role,
              ...(Object.keys(FUNCTIONS) as FunctionName[])
                .filter((name) => FUNCTIONS[name].uses.bucket)
                .map((name) => this.functions[name].role),
            ],
            tables: [storage.table, storage.auditTable],
            accessLogs: storage.accessLogs,
          });
    const alarms = new Alarms(this, 'Alarms', {
      alarms: [
        ...Object.values(messaging.queues).flatMap((q) => q.alarms),
        ...Object.values(this.functions).map((f) => f.errorsAlarm),
        ...(trail ? [trail.unexpectedBucketAccess] : []),
      ],
      streamFailures: messaging.streamFailures,
    });

    new CfnOutput(this, 'BucketName', {
      value: storage.bucket.bucketName,
      description: 'Moma drops transaction files under transactions/ (CSV under imports/)',
    });
    new CfnOutput(this, 'MomaQueueUrl', {
      value: messaging.queues.moma.queue.queueUrl,
      description: 'Moma sends real-time sale messages here',
    });
    new CfnOutput(this, 'FileEventsQueueUrl', { value: messaging.queues.fileEvents.queue.queueUrl });
    new CfnOutput(this, 'TableName', { value: storage.table.tableName });
    new CfnOutput(this, 'AchievementsTopicArn', { value: messaging.achievements.topicArn });
    new CfnOutput(this, 'OperatorAlarmsTopicArn', { value: alarms.operatorAlarms.topicArn });
    new CfnOutput(this, 'AuditTableName', { value: storage.auditTable.tableName });
    new CfnOutput(this, 'OperatorPoolId', { value: identity.userPool.userPoolId, description: 'Invite operators here (admins, viewers)' });
    new CfnOutput(this, 'ConsoleClientId', { value: identity.consoleClient.userPoolClientId });
    new CfnOutput(this, 'OpsClientId', {
      value: identity.opsClient.userPoolClientId,
      description: 'Client-credentials app client for operations scripts (its secret: aws cognito-idp describe-user-pool-client)',
    });
    new CfnOutput(this, 'CustomerPoolId', {
      value: customers.userPool.userPoolId,
      description: "Customers' sign-in: create each customer with their loyalty id as the username",
    });
    new CfnOutput(this, 'CustomerAppClientId', { value: customers.appClient.userPoolClientId });
    new CfnOutput(this, 'ConsoleUrl', { value: operatorConsole.url, description: 'The operator console' });
    new CfnOutput(this, 'MomaProducerRoleArn', {
      value: momaProducer.role.roleArn,
      description: 'Moma assumes this role (with the agreed external id) to put files and send messages: no access keys',
    });
    if (trail) new CfnOutput(this, 'TrailArn', { value: trail.trail.trailArn, description: 'CloudTrail trail of this system' });
    new CfnOutput(this, 'TokenUrl', { value: identity.tokenUrl, description: 'OAuth token endpoint (client credentials)' });
  }

  /** The parts of the architecture group resources without renaming them: a deployed stack keeps every resource. */
  protected override allocateLogicalId(element: CfnElement): string {
    return logicalIdWithoutParts(this, element);
  }
}
