import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  FUNCTIONS,
  type FunctionName,
  type HttpApiName,
  type QueueName,
  SYNC_SOURCES,
  type SyncSource,
  type Trigger,
} from '../../shared/topology';
import { ArchitecturePart } from './architecture-part';
import type { LoyaltyFunction } from './loyalty-function';
import type { WatchedQueue } from './watched-queue';

/** What "Start/Stop AWS Sync" switches (the admin function's SYNC_TARGETS), and the grants to switch each. */
export interface SyncControl {
  targets: Partial<Record<SyncSource, { type: 'mapping'; id: string } | { type: 'rule'; name: string }>>;
  controls: { actions: string[]; arn: string }[];
}

export interface TriggersProps {
  functions: Record<FunctionName, LoyaltyFunction>;
  table: dynamodb.ITable;
  queues: Record<QueueName, WatchedQueue>;
  streamFailures: sqs.IQueue;
  /** The HTTP APIs, by the name the topology's HTTP triggers give. */
  httpApis: Record<HttpApiName, { addRoutes(name: string, fn: LoyaltyFunction, routeKeys: readonly string[]): void }>;
}

type TriggerOf<K extends Trigger['type']> = Extract<Trigger, { type: K }>;

/**
 * Every function's trigger, wired from the topology as the local runtime wires it (local/function-triggers.ts):
 * one loop over FUNCTIONS, one case per kind of trigger.
 */
export class Triggers extends ArchitecturePart {
  readonly sync: SyncControl = { targets: {}, controls: [] };

  constructor(
    scope: Construct,
    id: string,
    private readonly props: TriggersProps,
  ) {
    super(scope, id);
    for (const [name, spec] of Object.entries(FUNCTIONS) as [FunctionName, (typeof FUNCTIONS)[FunctionName]][]) {
      const fn = props.functions[name];
      const trigger = spec.trigger;
      switch (trigger.type) {
        case 'sqs':
          this.sqs(name, fn, trigger);
          break;
        case 'stream':
          this.stream(name, fn, trigger);
          break;
        case 'schedule':
          this.schedule(name, fn, trigger);
          break;
        case 'http':
          props.httpApis[trigger.api].addRoutes(name, fn, trigger.routes);
          break;
      }
    }
  }

  private sqs(name: FunctionName, fn: LoyaltyFunction, trigger: TriggerOf<'sqs'>) {
    const queue = this.props.queues[trigger.queue].queue;
    fn.allow(
      ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
      [queue.queueArn],
    );
    const mapping = new lambda.EventSourceMapping(this, `${name}Trigger`, {
      target: fn.fn,
      eventSourceArn: queue.queueArn,
      batchSize: trigger.batchSize,
      maxBatchingWindow: trigger.maxBatchingWindowSeconds ? Duration.seconds(trigger.maxBatchingWindowSeconds) : undefined,
      maxConcurrency: trigger.maxConcurrency,
      reportBatchItemFailures: true,
    });
    const source = syncSourceOf(name);
    if (source) {
      this.sync.targets[source] = { type: 'mapping', id: mapping.eventSourceMappingId };
      this.sync.controls.push({
        actions: ['lambda:GetEventSourceMapping', 'lambda:UpdateEventSourceMapping'],
        arn: mapping.eventSourceMappingArn,
      });
    }
  }

  private stream(name: FunctionName, fn: LoyaltyFunction, trigger: TriggerOf<'stream'>) {
    const streamArn = this.props.table.tableStreamArn!;
    new lambda.EventSourceMapping(this, `${name}Trigger`, {
      target: fn.fn,
      eventSourceArn: streamArn,
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: trigger.batchSize,
      maxBatchingWindow: Duration.seconds(trigger.maxBatchingWindowSeconds),
      retryAttempts: trigger.retryAttempts,
      bisectBatchOnError: false,
      reportBatchItemFailures: true,
      filters: trigger.filters.map((f) => lambda.FilterCriteria.filter(f as unknown as Record<string, unknown>)),
      onFailure: new SqsDlq(this.props.streamFailures),
    });
    fn.allow(['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'], [streamArn]);
    fn.allow(['sqs:SendMessage'], [this.props.streamFailures.queueArn]);
  }

  private schedule(name: FunctionName, fn: LoyaltyFunction, trigger: TriggerOf<'schedule'>) {
    const rule = new events.Rule(this, `${name}Schedule`, {
      description: `Runs ${name} every ${trigger.everyMinutes} minutes`,
      schedule: events.Schedule.rate(Duration.minutes(trigger.everyMinutes)),
      targets: [new targets.LambdaFunction(fn.fn, { retryAttempts: 2 })],
    });
    const source = syncSourceOf(name);
    if (source) {
      this.sync.targets[source] = { type: 'rule', name: rule.ruleName };
      this.sync.controls.push({ actions: ['events:DescribeRule', 'events:EnableRule', 'events:DisableRule'], arn: rule.ruleArn });
    }
  }
}

const syncSourceOf = (name: FunctionName) =>
  (Object.entries(SYNC_SOURCES) as [SyncSource, FunctionName][]).find(([, fn]) => fn === name)?.[0];
