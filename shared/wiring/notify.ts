import { documentClient } from '../adapters/clients/dynamodb';
import { DynamoDbCustomerContacts } from '../adapters/dynamodb/customer-contacts';
import { DynamoDbNotificationLog } from '../adapters/dynamodb/notification-log';
import { FileNotificationSink, SnsNotificationPublisher } from '../adapters/notification-publishers';
import { CachingCustomerContacts, type NotificationPublisher, type NotifyDeps } from '../notify/notify';
import type { FunctionLogger } from '../observability/json-logger';
import { readProgram, readTableName } from './config';

/**
 * The notify function's composition root. Notifications go to the achievements topic (ACHIEVEMENTS_TOPIC_ARN) in
 * the cloud, and to a local file (NOTIFICATION_SINK_FILE) on the local stack, which has no SNS.
 */
export function notifyDeps(logger: FunctionLogger, env: NodeJS.ProcessEnv = process.env): NotifyDeps {
  const tableName = readTableName(env);
  return {
    program: readProgram(env),
    log: new DynamoDbNotificationLog(documentClient, tableName),
    publisher: publisherFor(logger, env),
    contacts: new CachingCustomerContacts(new DynamoDbCustomerContacts(documentClient, tableName)),
  };
}

function publisherFor(logger: FunctionLogger, env: NodeJS.ProcessEnv): NotificationPublisher {
  if (env.ACHIEVEMENTS_TOPIC_ARN) {
    return new SnsNotificationPublisher(env.ACHIEVEMENTS_TOPIC_ARN, (event, error) =>
      logger.warn('Push endpoint refused the message', { eventId: event.eventId, error: error.name }),
    );
  }
  return new FileNotificationSink(env.NOTIFICATION_SINK_FILE ?? '/tmp/notifications.ndjson');
}
