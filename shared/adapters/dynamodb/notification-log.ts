import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { NotificationEvent } from '../../domain/notifications';
import { expiryOf } from '../../domain/retention';
import { indexKeys, TTL_ATTRIBUTE } from './table-keys';

const key = (eventId: string) => ({ PK: `NOTIFICATION#${eventId}`, SK: 'NOTIFICATION' });

/**
 * A short-lived record of every notification (kept 30 days), which also makes publishing effectively once: claimed
 * before it is published, and indexed by day (for the admin listing and exports) once it is.
 */
export class DynamoDbNotificationLog {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Records the event unless it is already recorded; says whether it still has to be published. */
  async begin(event: NotificationEvent): Promise<'publish' | 'already_published'> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          // No index keys yet: only a published notification is listed, so the claim costs no index write.
          Item: {
            ...key(event.eventId),
            entity: 'notification',
            ...event,
            status: 'pending',
            [TTL_ATTRIBUTE]: expiryOf('notifications', new Date()),
          },
          ConditionExpression: 'attribute_not_exists(PK)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'publish';
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      // Recorded before: publish again only if the earlier attempt never finished.
      return (err.Item?.status as { S?: string } | undefined)?.S === 'published' ? 'already_published' : 'publish';
    }
  }

  async published(event: NotificationEvent, channels: string[]): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key(event.eventId),
        UpdateExpression: 'SET #status = :published, publishedAt = :now, channels = :channels, GSI3PK = :pk, GSI3SK = :sk',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':published': 'published',
          ':now': new Date().toISOString(),
          ':channels': channels,
          ':pk': indexKeys.byDayShard('NOTIFICATION', event.occurredAt, event.eventId),
          ':sk': `${event.occurredAt}#${event.eventId}`,
        },
      }),
    );
  }
}
