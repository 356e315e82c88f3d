import type { Server } from 'node:http';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createSqsServer } from 'local-aws-sqs';
import { QUEUES, type QueueName } from '../shared/topology';
import { closeServer, portError } from './servers';

export interface LocalQueue {
  url: string;
  arn: string;
  dlqUrl: string;
  dlqArn: string;
}

export async function startSqsEmulator(port: number): Promise<{ endpoint: string; close(): Promise<void> }> {
  let server: Server;
  try {
    server = await createSqsServer({ port, hostname: '127.0.0.1', emulateQueueCreationLifecycle: false });
  } catch (err) {
    throw portError(err, port, 'SQS');
  }
  return { endpoint: `http://127.0.0.1:${port}`, close: () => closeServer(server) };
}

/** The stack's queues, each with its dead-letter queue and the same redrive policy as in the cloud. */
export async function createQueues(sqs: SQSClient): Promise<Record<QueueName, LocalQueue>> {
  const entries = await Promise.all(
    (Object.keys(QUEUES) as QueueName[]).map(async (name) => {
      const spec = QUEUES[name];
      const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${spec.defaultName}-dlq`, Attributes: { MessageRetentionPeriod: String(spec.dlqRetentionDays * 86_400) } }))).QueueUrl!;
      const dlqArn = await queueArn(sqs, dlqUrl);
      const url = (
        await sqs.send(
          new CreateQueueCommand({
            QueueName: spec.defaultName,
            Attributes: {
              VisibilityTimeout: String(spec.localVisibilityTimeoutSeconds),
              MessageRetentionPeriod: String(spec.retentionDays * 86_400),
              RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: spec.maxReceiveCount }),
            },
          }),
        )
      ).QueueUrl!;
      return [name, { url, arn: await queueArn(sqs, url), dlqUrl, dlqArn }] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<QueueName, LocalQueue>;
}

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return out.Attributes!.QueueArn!;
}
