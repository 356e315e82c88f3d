import { appendFile } from 'node:fs/promises';
import type { NotificationEvent } from '../domain/notifications';
import type { NotificationPublisher } from '../notify/notify';
import { snsClient } from './clients/sns';

/** The achievements topic (filterable by eventType, userId, tier), and the customer's device when they have one. */
export class SnsNotificationPublisher implements NotificationPublisher {
  constructor(
    private readonly topicArn: string,
    private readonly onPushRefused: (event: NotificationEvent, error: Error) => void,
  ) {}

  async publish(event: NotificationEvent, pushEndpoint?: string): Promise<string[]> {
    await snsClient.publish({
      TopicArn: this.topicArn,
      Message: JSON.stringify(event),
      Subject: event.eventType,
      MessageAttributes: {
        eventType: { DataType: 'String', StringValue: event.eventType },
        eventId: { DataType: 'String', StringValue: event.eventId },
        ...(event.userId ? { userId: { DataType: 'String', StringValue: event.userId } } : {}),
        ...(event.tier ? { tier: { DataType: 'String', StringValue: event.tier } } : {}),
      },
    });
    if (!pushEndpoint) return ['topic'];
    try {
      await snsClient.publish({ TargetArn: pushEndpoint, Message: event.message });
      return ['topic', 'push'];
    } catch (err) {
      // A disabled or deleted device endpoint is the customer's state, not an outage: the topic message stands.
      if (['EndpointDisabledException', 'NotFoundException', 'InvalidParameterException'].includes((err as Error).name)) {
        this.onPushRefused(event, err as Error);
        return ['topic'];
      }
      throw err;
    }
  }
}

/** The local stack's stand-in for SNS: one JSON line per notification, in the local data folder. */
export class FileNotificationSink implements NotificationPublisher {
  constructor(private readonly file: string) {}

  async publish(event: NotificationEvent, pushEndpoint?: string): Promise<string[]> {
    const channels = pushEndpoint ? ['local-sink', 'push'] : ['local-sink'];
    await appendFile(this.file, `${JSON.stringify({ ...event, channels, pushEndpoint })}\n`);
    return channels;
  }
}
