import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { RETENTION_DAYS } from '../../shared/domain/retention';
import { ArchitecturePart } from './architecture-part';

export interface AuditTrailProps {
  /** Moma's bucket: its object reads and writes are logged, and one by anyone but these roles raises the alarm. */
  bucket: s3.IBucket;
  /** The roles expected to touch Moma's files: Moma's producer role and the functions that read or list them. */
  bucketRoles: iam.IRole[];
  /** The tables whose item reads and writes are logged. */
  tables: dynamodb.ITable[];
  accessLogs: s3.IBucket;
}

const TRAIL_NAMESPACE = 'HiVisLoyalty/Trail';

/**
 * A CloudTrail trail for this system: management events in every region, and the data events of Moma's bucket and
 * the tables, to a versioned bucket encrypted with a key of its own, with log file validation, and to CloudWatch Logs
 * where a metric filter counts access to Moma's files by anyone but the expected roles.
 */
export class AuditTrail extends ArchitecturePart {
  readonly trail: cloudtrail.Trail;
  readonly unexpectedBucketAccess: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: AuditTrailProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const key = new kms.Key(this, 'TrailKey', {
      description: 'Encrypts the Hi-Vis loyalty CloudTrail log files',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const cloudTrail = new iam.ServicePrincipal('cloudtrail.amazonaws.com');
    const trailsOfThisAccount = {
      'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${stack.partition}:cloudtrail:*:${stack.account}:trail/*`,
    };
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailEncryptsLogs',
        principals: [cloudTrail],
        actions: ['kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringLike: trailsOfThisAccount, StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    key.addToResourcePolicy(
      new iam.PolicyStatement({ sid: 'CloudTrailDescribesKey', principals: [cloudTrail], actions: ['kms:DescribeKey'], resources: ['*'] }),
    );

    const logBucket = new s3.Bucket(this, 'TrailLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'trail-logs/',
      lifecycleRules: [{ expiration: Duration.days(RETENTION_DAYS.audit), noncurrentVersionExpiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const logGroup = new logs.LogGroup(this, 'TrailEvents', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.trail = new cloudtrail.Trail(this, 'Trail', {
      bucket: logBucket,
      encryptionKey: key,
      enableFileValidation: true,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      sendToCloudWatchLogs: true,
      cloudWatchLogGroup: logGroup,
    });
    // Data events of DynamoDB tables need advanced event selectors, and a trail has either those or basic ones.
    const cfnTrail = this.trail.node.defaultChild as cloudtrail.CfnTrail;
    cfnTrail.addPropertyDeletionOverride('EventSelectors');
    cfnTrail.advancedEventSelectors = [
      { name: 'Management events', fieldSelectors: [{ field: 'eventCategory', equalTo: ['Management'] }] },
      {
        name: "Moma's files",
        fieldSelectors: [
          { field: 'eventCategory', equalTo: ['Data'] },
          { field: 'resources.type', equalTo: ['AWS::S3::Object'] },
          { field: 'resources.ARN', startsWith: [`${props.bucket.bucketArn}/`] },
        ],
      },
      {
        name: 'Loyalty and audit tables',
        fieldSelectors: [
          { field: 'eventCategory', equalTo: ['Data'] },
          { field: 'resources.type', equalTo: ['AWS::DynamoDB::Table'] },
          { field: 'resources.ARN', startsWith: props.tables.map((table) => table.tableArn) },
        ],
      },
    ];

    const expected = props.bucketRoles.map(
      (role) => `($.userIdentity.arn != "arn:${stack.partition}:sts::${stack.account}:assumed-role/${role.roleName}/*")`,
    );
    const metric = new logs.MetricFilter(this, 'UnexpectedBucketAccessFilter', {
      logGroup,
      filterPattern: logs.FilterPattern.literal(
        `{ ($.eventSource = "s3.amazonaws.com") && ($.eventCategory = "Data") && ($.requestParameters.bucketName = "${props.bucket.bucketName}") && ${expected.join(' && ')} }`,
      ),
      metricNamespace: TRAIL_NAMESPACE,
      metricName: 'UnexpectedMomaBucketAccess',
      metricValue: '1',
      defaultValue: 0,
    }).metric({ statistic: 'Sum', period: Duration.minutes(5) });
    this.unexpectedBucketAccess = new cloudwatch.Alarm(this, 'UnexpectedBucketAccess', {
      alarmDescription:
        "Someone other than Moma's producer role and the functions read or wrote Moma's files: look the events up in the trail",
      metric,
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
