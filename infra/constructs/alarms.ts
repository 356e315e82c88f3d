import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ArchitecturePart } from './architecture-part';

export interface AlarmsProps {
  /** The alarms the queues and functions raise themselves. */
  alarms: cloudwatch.Alarm[];
  streamFailures: sqs.Queue;
}

/** Observability: every alarm of the system goes to the operators' topic. */
export class Alarms extends ArchitecturePart {
  readonly operatorAlarms: sns.Topic;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    this.operatorAlarms = new sns.Topic(this, 'OperatorAlarms', {
      displayName: 'Hi-Vis loyalty operator alarms',
      masterKey: kms.Alias.fromAliasName(this, 'AlarmsManagedKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
    const streamFailuresAlarm = new cloudwatch.Alarm(this, 'StreamFailuresWaiting', {
      alarmDescription: 'Stream records were given up on (stats or notifications): inspect the StreamFailures queue',
      metric: props.streamFailures.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const action = new cloudwatchActions.SnsAction(this.operatorAlarms);
    for (const alarm of [...props.alarms, streamFailuresAlarm]) alarm.addAlarmAction(action);
  }
}
