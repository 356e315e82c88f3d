import type { QueueDepth, QueueMonitor } from '../../admin/ports';
import type { CloudWatchClient } from '../aws/cloudwatch';
import type { SqsClient } from '../aws/sqs';
import { cloudWatchClient } from '../clients/cloudwatch';

/** Queue depths from SQS; the oldest message's age from CloudWatch, where there is one (not on the local stack). */
export class SqsQueueMonitor implements QueueMonitor {
  private readonly cloudWatch?: CloudWatchClient;

  constructor(
    private readonly sqs: SqsClient,
    useCloudWatch: boolean,
  ) {
    this.cloudWatch = useCloudWatch ? cloudWatchClient : undefined;
  }

  async depth(name: string, url: string): Promise<QueueDepth> {
    const out = await this.sqs.getQueueAttributes({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    });
    return {
      name,
      url,
      waiting: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
      oldestMessageAgeSeconds: await this.oldestAge(url),
    };
  }

  private async oldestAge(url: string): Promise<number | null> {
    if (!this.cloudWatch) return null;
    const queueName = url.split('/').pop()!;
    const now = new Date();
    const out = await this.cloudWatch.getMetricData({
      StartTime: new Date(now.getTime() - 10 * 60_000),
      EndTime: now,
      MetricDataQueries: [
        {
          Id: 'age',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/SQS',
              MetricName: 'ApproximateAgeOfOldestMessage',
              Dimensions: [{ Name: 'QueueName', Value: queueName }],
            },
            Period: 60,
            Stat: 'Maximum',
          },
        },
      ],
    });
    return out.MetricDataResults?.[0]?.Values?.[0] ?? 0;
  }

  async arn(url: string): Promise<string> {
    const out = await this.sqs.getQueueAttributes({ QueueUrl: url, AttributeNames: ['QueueArn'] });
    return out.Attributes!.QueueArn!;
  }

  /** Moves a dead-letter queue's messages back to the queue they came from (SQS message move task). */
  async redrive(dlqUrl: string): Promise<string> {
    const out = await this.sqs.startMessageMoveTask({ SourceArn: await this.arn(dlqUrl) });
    return out.TaskHandle ?? '';
  }
}
