import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { documentClient } from '../../shared/adapters/clients/dynamodb';
import { DynamoDbNotificationLog } from '../../shared/adapters/dynamodb/notification-log';
import { keys } from '../../shared/adapters/dynamodb/table-keys';
import { FileNotificationSink, SnsNotificationPublisher } from '../../shared/adapters/notification-publishers';
import { type NotifyDeps, notifyChange } from '../../shared/notify/notify';
import { createLogger } from '../../shared/observability/logger';
import { readConfig } from '../../shared/wiring/config';

const logger = createLogger('notify');
const config = readConfig();
const deps: NotifyDeps = {
  program: config.program,
  log: new DynamoDbNotificationLog(documentClient, config.tableName),
  publisher: process.env.ACHIEVEMENTS_TOPIC_ARN
    ? new SnsNotificationPublisher(process.env.ACHIEVEMENTS_TOPIC_ARN, (event, error) =>
        logger.warn('Push endpoint refused the message', { eventId: event.eventId, error: error.name }),
      )
    : new FileNotificationSink(process.env.NOTIFICATION_SINK_FILE ?? '/tmp/notifications.ndjson'),
  pushEndpointOf: async (userId) => {
    const out = await documentClient.send(
      new GetCommand({ TableName: config.tableName, Key: keys.customer(userId), ProjectionExpression: 'pushEndpoint' }),
    );
    return (out.Item?.pushEndpoint as string | null | undefined) ?? undefined;
  },
};

const image = (value: unknown) => (value ? unmarshall(value as Record<string, AttributeValue>) : undefined);

/** Records are handled in stream order; the first that fails is reported, and the stream retries from there. */
export const handler = middy(async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  for (const record of event.Records) {
    try {
      const sent = await notifyChange(image(record.dynamodb?.OldImage), image(record.dynamodb?.NewImage), deps);
      if (sent.length > 0) logger.info('Notifications sent', { eventIds: sent.map((e) => e.eventId) });
    } catch (err) {
      logger.error('Notification failed; the stream will retry from this record', {
        sequenceNumber: record.dynamodb?.SequenceNumber,
        error: err as Error,
      });
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb!.SequenceNumber! }] };
    }
  }
  return { batchItemFailures: [] };
}).use(injectLambdaContext(logger));
