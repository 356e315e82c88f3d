import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LocalStackClient, waitFor } from '../../local/local-client';
import { keys } from '../../shared/adapters/dynamodb/table-keys';
import { momaSale } from '../support/moma';

let local: LocalStackClient;

beforeAll(() => {
  local = LocalStackClient.fromEnv();
});
afterAll(() => local.destroy());

const pointsOf = async (userId: string) => (await local.customer(userId))?.points ?? 0;

describe('the local stack, driven as Moma drives the cloud', () => {
  test('a file dropped into S3 is awarded with no other action', async () => {
    await local.addCustomer('ls-ann', '4111 1111 1111 1001');
    await local.putMomaFile(
      'transactions/ls-drop.json',
      JSON.stringify([momaSale({ transactionId: 'LS-DROP-1', cardNumber: '4111111111111001', amount: 350 })]),
    );

    await waitFor(async () => (await pointsOf('ls-ann')) === 35, 'points from the dropped file');
    // The file is marked processed just after its last award: wait for that write rather than race it.
    await waitFor(
      async () => (await local.fileRecord('transactions/ls-drop.json'))?.status === 'processed',
      'the file to be marked processed',
    );
    expect(await local.fileRecord('transactions/ls-drop.json')).toMatchObject({ status: 'processed', awardedCount: 1 });
  });

  test('a real-time SQS message is awarded', async () => {
    await local.addCustomer('ls-ben', '4111 1111 1111 1002');
    await local.sendMomaMessage(momaSale({ transactionId: 'LS-MSG-1', cardNumber: '4111111111111002', amount: 1_250 }));

    await waitFor(async () => (await pointsOf('ls-ben')) === 125, 'points from the message');
  });

  test('the same sales by both paths, twice each, are awarded once', async () => {
    await local.addCustomer('ls-cat', '4111 1111 1111 1003');
    const sales = [1, 2, 3].map((i) => momaSale({ transactionId: `LS-BOTH-${i}`, cardNumber: '4111111111111003', amount: 500 }));

    await Promise.all([
      local.putMomaFile('transactions/ls-both-a.json', JSON.stringify(sales)),
      local.putMomaFile('transactions/ls-both-b.ndjson', sales.map((s) => JSON.stringify(s)).join('\n')),
      local.sendMomaBatch(sales),
      local.sendMomaBatch(sales),
    ]);

    await waitFor(
      async () =>
        (await local.fileRecord('transactions/ls-both-a.json'))?.status === 'processed' &&
        (await local.fileRecord('transactions/ls-both-b.ndjson'))?.status === 'processed',
      'both files',
    );
    await waitFor(async () => (await local.queueDepth(local.endpoints.momaQueueUrl)) === 0, 'the Moma queue to drain');
    expect(await local.customer('ls-cat')).toMatchObject({ points: 150, purchaseCount: 3 });
  });

  test('a file with good and bad records: the good are awarded, each bad one is a failure with its reason', async () => {
    await local.addCustomer('ls-dan', '4111 1111 1111 1004');
    const lines = [
      JSON.stringify(momaSale({ transactionId: 'LS-MIX-1', cardNumber: '4111111111111004', amount: 200 })),
      JSON.stringify(momaSale({ transactionId: 'LS-MIX-2', cardNumber: '4111111111111004', date: '2025-13-01T00:00:00Z' })),
      '{ not json',
      JSON.stringify(momaSale({ transactionId: 'LS-MIX-4', cardNumber: '4111111111111004', amount: 300 })),
      JSON.stringify(momaSale({ transactionId: 'LS-MIX-5', cardNumber: '4111111111111004', machineId: '' })),
    ];
    await local.putMomaFile('transactions/ls-mixed.ndjson', lines.join('\n'));

    await waitFor(async () => (await local.fileRecord('transactions/ls-mixed.ndjson'))?.status === 'processed', 'the mixed file');
    expect(await local.customer('ls-dan')).toMatchObject({ points: 50, purchaseCount: 2 });
    const failures = (await local.failuresFrom('ls-mixed.ndjson')).map((f) => [f.source, f.reason]).sort();
    expect(failures).toEqual([
      ['s3://hi-vis-moma-data/transactions/ls-mixed.ndjson line 2', expect.stringMatching(/^invalid record: date /)],
      ['s3://hi-vis-moma-data/transactions/ls-mixed.ndjson line 3', expect.stringMatching(/^invalid JSON/)],
      ['s3://hi-vis-moma-data/transactions/ls-mixed.ndjson line 5', 'invalid record: machineId must not be empty'],
    ]);
  });

  test('a message that keeps failing lands in the DLQ after maxReceiveCount; the rest of its batch succeeds', async () => {
    await local.addCustomer('ls-eve', '4111 1111 1111 1005');
    await local.addCustomer('ls-fay', '4111 1111 1111 1006');
    // A malformed account (its version is not a number) must never be awarded on: the message fails every time.
    await local.db.send(
      new UpdateCommand({
        TableName: local.endpoints.tableName,
        Key: keys.customer('ls-fay'),
        UpdateExpression: 'SET #v = :broken',
        ExpressionAttributeNames: { '#v': 'version' },
        ExpressionAttributeValues: { ':broken': 'not-a-number' },
      }),
    );

    await local.sendMomaBatch([
      momaSale({ transactionId: 'LS-DLQ-OK-1', cardNumber: '4111111111111005', amount: 100 }),
      momaSale({ transactionId: 'LS-DLQ-POISON', cardNumber: '4111111111111006', amount: 100 }),
      momaSale({ transactionId: 'LS-DLQ-OK-2', cardNumber: '4111111111111005', amount: 100 }),
    ]);

    await waitFor(async () => (await pointsOf('ls-eve')) === 20, 'the good messages');
    const parked = await waitFor(
      async () =>
        (
          await local.sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: local.endpoints.momaDlqUrl,
              MaxNumberOfMessages: 10,
              WaitTimeSeconds: 0,
              MessageSystemAttributeNames: ['All'],
              AttributeNames: ['All'],
            }),
          )
        ).Messages,
      'the poison message in the DLQ',
      90_000,
      500,
    );
    expect(parked.map((m) => JSON.parse(m.Body!).transactionId)).toEqual(['LS-DLQ-POISON']);
    expect(parked[0]!.Attributes?.DeadLetterQueueSourceArn).toMatch(/:hi-vis-notifications$/);
    expect(await local.sale('LS-DLQ-POISON')).toBeUndefined();
  }, 120_000);
});
