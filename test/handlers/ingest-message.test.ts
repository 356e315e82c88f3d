import { DynamoDBClient, DynamoDBServiceException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../functions/ingest-message/handler';
import { keys } from '../../shared/adapters/dynamodb/table-keys';
import { newAccount } from '../../shared/domain/loyalty';
import { lambdaContext, sqsEvent } from '../support/lambda-events';
import { momaSale } from '../support/moma';

const db = mockClient(DynamoDBDocumentClient);
mockClient(DynamoDBClient);

const account = newAccount('u1');

beforeEach(() => {
  db.reset();
  db.on(QueryCommand).resolves({ Items: [{ userId: 'u1' }] });
  db.on(GetCommand).resolves({ Item: account });
  db.on(TransactWriteCommand).resolves({});
  db.on(UpdateCommand).resolves({});
  db.on(PutCommand).resolves({});
});

describe('ingest-message handler', () => {
  test('awards a sale in one transaction: sale put if absent, account updated at its version', async () => {
    const result = await handler(sqsEvent([JSON.stringify(momaSale({ transactionId: 'T-1', amount: 350 }))]), lambdaContext());

    expect(result).toEqual({ batchItemFailures: [] });
    expect(db).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
    const [put, update] = db.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(put!.Put).toMatchObject({
      TableName: 'hivis-handler-test',
      Item: { ...keys.sale('T-1'), status: 'awarded', points: 35, userId: 'u1', cardLast4: '1111' },
      ConditionExpression: expect.stringContaining('attribute_not_exists(PK)'),
    });
    expect(JSON.stringify(put!.Put!.Item)).not.toContain('4111111111111111');
    expect(update!.Update).toMatchObject({
      Key: keys.customer('u1'),
      ExpressionAttributeValues: expect.objectContaining({ ':expected': 0, ':next': 1, ':points': 35 }),
    });
  });

  test('an invalid record is stored as a failure and is not a batch item failure', async () => {
    const result = await handler(sqsEvent([JSON.stringify(momaSale({ amount: 'lots' })), 'not json at all']), lambdaContext());

    expect(result).toEqual({ batchItemFailures: [] });
    const failureWrites = db
      .commandCalls(UpdateCommand)
      .filter((c) => Object.values(c.args[0].input.ExpressionAttributeValues ?? {}).includes('failure'));
    expect(failureWrites).toHaveLength(2);
    const reasons = failureWrites.map((c) =>
      Object.values(c.args[0].input.ExpressionAttributeValues ?? {}).find(
        (v) => typeof v === 'string' && (v.startsWith('invalid') || v.startsWith('message')),
      ),
    );
    expect(reasons.sort()).toEqual([
      'invalid record: amount is required and must be a number of cents',
      expect.stringMatching(/^message body is not valid JSON/),
    ]);
    expect(db).not.toHaveReceivedCommand(TransactWriteCommand);
  });

  test('a transient DynamoDB error fails only that message, so SQS redelivers it', async () => {
    db.on(TransactWriteCommand)
      .resolvesOnce({})
      .rejects(Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' }));
    const event = sqsEvent([
      JSON.stringify(momaSale({ transactionId: 'T-ok' })),
      JSON.stringify(momaSale({ transactionId: 'T-throttled' })),
    ]);

    const result = await handler(event, lambdaContext());

    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[1]!.messageId }] });
  });

  test('contention on the account is retried; a duplicate is never retried', async () => {
    const stale = new TransactionCanceledException({
      message: 'cancelled',
      $metadata: {},
      CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }],
    });
    const duplicate = new TransactionCanceledException({
      message: 'cancelled',
      $metadata: {},
      CancellationReasons: [
        { Code: 'ConditionalCheckFailed', Item: { contentHash: { S: 'other' }, status: { S: 'awarded' } } },
        { Code: 'None' },
      ],
    });
    db.on(TransactWriteCommand).rejectsOnce(stale).rejectsOnce(duplicate);

    const result = await handler(sqsEvent([JSON.stringify(momaSale({ transactionId: 'T-busy' }))]), lambdaContext());

    expect(result).toEqual({ batchItemFailures: [] });
    expect(db).toHaveReceivedCommandTimes(TransactWriteCommand, 2);
    // The second attempt found the sale recorded with other content: a conflict is recorded, not an award.
    expect(db).toHaveReceivedCommandWith(PutCommand, { Item: expect.objectContaining({ entity: 'conflict', transactionId: 'T-busy' }) });
  });

  const refused = () =>
    new DynamoDBServiceException({
      name: 'ValidationException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: 'Item size has exceeded the maximum allowed size',
    });
  const throttled = () =>
    new DynamoDBServiceException({
      name: 'ThrottlingException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: 'Rate of requests exceeds the allowed throughput',
    });
  const failureReasons = () =>
    db
      .commandCalls(UpdateCommand)
      .map((c) => c.args[0].input.ExpressionAttributeValues ?? {})
      .filter((values) => Object.values(values).includes('failure'))
      .map((values) => Object.values(values).find((v) => typeof v === 'string' && v.startsWith('sale could not be stored')));

  test('a ValidationException on one record is a stored failure, not a batch item failure; a ThrottlingException is', async () => {
    db.on(TransactWriteCommand).callsFake((input: { TransactItems: Array<{ Put?: { Item: { transactionId: string } } }> }) => {
      const id = input.TransactItems[0]!.Put!.Item.transactionId;
      if (id === 'T-refused') throw refused();
      if (id === 'T-throttled') throw throttled();
      return {};
    });
    const event = sqsEvent([
      JSON.stringify([
        momaSale({ transactionId: 'T-before' }),
        momaSale({ transactionId: 'T-refused' }),
        momaSale({ transactionId: 'T-after' }),
      ]),
      JSON.stringify(momaSale({ transactionId: 'T-throttled' })),
      JSON.stringify(momaSale({ transactionId: 'T-alone' })),
    ]);

    const result = await handler(event, lambdaContext());

    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[1]!.messageId }] });
    expect(failureReasons().filter(Boolean)).toEqual([
      'sale could not be stored: ValidationException: Item size has exceeded the maximum allowed size',
    ]);
    const awarded = db.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems![0]!.Put!.Item!.transactionId);
    expect(awarded).toEqual(expect.arrayContaining(['T-before', 'T-after', 'T-alone']));
  });

  test('a failure DynamoDB refuses to store in full is stored without its copy; the message is consumed', async () => {
    db.on(TransactWriteCommand).rejects(refused());
    db.on(UpdateCommand).rejectsOnce(refused()).resolves({});

    const result = await handler(sqsEvent([JSON.stringify(momaSale({ transactionId: 'T-twice-refused' }))]), lambdaContext());

    expect(result).toEqual({ batchItemFailures: [] });
    const failureWrites = db
      .commandCalls(UpdateCommand)
      .map((c) => c.args[0].input.ExpressionAttributeValues!)
      .filter((values) => Object.values(values).includes('failure'));
    expect(failureWrites).toHaveLength(2);
    const minimal = failureWrites[1]!;
    expect(Object.values(minimal)).toContain(null);
    expect(JSON.stringify(minimal)).toContain('the full failure could not be stored');
  });

  test('overlapping invocations keep their own batch item failures', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // Each card its own customer; the first invocation's two card lookups (made first) are held until released.
    let lookups = 0;
    db.on(QueryCommand).callsFake(async (input: { ExpressionAttributeValues: Record<string, string> }) => {
      if (++lookups <= 2) await gate;
      return { Items: [{ userId: `u-${String(Object.values(input.ExpressionAttributeValues)[0]).slice(-8)}` }] };
    });
    db.on(GetCommand).callsFake(async (input: { Key: { PK: string } }) => ({ Item: newAccount(input.Key.PK.replace('CUSTOMER#', '')) }));
    db.on(TransactWriteCommand).callsFake(async (input: { TransactItems: Array<{ Put?: { Item: { transactionId: string } } }> }) => {
      const ids = input.TransactItems.map((item) => item.Put?.Item.transactionId);
      // A pack is refused whole; the reasons say which award was throttled.
      if (ids.some((id) => id?.endsWith('throttled')))
        throw new TransactionCanceledException({
          message: 'Transaction cancelled',
          $metadata: { httpStatusCode: 400 },
          CancellationReasons: ids.map((id) => ({ Code: id?.endsWith('throttled') ? 'ThrottlingError' : 'None' })),
        });
      return {};
    });
    const card = (n: number) => `4000 0000 0000 ${String(1000 + n)}`;
    const first = sqsEvent([
      JSON.stringify(momaSale({ transactionId: 'slow-throttled', cardNumber: card(1) })),
      JSON.stringify(momaSale({ transactionId: 'slow-ok', cardNumber: card(2) })),
    ]);
    const second = sqsEvent([
      JSON.stringify(momaSale({ transactionId: 'fast-ok', cardNumber: card(3) })),
      JSON.stringify(momaSale({ transactionId: 'fast-throttled', cardNumber: card(4) })),
    ]);
    for (const [i, r] of second.Records.entries()) r.messageId = `11111111-0000-4000-8000-${String(i).padStart(12, '0')}`;

    const running = handler(first, lambdaContext());
    const secondResult = await handler(second, lambdaContext());
    release();
    const firstResult = await running;

    expect(secondResult).toEqual({ batchItemFailures: [{ itemIdentifier: second.Records[1]!.messageId }] });
    expect(firstResult).toEqual({ batchItemFailures: [{ itemIdentifier: first.Records[0]!.messageId }] });
  });
});
