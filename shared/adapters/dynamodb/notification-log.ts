import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { NotificationEvent } from '../../domain/notifications';
import { expiryOf } from '../../domain/retention';
import { BoundedCache } from '../../support/bounded-cache';
import { keys, TTL_ATTRIBUTE } from './table-keys';

/**
 * A short-lived record of every notification (kept 30 days): one item per event, written once it is published, in its
 * day's shard of the table itself (listed by day without an index). Publishing is at least once: a stream batch
 * delivered again to this process publishes nothing it already did; one retried after a crash may repeat the events
 * its failed record had already published (the stream resumes from the failed record, not the batch).
 */
export class DynamoDbNotificationLog {
  private readonly recent = new BoundedCache<string, true>(50_000, 60 * 60_000);

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async begin(event: NotificationEvent): Promise<'publish' | 'already_published'> {
    return this.recent.get(event.eventId) ? 'already_published' : 'publish';
  }

  async published(event: NotificationEvent, channels: string[]): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.notification(event.occurredAt, event.eventId),
            entity: 'notification',
            ...event,
            status: 'published',
            publishedAt: new Date().toISOString(),
            channels,
            [TTL_ATTRIBUTE]: expiryOf('notifications', new Date()),
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
    } catch (err) {
      // Recorded by an earlier delivery of the same change.
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
    this.recent.set(event.eventId, true);
  }
}
