import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Token, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { TABLE_INDEXES, TTL_ATTRIBUTE } from '../shared/adapters/dynamodb/table-keys';
import { FUNCTIONS, type FunctionName, QUEUES, type QueueName, SYNC_SOURCES, WATCHED_PREFIXES } from '../shared/topology';
import { LoyaltyFunction } from './constructs/loyalty-function';
import { WatchedQueue } from './constructs/watched-queue';

export interface HiVisStackProps extends StackProps {
  /** Physical bucket name for Moma's files (the brief's `hi-vis-moma-data`); generated when empty. */
  bucketName?: string;
  /** Physical name of Moma's real-time queue; generated when empty. */
  momaQueueName?: string;
}

export class HiVisLoyaltyStack extends Stack {
  readonly functions: Record<FunctionName, LoyaltyFunction>;

  constructor(scope: Construct, id: string, props: HiVisStackProps = {}) {
    super(scope, id, props);

    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket; logging it into itself would loop.',
    });

    const bucket = new s3.Bucket(this, 'MomaData', {
      bucketName: props.bucketName || undefined,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'moma-data/',
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const queues: Record<QueueName, WatchedQueue> = {
      fileEvents: new WatchedQueue(this, 'FileEvents', { spec: QUEUES.fileEvents, maxMessageAgeSeconds: 15 * 60 }),
      moma: new WatchedQueue(this, 'MomaSales', {
        spec: QUEUES.moma,
        queueName: props.momaQueueName || undefined,
        maxMessageAgeSeconds: 5 * 60,
      }),
    };
    for (const prefix of Object.values(WATCHED_PREFIXES)) {
      bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SqsDestination(queues.fileEvents.queue), { prefix });
    }

    const table = new dynamodb.Table(this, 'Loyalty', {
      partitionKey: { name: 'PK', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'SK', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of TABLE_INDEXES) {
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }

    const topic = new sns.Topic(this, 'Achievements', {
      displayName: 'Hi-Vis loyalty achievements',
      masterKey: kms.Alias.fromAliasName(this, 'SnsManagedKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
    const operatorAlarms = new sns.Topic(this, 'OperatorAlarms', {
      displayName: 'Hi-Vis loyalty operator alarms',
      masterKey: kms.Alias.fromAliasName(this, 'AlarmsManagedKey', 'alias/aws/sns'),
      enforceSSL: true,
    });

    const pepper = new secretsmanager.Secret(this, 'CardPepper', {
      description: 'Pepper for HMAC-SHA256 of card numbers: rotating it orphans every stored card hash',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(pepper).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'Automatic rotation would orphan every stored card hash; the pepper is changed only through a re-hashing migration.',
    });

    const environment = {
      TABLE_NAME: table.tableName,
      BUCKET_NAME: bucket.bucketName,
      FILE_EVENTS_QUEUE_URL: queues.fileEvents.queue.queueUrl,
      MOMA_QUEUE_URL: queues.moma.queue.queueUrl,
      FILE_EVENTS_DLQ_URL: queues.fileEvents.deadLetterQueue.queueUrl,
      MOMA_DLQ_URL: queues.moma.deadLetterQueue.queueUrl,
      CARD_PEPPER_SECRET_ID: pepper.secretArn,
      ACHIEVEMENTS_TOPIC_ARN: topic.topicArn,
    };
    this.functions = Object.fromEntries(
      (Object.keys(FUNCTIONS) as FunctionName[]).map((name) => [
        name,
        new LoyaltyFunction(this, name, { spec: FUNCTIONS[name], environment }),
      ]),
    ) as Record<FunctionName, LoyaltyFunction>;

    // Least privilege, spelled out: each function gets exactly the actions its adapters call.
    const ingestTableActions = [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:Query',
      'dynamodb:ConditionCheckItem',
    ];
    const indexArns = TABLE_INDEXES.map((i) => `${table.tableArn}/index/${i.indexName}`);
    const transactionsObjects = bucket.arnForObjects(`${WATCHED_PREFIXES.transactions}*`);
    const importsObjects = bucket.arnForObjects(`${WATCHED_PREFIXES.imports}*`);
    const { ingestFile, ingestMessage, reconcile, stats, notify, adminApi } = this.functions;

    for (const fn of [ingestFile, ingestMessage, adminApi]) {
      fn.allow(ingestTableActions, [table.tableArn, ...indexArns]);
      fn.allow(['secretsmanager:GetSecretValue'], [pepper.secretArn]);
    }
    ingestFile.allow(['s3:GetObject', 's3:GetObjectVersion'], [transactionsObjects, importsObjects]);
    ingestFile.allow(['sqs:SendMessage'], [queues.fileEvents.queue.queueArn]);
    Validations.of(ingestFile.role).acknowledge(
      ...[transactionsObjects, importsObjects].map((arn) => ({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${this.resolveForNag(arn)}]`,
        reason: 'Object reads are limited to the two prefixes Moma writes to; the object names are not known in advance.',
      })),
    );
    reconcile.allow(['dynamodb:BatchGetItem', 'dynamodb:UpdateItem'], [table.tableArn]);
    stats.allow(['dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem'], [table.tableArn]);
    notify.allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], [table.tableArn]);
    const pushEndpoints = this.formatArn({ service: 'sns', resource: 'endpoint', resourceName: '*' });
    notify.allow(['sns:Publish'], [topic.topicArn, pushEndpoints]);
    Validations.of(notify.role).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sns:${this.nagName(this.region, 'AWS::Region')}:${this.nagName(this.account, 'AWS::AccountId')}:endpoint/*]`,
      reason:
        "Customers' mobile push endpoints are created as they register devices; publishing is limited to endpoints of this account and region.",
    });
    adminApi.allow(['dynamodb:BatchGetItem', 'dynamodb:DeleteItem'], [table.tableArn]);
    adminApi.allow(['s3:ListBucket'], [bucket.bucketArn]);
    adminApi.allow(
      ['sqs:GetQueueAttributes'],
      Object.values(queues).flatMap((q) => [q.queue.queueArn, q.deadLetterQueue.queueArn]),
    );
    // A message move task reads the DLQ and sends to the queue the messages came from.
    adminApi.allow(
      ['sqs:StartMessageMoveTask', 'sqs:ReceiveMessage', 'sqs:DeleteMessage'],
      Object.values(queues).map((q) => q.deadLetterQueue.queueArn),
    );
    adminApi.allow(
      ['sqs:SendMessage'],
      Object.values(queues).map((q) => q.queue.queueArn),
    );
    adminApi.allow(['sns:GetTopicAttributes'], [topic.topicArn]);
    adminApi.allow(['secretsmanager:DescribeSecret'], [pepper.secretArn]);
    adminApi.allow(['cloudwatch:GetMetricData'], ['*']);
    Validations.of(adminApi.role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: "cloudwatch:GetMetricData has no resource-level permissions; it only reads the queues' oldest-message age.",
    });
    reconcile.allow(['s3:ListBucket'], [bucket.bucketArn]);
    reconcile.allow(['sqs:SendMessage'], [queues.fileEvents.queue.queueArn]);
    reconcile.allow(['secretsmanager:GetSecretValue'], [pepper.secretArn]);

    const syncTargets: Record<string, { type: 'mapping'; id: string } | { type: 'rule'; name: string }> = {};
    // Stream records a function gave up on (after its retries) are parked here for review instead of being lost.
    const streamFailures = new sqs.Queue(this, 'StreamFailures', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    Validations.of(streamFailures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the on-failure destination of the stream mappings.',
    });
    const streamFailuresAlarm = new cloudwatch.Alarm(this, 'StreamFailuresWaiting', {
      alarmDescription: 'Stream records were given up on (stats or notifications): inspect the StreamFailures queue',
      metric: streamFailures.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const httpApi = new apigw.HttpApi(this, 'AdminApi', {
      description: 'Hi-Vis loyalty admin API (IAM-authorised)',
      defaultAuthorizer: new HttpIamAuthorizer(),
      createDefaultStage: true,
    });

    for (const [name, spec] of Object.entries(FUNCTIONS) as [FunctionName, (typeof FUNCTIONS)[FunctionName]][]) {
      const fn = this.functions[name];
      const syncSource = Object.entries(SYNC_SOURCES).find(([, f]) => f === name)?.[0];
      if (spec.trigger.type === 'http') {
        const integration = new HttpLambdaIntegration(`${name}Integration`, fn.fn);
        for (const routeKey of spec.trigger.routes) {
          const [method, routePath] = routeKey.split(' ') as [string, string];
          httpApi.addRoutes({ path: routePath, methods: [method as apigw.HttpMethod], integration });
        }
      } else if (spec.trigger.type === 'stream') {
        const mapping = new lambda.EventSourceMapping(this, `${name}Trigger`, {
          target: fn.fn,
          eventSourceArn: table.tableStreamArn!,
          startingPosition: lambda.StartingPosition.TRIM_HORIZON,
          batchSize: spec.trigger.batchSize,
          maxBatchingWindow: Duration.seconds(spec.trigger.maxBatchingWindowSeconds),
          retryAttempts: spec.trigger.retryAttempts,
          bisectBatchOnError: false,
          reportBatchItemFailures: true,
          filters: spec.trigger.filters.map((f) => lambda.FilterCriteria.filter(f as unknown as Record<string, unknown>)),
          onFailure: new SqsDlq(streamFailures),
        });
        fn.allow(
          ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
          [table.tableStreamArn!],
        );
        fn.allow(['sqs:SendMessage'], [streamFailures.queueArn]);
        void mapping;
      } else if (spec.trigger.type === 'sqs') {
        const queue = queues[spec.trigger.queue].queue;
        fn.allow(
          ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
          [queue.queueArn],
        );
        const mapping = new lambda.EventSourceMapping(this, `${name}Trigger`, {
          target: fn.fn,
          eventSourceArn: queue.queueArn,
          batchSize: spec.trigger.batchSize,
          maxBatchingWindow: spec.trigger.maxBatchingWindowSeconds ? Duration.seconds(spec.trigger.maxBatchingWindowSeconds) : undefined,
          maxConcurrency: spec.trigger.maxConcurrency,
          reportBatchItemFailures: true,
        });
        if (syncSource) {
          syncTargets[syncSource] = { type: 'mapping', id: mapping.eventSourceMappingId };
          adminApi.allow(['lambda:GetEventSourceMapping', 'lambda:UpdateEventSourceMapping'], [mapping.eventSourceMappingArn]);
        }
      } else if (spec.trigger.type === 'schedule') {
        const rule = new events.Rule(this, `${name}Schedule`, {
          description: `Runs ${name} every ${spec.trigger.everyMinutes} minutes`,
          schedule: events.Schedule.rate(Duration.minutes(spec.trigger.everyMinutes)),
          targets: [new targets.LambdaFunction(fn.fn, { retryAttempts: 2 })],
        });
        if (syncSource) {
          syncTargets[syncSource] = { type: 'rule', name: rule.ruleName };
          adminApi.allow(['events:DescribeRule', 'events:EnableRule', 'events:DisableRule'], [rule.ruleArn]);
        }
      }
    }
    adminApi.fn.addEnvironment('SYNC_TARGETS', this.toJsonString(syncTargets));
    adminApi.fn.addEnvironment('QUEUE_AGE_METRICS', 'cloudwatch');

    const apiLogs = new logs.LogGroup(this, 'AdminApiAccessLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const stage = httpApi.defaultStage!.node.defaultChild as apigw.CfnStage;
    stage.accessLogSettings = {
      destinationArn: apiLogs.logGroupArn,
      format: JSON.stringify({
        requestId: '$context.requestId',
        ip: '$context.identity.sourceIp',
        caller: '$context.identity.caller',
        user: '$context.identity.user',
        routeKey: '$context.routeKey',
        status: '$context.status',
        latency: '$context.responseLatency',
      }),
    };
    new CfnOutput(this, 'AdminApiUrl', {
      value: httpApi.apiEndpoint,
      description: 'Admin API: sign requests with SigV4 (service execute-api)',
    });

    const alarmAction = new cloudwatchActions.SnsAction(operatorAlarms);
    for (const alarm of [
      ...Object.values(queues).flatMap((q) => q.alarms),
      ...Object.values(this.functions).map((f) => f.errorsAlarm),
      streamFailuresAlarm,
    ]) {
      alarm.addAlarmAction(alarmAction);
    }

    // CDK's own bucket-notification custom resource (created by addEventNotification) uses the basic execution policy.
    Validations.of(this).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: "Only CDK's bucket-notification custom resource uses it, to write its own logs during deployment.",
    });

    new CfnOutput(this, 'BucketName', {
      value: bucket.bucketName,
      description: 'Moma drops transaction files under transactions/ (CSV under imports/)',
    });
    new CfnOutput(this, 'MomaQueueUrl', { value: queues.moma.queue.queueUrl, description: 'Moma sends real-time sale messages here' });
    new CfnOutput(this, 'FileEventsQueueUrl', { value: queues.fileEvents.queue.queueUrl });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'AchievementsTopicArn', { value: topic.topicArn });
    new CfnOutput(this, 'OperatorAlarmsTopicArn', { value: operatorAlarms.topicArn });
  }

  /** cdk-nag renders an unresolved pseudo parameter as `<AWS::Region>`, a concrete one as itself. */
  private nagName(value: string, pseudo: string): string {
    return Token.isUnresolved(value) ? `<${pseudo}>` : value;
  }

  /** cdk-nag names a bucket-object ARN finding after the bucket's logical id, e.g. `<MomaData1234.Arn>/transactions/*`. */
  private resolveForNag(arn: string): string {
    const resolved = this.resolve(arn) as { 'Fn::Join': [string, unknown[]] };
    return resolved['Fn::Join'][1]
      .map((part) => (typeof part === 'string' ? part : `<${(part as { 'Fn::GetAtt': string[] })['Fn::GetAtt'].join('.')}>`))
      .join('');
  }
}
