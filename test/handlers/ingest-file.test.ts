import { Readable } from 'node:stream';
import { DynamoDBClient, DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../functions/ingest-file/handler';
import { s3Client } from '../../shared/adapters/clients/s3';
import { sqsClient } from '../../shared/adapters/clients/sqs';
import { keys } from '../../shared/adapters/dynamodb/table-keys';
import { toS3Notification } from '../../shared/adapters/sqs/s3-notification';
import { newAccount } from '../../shared/domain/loyalty';
import { lambdaContext, sqsEvent } from '../support/lambda-events';
import { momaSale } from '../support/moma';

const db = mockClient(DynamoDBDocumentClient);
// The functions read S3 with the small SigV4 reader, not the SDK client: its two methods are stubbed.
const getObject = jest.spyOn(s3Client, 'getObject');
const sendMessage = jest.spyOn(sqsClient, 'sendMessage');
mockClient(DynamoDBClient);

const FILE_EVENTS_ARN = 'arn:aws:sqs:us-east-1:123456789012:hi-vis-file-events';
const notification = (key: string) =>
  JSON.stringify(toS3Notification({ bucket: 'hi-vis-moma-data', key, eTag: 'etag-1', versionId: 'v1', size: 100 }));
// The GetObject Body is a Readable stream (the HTTP response); that is all the adapter relies on.
const object = (text: string) => ({
  Body: Readable.from([Buffer.from(text)]) as never,
  $metadata: { httpStatusCode: 200, attempts: 1, totalRetryDelay: 0 },
});

beforeEach(() => {
  db.reset();
  getObject.mockReset();
  sendMessage.mockReset();
  db.on(UpdateCommand).resolves({ Attributes: { nextIndex: 0 } });
  db.on(QueryCommand).resolves({ Items: [{ userId: 'u1' }] });
  db.on(GetCommand).resolves({ Item: newAccount('u1') });
  db.on(TransactWriteCommand).resolves({});
  db.on(PutCommand).resolves({});
});

const reasonsStored = () =>
  db
    .commandCalls(UpdateCommand)
    .map((c) => c.args[0].input)
    .filter((input) => Object.values(input.ExpressionAttributeValues ?? {}).includes('failure'))
    .map((input) => {
      const names = input.ExpressionAttributeNames ?? {};
      const alias = Object.keys(names).find((k) => names[k] === 'reason')!;
      return input.ExpressionAttributeValues![alias.replace('#', ':')];
    });

describe('ingest-file handler', () => {
  test('streams the notified object version and awards its sales', async () => {
    getObject.mockResolvedValue(object(JSON.stringify([momaSale({ transactionId: 'A' }), momaSale({ transactionId: 'B' })])));

    const message = notification('transactions/batch 1.json');
    expect(message).toContain('"key":"transactions/batch+1.json"');

    const result = await handler(sqsEvent([message], FILE_EVENTS_ARN), lambdaContext('ingest-file', 600_000));

    expect(result).toEqual({ batchItemFailures: [] });
    expect(getObject).toHaveBeenCalledWith(
      expect.objectContaining({
        Bucket: 'hi-vis-moma-data',
        Key: 'transactions/batch 1.json',
        VersionId: 'v1',
        ChecksumMode: 'ENABLED',
      }),
    );
    expect(db).toHaveReceivedCommandTimes(TransactWriteCommand, 2);
    const completion = db
      .commandCalls(UpdateCommand)
      .map((c) => c.args[0].input)
      .find((input) => Object.values(input.ExpressionAttributeValues ?? {}).includes('processed'));
    expect(completion?.Key).toEqual(keys.file('hi-vis-moma-data', 'transactions/batch 1.json', 'etag-1'));
  });

  test("ignores S3's test event", async () => {
    const result = await handler(
      sqsEvent([JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'hi-vis-moma-data' })], FILE_EVENTS_ARN),
      lambdaContext(),
    );
    expect(result).toEqual({ batchItemFailures: [] });
    expect(getObject).not.toHaveBeenCalled();
  });

  test('an S3 outage fails the message for redelivery; a malformed message is stored as a failure', async () => {
    getObject.mockRejectedValue(Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable' }));
    const event = sqsEvent([notification('transactions/a.json'), '{"Records": "nope"}'], FILE_EVENTS_ARN);

    const result = await handler(event, lambdaContext());

    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[0]!.messageId }] });
    expect(reasonsStored()).toEqual([expect.stringMatching(/^not an S3 event notification: Records/)]);
  });

  test('with little time left it checkpoints and re-queues the file instead of timing out', async () => {
    getObject.mockResolvedValue(object(JSON.stringify([momaSale({ transactionId: 'A' })])));
    sendMessage.mockResolvedValue({ $metadata: { httpStatusCode: 200, attempts: 1, totalRetryDelay: 0 } });

    const result = await handler(sqsEvent([notification('transactions/big.json')], FILE_EVENTS_ARN), lambdaContext('ingest-file', 10_000));

    expect(result).toEqual({ batchItemFailures: [] });
    expect(db).not.toHaveReceivedCommand(TransactWriteCommand);
    expect(sendMessage).toHaveBeenCalledWith({
      QueueUrl: process.env.FILE_EVENTS_QUEUE_URL,
      MessageBody: expect.stringContaining('transactions/big.json'),
    });
  });

  const idOf = (input: { TransactItems: Array<{ Put?: { Item: { transactionId: string } } }> }) =>
    input.TransactItems[0]!.Put!.Item.transactionId;
  const completions = () =>
    db
      .commandCalls(UpdateCommand)
      .map((c) => c.args[0].input)
      .filter((input) => Object.values(input.ExpressionAttributeNames ?? {}).includes('completedAt'));

  test('a ValidationException on one record of a file is a stored failure and the file completes; a ThrottlingException is a batch item failure', async () => {
    const lines = ['F-1', 'F-refused', 'F-3'].map((transactionId) => JSON.stringify(momaSale({ transactionId }))).join('\n');
    getObject.mockImplementation(async () => object(lines));
    let throttle = false;
    db.on(TransactWriteCommand).callsFake((input) => {
      if (idOf(input) === 'F-refused') {
        throw throttle
          ? new DynamoDBServiceException({
              name: 'ThrottlingException',
              $fault: 'client',
              $metadata: { httpStatusCode: 400 },
              message: 'Rate of requests exceeds the allowed throughput',
            })
          : new DynamoDBServiceException({
              name: 'ValidationException',
              $fault: 'client',
              $metadata: { httpStatusCode: 400 },
              message: 'Item size has exceeded the maximum allowed size',
            });
      }
      return {};
    });

    const refused = await handler(
      sqsEvent([notification('transactions/refused.ndjson')], FILE_EVENTS_ARN),
      lambdaContext('ingest-file', 600_000),
    );

    expect(refused).toEqual({ batchItemFailures: [] });
    expect(reasonsStored()).toEqual(['sale could not be stored: ValidationException: Item size has exceeded the maximum allowed size']);
    expect(completions()).toHaveLength(1);
    expect(Object.values(completions()[0]!.ExpressionAttributeValues!)).toContain('processed');

    db.resetHistory();
    throttle = true;
    const event = sqsEvent([notification('transactions/throttled.ndjson')], FILE_EVENTS_ARN);
    const throttled = await handler(event, lambdaContext('ingest-file', 600_000));

    expect(throttled).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[0]!.messageId }] });
    expect(reasonsStored()).toEqual([]);
    expect(completions()).toHaveLength(0);
  });

  test('an unsupported file type is recorded once as a finished file with a named failure', async () => {
    const result = await handler(sqsEvent([notification('transactions/photo.png')], FILE_EVENTS_ARN), lambdaContext());

    expect(result).toEqual({ batchItemFailures: [] });
    expect(getObject).not.toHaveBeenCalled();
    expect(reasonsStored()).toEqual([expect.stringMatching(/^unsupported file type: expected one of/)]);
    expect(Object.values(completions()[0]!.ExpressionAttributeValues!)).toContain('unreadable');
  });
});
