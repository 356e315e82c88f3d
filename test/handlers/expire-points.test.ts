import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ScheduledEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { GSI1, GSI3, indexKeys, keys } from '../../shared/adapters/dynamodb/table-keys';
import { lambdaContext } from '../support/lambda-events';

const db = mockClient(DynamoDBDocumentClient);
mockClient(DynamoDBClient);

const now = new Date('2025-01-01T12:00:00Z');
const scheduledEvent: ScheduledEvent = {
  version: '0',
  id: 'e1',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: now.toISOString(),
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:123456789012:rule/expirePoints'],
  detail: {},
};

let handler: typeof import('../../functions/expire-points/handler').handler;
beforeAll(() => {
  // The deployment's program, read when the handler module loads (as Lambda's environment is there before it).
  process.env.PROGRAM_CONFIG = JSON.stringify({ expiry: { mode: 'age', days: 365, noticeDays: 14 } });
  handler = require('../../functions/expire-points/handler').handler;
});
afterAll(() => {
  delete process.env.PROGRAM_CONFIG;
});

test('expires the points of the customers due by the schedule time, and takes a customer with none left off the index', async () => {
  const dueKey = '2025-01-01T06:00:00.000Z#u1';
  db.on(GetCommand, { Key: keys.dueRunCheckpoint() }).resolves({ Item: { completedThrough: '2024-12-31' } });
  db.on(GetCommand, { Key: keys.customer('u1') }).resolves({
    Item: { entity: 'customer', userId: 'u1', points: 100, lifetimePoints: 100, tier: 'Bronze', version: 1, GSI3SK: dueKey },
  });
  db.on(QueryCommand, { IndexName: GSI3 }).resolves({ Items: [{ userId: 'u1', GSI3SK: dueKey }] });
  db.on(QueryCommand, { IndexName: GSI1 }).resolves({
    Items: [{ status: 'awarded', points: 100, date: '2023-12-01T10:00:00.000Z', awardedAt: '2023-12-01T10:00:01.000Z' }],
  });
  db.on(QueryCommand, { KeyConditionExpression: 'PK = :pk' }).resolves({ Items: [] });
  db.on(TransactWriteCommand).resolves({});
  db.on(UpdateCommand).resolves({});

  const result = await handler(scheduledEvent, lambdaContext('expirePoints', 300_000));

  expect(result).toMatchObject({ daysRead: 1, customers: 1, expired: { customers: 1, points: 100 }, finished: true });
  expect(db).toHaveReceivedCommandWith(QueryCommand, {
    IndexName: GSI3,
    ExpressionAttributeValues: { ':pk': indexKeys.dueOn(now.toISOString()), ':upTo': `${now.toISOString()}#\uffff` },
  });
  const [transaction] = db.commandCalls(TransactWriteCommand);
  expect(transaction!.args[0].input.TransactItems![0]!.Put!.Item).toMatchObject({
    SK: 'EXPIRY#2024-11-30T10:00:00.000Z#000000001',
    entity: 'expiry',
    points: 100,
    balanceAfter: 0,
    GSI1PK: indexKeys.customerMoves('u1'),
  });
  expect(db).toHaveReceivedCommandWith(UpdateCommand, {
    Key: keys.customer('u1'),
    UpdateExpression: 'REMOVE GSI3PK, GSI3SK, nextReviewAt',
    ExpressionAttributeValues: expect.objectContaining({ ':seen': dueKey, ':version': 2 }),
  });
});
