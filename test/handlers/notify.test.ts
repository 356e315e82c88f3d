import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../functions/notify/handler';
import { keys } from '../../shared/adapters/dynamodb/table-keys';
import { lambdaContext } from '../support/lambda-events';

const db = mockClient(DynamoDBDocumentClient);
const sns = mockClient(SNSClient);
mockClient(DynamoDBClient);

const sale = {
  entity: 'sale',
  transactionId: 'T-42',
  status: 'awarded',
  date: '2025-01-01T09:59:00.000Z',
  amountCents: 100,
  product: 'Coffee',
  machineId: 'V1',
  receivedAt: '2025-01-01T10:00:00.000Z',
  userId: 'u1',
  purchasePoints: 10,
  points: 60,
  balanceAfter: 560,
  tierAfter: 'Silver',
  awardedAt: '2025-01-01T10:00:00.000Z',
  achievements: [
    { type: 'punch_card_completed', cardsCompleted: 1 },
    { type: 'bonus_awarded', points: 50, reason: 'punch_card' },
  ],
};

const streamEvent = (sequenceNumber = '100'): DynamoDBStreamEvent => ({
  Records: [
    {
      eventID: 'e1',
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      eventSourceARN: 'arn:aws:dynamodb:us-east-1:123456789012:table/hi-vis/stream/2025',
      dynamodb: {
        SequenceNumber: sequenceNumber,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
        NewImage: marshall(sale) as never,
        Keys: marshall(keys.sale('T-42')) as never,
      },
    },
  ],
});

beforeEach(() => {
  db.reset();
  sns.reset();
  db.on(PutCommand).resolves({});
  db.on(UpdateCommand).resolves({});
  db.on(GetCommand).resolves({
    Item: { pushEndpoint: 'arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/device-1', marketingConsent: true },
  });
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});

describe('notify handler', () => {
  test("publishes each event to the topic with filterable attributes, and to the customer's device", async () => {
    expect(await handler(streamEvent(), lambdaContext('notify'))).toEqual({ batchItemFailures: [] });

    const topicCalls = sns
      .commandCalls(PublishCommand)
      .map((c) => c.args[0].input)
      .filter((i) => i.TopicArn);
    expect(topicCalls.map((i) => i.MessageAttributes!.eventType!.StringValue)).toEqual([
      'points_awarded',
      'punch_card_completed',
      'bonus_awarded',
    ]);
    expect(topicCalls[2]).toMatchObject({
      MessageAttributes: {
        eventType: { StringValue: 'bonus_awarded' },
        userId: { StringValue: 'u1' },
        tier: { StringValue: 'Silver' },
        eventId: { StringValue: 'T-42:bonus_awarded' },
      },
    });
    expect(JSON.parse(topicCalls[2]!.Message!)).toMatchObject({ eventId: 'T-42:bonus_awarded', transactionId: 'T-42', balanceAfter: 560 });
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TargetArn: 'arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/device-1',
      Message: 'Punch card complete: 50 bonus points!',
    });
    expect(db).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ eventId: 'T-42:points_awarded', status: 'pending' }),
      ConditionExpression: 'attribute_not_exists(PK)',
    });
    expect(db).toHaveReceivedCommandTimes(UpdateCommand, 3);
  });

  test('a failed publish is reported for retry, and the retry publishes what was not yet published', async () => {
    sns
      .on(PublishCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException' }))
      .resolves({ MessageId: 'm' });

    expect(await handler(streamEvent('777'), lambdaContext('notify'))).toEqual({ batchItemFailures: [{ itemIdentifier: '777' }] });

    // Redelivery: the first event was recorded but never marked published, so it goes out again.
    db.on(PutCommand).rejectsOnce(
      new ConditionalCheckFailedException({ message: 'exists', $metadata: {}, Item: { status: { S: 'pending' } } as never }),
    );
    expect(await handler(streamEvent('777'), lambdaContext('notify'))).toEqual({ batchItemFailures: [] });
    expect(sns.commandCalls(PublishCommand).filter((c) => c.args[0].input.TopicArn)).toHaveLength(1 + 3);
  });

  test('an event already published is not published again', async () => {
    db.on(PutCommand).rejects(
      new ConditionalCheckFailedException({ message: 'exists', $metadata: {}, Item: { status: { S: 'published' } } as never }),
    );
    expect(await handler(streamEvent(), lambdaContext('notify'))).toEqual({ batchItemFailures: [] });
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  test('a record whose item does not parse is skipped, and the records after it are still notified', async () => {
    const { amountCents: _, ...broken } = sale;
    const event = streamEvent('900');
    const good = event.Records[0]!;
    const bad = { ...good, dynamodb: { ...good.dynamodb, SequenceNumber: '899', NewImage: marshall(broken) as never } };

    expect(await handler({ Records: [bad, good] }, lambdaContext('notify'))).toEqual({ batchItemFailures: [] });
    expect(sns.commandCalls(PublishCommand).filter((c) => c.args[0].input.TopicArn)).toHaveLength(3);
  });
});
