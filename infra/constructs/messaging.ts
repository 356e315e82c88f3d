import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { QUEUES, type QueueName, WATCHED_PREFIXES } from '../../shared/topology';
import { ArchitecturePart } from './architecture-part';
import { WatchedQueue } from './watched-queue';

export interface MessagingProps {
  /** New objects under the watched prefixes are announced on the file-events queue. */
  bucket: s3.IBucket;
  /** Physical name of Moma's real-time queue; generated when empty. */
  momaQueueName?: string;
}

/**
 * How work arrives and leaves: the topology's queues with their dead-letter queues, the bucket's notifications
 * to the file-events queue, the queue where stream records given up on are parked, and the achievements topic.
 */
export class Messaging extends ArchitecturePart {
  readonly queues: Record<QueueName, WatchedQueue>;
  /** Stream records a function gave up on (after its retries) are parked here for review instead of being lost. */
  readonly streamFailures: sqs.Queue;
  readonly achievements: sns.Topic;

  constructor(scope: Construct, id: string, props: MessagingProps) {
    super(scope, id);
    this.queues = {
      fileEvents: new WatchedQueue(this, 'FileEvents', { spec: QUEUES.fileEvents, maxMessageAgeSeconds: 15 * 60 }),
      moma: new WatchedQueue(this, 'MomaSales', {
        spec: QUEUES.moma,
        queueName: props.momaQueueName || undefined,
        maxMessageAgeSeconds: 5 * 60,
      }),
    };
    for (const prefix of Object.values(WATCHED_PREFIXES)) {
      props.bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SqsDestination(this.queues.fileEvents.queue), { prefix });
    }
    // CDK's own bucket-notification custom resource (created by addEventNotification) uses the basic execution policy.
    Validations.of(Stack.of(this)).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: "Only CDK's bucket-notification custom resource uses it, to write its own logs during deployment.",
    });

    this.streamFailures = new sqs.Queue(this, 'StreamFailures', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    Validations.of(this.streamFailures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the on-failure destination of the stream mappings.',
    });

    this.achievements = new sns.Topic(this, 'Achievements', {
      displayName: 'Hi-Vis loyalty achievements',
      masterKey: kms.Alias.fromAliasName(this, 'SnsManagedKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
  }
}
