import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { AUDIT_INDEXES, AUDIT_TTL_ATTRIBUTE } from '../../shared/adapters/dynamodb/audit-log';
import { TABLE_INDEXES, TTL_ATTRIBUTE } from '../../shared/adapters/dynamodb/table-keys';
import { MOMA_FILE_LIFECYCLE } from '../../shared/domain/retention';
import { WATCHED_PREFIXES } from '../../shared/topology';
import { ArchitecturePart } from './architecture-part';

export interface StorageProps {
  /** Physical name of Moma's bucket; generated when empty. */
  bucketName?: string;
  /** Days Moma's files are kept in the bucket before they expire. */
  momaFileRetentionDays: number;
  /** Write units a second the loyalty table is pre-warmed for; DynamoDB's default for a new table when absent. */
  tableWarmWriteUnits?: number;
}

/** What the system keeps: Moma's files (and their access logs), the loyalty table, and the card pepper. */
export class Storage extends ArchitecturePart {
  readonly bucket: s3.Bucket;
  readonly table: dynamodb.Table;
  readonly cardPepper: secretsmanager.Secret;
  /** The audit trail: its own table, so the admin function may only put and query there. */
  readonly auditTable: dynamodb.Table;
  /** The server access logs of the buckets that are not themselves log buckets. */
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.accessLogs = accessLogs;
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket; logging it into itself would loop.',
    });

    this.bucket = new s3.Bucket(this, 'MomaData', {
      bucketName: props.bucketName || undefined,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'moma-data/',
      lifecycleRules: momaFileLifecycle(props.momaFileRetentionDays),
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.table = retainedTable(this, 'Loyalty', TABLE_INDEXES, {
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      ...(props.tableWarmWriteUnits ? { warmThroughput: { writeUnitsPerSecond: props.tableWarmWriteUnits } } : {}),
    });
    this.auditTable = retainedTable(this, 'Audit', AUDIT_INDEXES, { timeToLiveAttribute: AUDIT_TTL_ATTRIBUTE });

    this.cardPepper = new secretsmanager.Secret(this, 'CardPepper', {
      description:
        'Pepper for HMAC-SHA256 of card numbers: rotate it only with a window holding both peppers (README, Rotating the card pepper)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.cardPepper).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Automatic rotation would orphan every stored card hash; the pepper is changed through a window in which both peppers match (README).',
    });
  }
}

/**
 * Processed files move to the infrequent-access class after a month (when they are kept long enough for it to pay:
 * that class bills at least 30 days) and expire after the retention period; overwritten and expired versions are
 * deleted after their own period, and failed multipart uploads after a week.
 */
function momaFileLifecycle(retentionDays: number): s3.LifecycleRule[] {
  const { infrequentAccessAfterDays, noncurrentVersionDays } = MOMA_FILE_LIFECYCLE;
  const transitions =
    retentionDays >= infrequentAccessAfterDays * 2
      ? [{ storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(infrequentAccessAfterDays) }]
      : [];
  return [
    ...Object.entries(WATCHED_PREFIXES).map(([name, prefix]) => ({
      id: `${name}-files`,
      prefix,
      transitions,
      expiration: Duration.days(retentionDays),
    })),
    {
      id: 'old-versions',
      noncurrentVersionExpiration: Duration.days(noncurrentVersionDays),
      expiredObjectDeleteMarker: true,
      abortIncompleteMultipartUploadAfter: Duration.days(7),
    },
  ];
}

/** A PK/SK table as every table of this stack is: on demand, encrypted, point-in-time recoverable, kept on delete, with its indexes. */
function retainedTable(
  scope: Construct,
  id: string,
  indexes: readonly { indexName: string; partitionKey: string; sortKey: string }[],
  props: Pick<dynamodb.TableProps, 'stream' | 'timeToLiveAttribute' | 'warmThroughput'>,
): dynamodb.Table {
  const table = new dynamodb.Table(scope, id, {
    partitionKey: { name: 'PK', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'SK', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    deletionProtection: true,
    removalPolicy: RemovalPolicy.RETAIN,
    ...props,
  });
  for (const index of indexes) {
    table.addGlobalSecondaryIndex({
      indexName: index.indexName,
      partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }
  return table;
}
