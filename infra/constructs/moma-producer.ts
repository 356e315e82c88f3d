import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { WATCHED_PREFIXES } from '../../shared/topology';
import { ArchitecturePart } from './architecture-part';
import { nagResource } from './nag';

export interface MomaProducerProps {
  bucket: s3.IBucket;
  momaQueue: sqs.IQueue;
  /** Moma's AWS account; this stack's own account when empty (Moma's integration then runs in it). */
  trustedAccountId?: string;
  /** Agreed with Moma, required of another account so that no one else can have Moma's integration assume the role. */
  externalId?: string;
}

/**
 * The role Moma's account assumes to deliver sales, instead of long-lived access keys: it may put files under the
 * two prefixes Moma writes to and send to the real-time queue, and nothing else (not read, list or delete).
 */
export class MomaProducer extends ArchitecturePart {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: MomaProducerProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'MomaProducerRole', {
      assumedBy: new iam.AccountPrincipal(props.trustedAccountId ?? Stack.of(this).account),
      externalIds: props.externalId ? [props.externalId] : undefined,
      maxSessionDuration: Duration.hours(1),
      description: "Assumed by Moma's account to put transaction files and send real-time sale messages",
    });
    const files = Object.values(WATCHED_PREFIXES).map((prefix) => props.bucket.arnForObjects(`${prefix}*`));
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: files }));
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [props.momaQueue.queueArn] }));
    Validations.of(this.role).acknowledge(
      ...files.map((arn) => ({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${nagResource(this, arn)}]`,
        reason: 'Moma names its files; it may only put them, and only under the two prefixes the system reads.',
      })),
    );
  }
}
