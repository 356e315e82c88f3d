import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../functions/notify/handler';
import { snsClient } from '../../shared/adapters/clients/sns';
import { keys } from '../../shared/adapters/dynamodb/table-keys';
import { lambdaContext } from '../support/lambda-events';

const db = mockClient(DynamoDBDocumentClient);
// The functions publish with the small SNS client, not the SDK's: its publish is stubbed.
const publish = jest.spyOn(snsClient, 'publish');
const published = () => publish.mock.calls.map(([input]) => input);
const sent = { MessageId: 'm', $metadata: { httpStatusCode: 200, attempts: 1, totalRetryDelay: 0 } };
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

/** The handler's process remembers what it published, so each test's sale has an id of its own. */
const streamEvent = (sequenceNumber = '100', transactionId = 'T-42'): DynamoDBStreamEvent => ({
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
        NewImage: marshall({ ...sale, transactionId }) as never,
        Keys: marshall(keys.sale(transactionId)) as never,
      },
    },
  ],
});

beforeEach(() => {
  db.reset();
  publish.mockReset();
  db.on(PutCommand).resolves({});
  db.on(UpdateCommand).resolves({});
  db.on(GetCommand).resolves({
    Item: { pushEndpoint: 'arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/device-1', marketingConsent: true },
  });
  publish.mockResolvedValue(sent);
});

describe('notify handler', () => {
  test("publishes each event to the topic with filterable attributes, and to the customer's device", async () => {
    expect(await handler(streamEvent(), lambdaContext('notify'))).toEqual({ batchItemFailures: [] });

    const topicCalls = published().filter((i) => i.TopicArn);
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
    expect(published()).toContainEqual({
      TargetArn: 'arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/device-1',
      Message: 'Punch card complete: 50 bonus points!',
    });
    // One item per event, written once it is published, in its day's shard of the table (no index keys).
    expect(db).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({
        ...keys.notification('2025-01-01T10:00:00.000Z', 'T-42:points_awarded'),
        eventId: 'T-42:points_awarded',
        status: 'published',
        channels: ['topic', 'push'],
      }),
      ConditionExpression: 'attribute_not_exists(PK)',
    });
    expect(db).toHaveReceivedCommandTimes(PutCommand, 3);
    expect(db).not.toHaveReceivedCommand(UpdateCommand);
    expect(JSON.stringify(db.commandCalls(PutCommand).map((c) => c.args[0].input.Item))).not.toContain('GSI3');
  });

  test('a failed publish is reported for retry, and the retry publishes what was not yet published', async () => {
    publish.mockRejectedValueOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException' }));

    expect(await handler(streamEvent('777', 'T-43'), lambdaContext('notify'))).toEqual({ batchItemFailures: [{ itemIdentifier: '777' }] });
    expect(db).not.toHaveReceivedCommand(PutCommand);

    // Redelivery: nothing was published, so every event goes out, each recorded once.
    expect(await handler(streamEvent('777', 'T-43'), lambdaContext('notify'))).toEqual({ batchItemFailures: [] });
    expect(published().filter((i) => i.TopicArn)).toHaveLength(1 + 3);
    expect(db).toHaveReceivedCommandTimes(PutCommand, 3);
  });

  test('a change delivered again to the same process publishes nothing it already published', async () => {
    expect(await handler(streamEvent('500', 'T-44'), lambdaContext('notify'))).toEqual({ batchItemFailures: [] });
    expect(await handler(streamEvent('500', 'T-44'), lambdaContext('notify'))).toEqual({ batchItemFailures: [] });
    expect(published().filter((i) => i.TopicArn)).toHaveLength(3);
  });

  test('a record written by an earlier process is left as it is', async () => {
    db.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    expect(await handler(streamEvent('600', 'T-45'), lambdaContext('notify'))).toEqual({ batchItemFailures: [] });
  });

  test('a record whose item does not parse is skipped, and the records after it are still notified', async () => {
    const { amountCents: _, ...broken } = sale;
    const event = streamEvent('900', 'T-46');
    const good = event.Records[0]!;
    const bad = { ...good, dynamodb: { ...good.dynamodb, SequenceNumber: '899', NewImage: marshall(broken) as never } };

    expect(await handler({ Records: [bad, good] }, lambdaContext('notify'))).toEqual({ batchItemFailures: [] });
    expect(published().filter((i) => i.TopicArn)).toHaveLength(3);
  });
});
