import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ScheduledEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../functions/reconcile/handler';
import { s3Client } from '../../shared/adapters/clients/s3';
import { sqsClient } from '../../shared/adapters/clients/sqs';
import { keys } from '../../shared/adapters/dynamodb/table-keys';
import { lambdaContext } from '../support/lambda-events';

const db = mockClient(DynamoDBDocumentClient);
// The functions list S3 with the small SigV4 reader, not the SDK client.
const listObjects = jest.spyOn(s3Client, 'listObjectsV2');
const sendBatch = jest.spyOn(sqsClient, 'sendMessageBatch');
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
  resources: ['arn:aws:events:us-east-1:123456789012:rule/reconcile'],
  detail: {},
};

test('re-queues old files with no finished record, and leaves recent and finished ones alone', async () => {
  const old = new Date(now.getTime() - 10 * 60_000);
  const metadata = { httpStatusCode: 200, attempts: 1, totalRetryDelay: 0 };
  listObjects.mockImplementation(async ({ Prefix }) => {
    if (Prefix !== 'transactions/') return { Contents: [], $metadata: metadata };
    return {
      $metadata: metadata,
      Contents: [
        { Key: 'transactions/done.json', ETag: '"e1"', LastModified: old, Size: 10 },
        { Key: 'transactions/missed.json', ETag: '"e2"', LastModified: old, Size: 10 },
        { Key: 'transactions/crashed.json', ETag: '"e3"', LastModified: old, Size: 10 },
        { Key: 'transactions/just-arrived.json', ETag: '"e4"', LastModified: new Date(now.getTime() - 30_000), Size: 10 },
      ],
    };
  });
  db.on(BatchGetCommand).resolves({
    Responses: {
      'hivis-handler-test': [
        { ...keys.file('hi-vis-moma-data', 'transactions/done.json', 'e1'), status: 'processed' },
        {
          ...keys.file('hi-vis-moma-data', 'transactions/crashed.json', 'e3'),
          status: 'processing',
          leaseExpiresAt: '2025-01-01T11:55:00.000Z',
        },
      ],
    },
  });
  sendBatch.mockResolvedValue({ Successful: [], Failed: [], $metadata: metadata });

  const result = await handler(scheduledEvent, lambdaContext('reconcile'));

  expect(result).toEqual({ scanned: 3, requeued: 2 });
  const sent = sendBatch.mock.calls[0]![0].Entries.map((e) => JSON.parse(e.MessageBody).Records[0].s3.object.key);
  expect(sent.sort()).toEqual(['transactions/crashed.json', 'transactions/missed.json']);
});
