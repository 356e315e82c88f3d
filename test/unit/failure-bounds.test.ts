import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { boundText, DynamoDbFailureStore, FAILURE_LIMITS, failureAttributes } from '../../shared/adapters/dynamodb/failure-store';
import { containsCardNumber } from '../../shared/domain/card-number';
import { TransientIngestError } from '../../shared/ingest/errors';
import { ingestRecord } from '../../shared/ingest/ingest-sale';
import { awsError, memoryIngest } from '../support/fakes';
import { momaSale } from '../support/moma';

const MB = 1024 * 1024;
const CARD = '4111 1111 1111 1111';
const SQS = { kind: 'sqs', queue: 'moma', messageId: 'm-1', index: 0 } as const;

describe('bounding what a failure item keeps', () => {
  test.each(['transactionId', 'product', 'machineId'])(
    'a 1 MB %s becomes a failure under 50 KB that keeps the original length',
    async (field) => {
      const { deps, failures } = memoryIngest();
      const huge = `${CARD} ${'x'.repeat(MB)}`;

      expect(await ingestRecord(momaSale({ [field]: huge }), SQS, 'sqs:moma:m-1#0', deps)).toBe('failed');

      const [item] = failures.all;
      expect(item!.reason).toBe(
        `invalid record: ${field} must be at most ${field === 'transactionId' ? 128 : field === 'product' ? 256 : 64} characters`,
      );
      expect(JSON.stringify(item).length).toBeLessThan(50_000);
      expect(item!.rawLength).toBeGreaterThan(MB);
      expect(item!.rawTruncated).toBe(true);
      expect(item!.raw!.length).toBeLessThanOrEqual(FAILURE_LIMITS.raw);
      expect(containsCardNumber(JSON.stringify(item))).toBe(false);
      // A record whose fields are far over their bounds could only fail again: no retry copy, not retryable.
      expect(item!.retryRecord).toBeNull();
      if (field === 'transactionId') expect(item!.transactionIdLength).toBe(huge.length);
    },
  );

  test('every string is masked and bounded; errors are at most 20, each bounded', () => {
    const attributes = failureAttributes({
      sourceId: `sqs:moma:${'k'.repeat(5_000)}`,
      source: `s3://bucket/${CARD}/${'s'.repeat(5_000)}`,
      reason: `refused ${CARD} ${'r'.repeat(5_000)}`,
      errors: Array.from({ length: 500 }, (_, i) => ({ field: `f${i}${'x'.repeat(1_000)}`, rule: `${CARD} ${'y'.repeat(5_000)}` })),
      raw: { cardNumber: CARD, note: `card ${CARD.replace(/ /g, '')}`, filler: 'z'.repeat(MB) },
      transactionId: `${CARD}-${'t'.repeat(MB)}`,
      retry: { record: { transactionId: 'T-1', product: `${CARD} coffee` } },
    });
    const text = JSON.stringify(attributes);
    expect(text.length).toBeLessThan(50_000);
    expect(containsCardNumber(text)).toBe(false);
    expect(attributes.errors).toHaveLength(20);
    expect(attributes.errorCount).toBe(500);
    expect(attributes.reason.length).toBeLessThanOrEqual(FAILURE_LIMITS.reason);
    expect(attributes.source.length).toBeLessThanOrEqual(FAILURE_LIMITS.source);
    expect(attributes.transactionId!.length).toBeLessThanOrEqual(FAILURE_LIMITS.transactionId);
    expect(attributes.raw).toContain('"cardNumber":"************1111"');
    expect(JSON.parse(attributes.retryRecord!)).toEqual({ record: { transactionId: 'T-1', product: '************1111 coffee' } });
  });

  test('a retry copy too large to keep whole is dropped, never truncated', () => {
    expect(
      failureAttributes({ sourceId: 's', source: 's', reason: 'r', retry: { record: { product: 'p'.repeat(5_000) } } }).retryRecord,
    ).toBeNull();
  });

  test('a card number straddling the cut is masked before it is cut; lone surrogates are replaced', () => {
    const text = `${'a'.repeat(95)}${CARD}`;
    expect(boundText(text, 100)).toBe(`${'a'.repeat(95)}*****`);
    expect(boundText('ok \ud83d', 10)).toBe('ok \ufffd');
    // A cut through a surrogate pair leaves no lone half behind.
    expect(boundText(`ab\ud83d\ude00`, 3)).toBe('ab\ufffd');
  });
});

describe('a failure DynamoDB refuses to store', () => {
  const db = mockClient(DynamoDBDocumentClient);
  mockClient(DynamoDBClient);
  const store = new DynamoDbFailureStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), 'table');
  const failure = {
    sourceId: 'sqs:moma:m#0',
    source: 'sqs moma message m record 0',
    reason: 'invalid record: amount must be greater than 0',
    raw: { amount: -1 },
    transactionId: 'T-1',
  };
  beforeEach(() => db.reset());

  test('is stored as a minimal failure without any copy of the input', async () => {
    db.on(UpdateCommand).rejectsOnce(awsError('ValidationException', 'Item size has exceeded the maximum allowed size')).resolves({});

    await store.recordFailure(failure);

    expect(db).toHaveReceivedCommandTimes(UpdateCommand, 2);
    const values = db.commandCalls(UpdateCommand)[1]!.args[0].input.ExpressionAttributeValues!;
    expect(Object.values(values)).toContain(
      'invalid record: amount must be greater than 0 (the full failure could not be stored: ValidationException: Item size has exceeded the maximum allowed size)',
    );
    expect(JSON.stringify(values)).not.toContain('"amount"');
  });

  test('a transient error is thrown as it is, without a fallback write', async () => {
    db.on(UpdateCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    await expect(store.recordFailure(failure)).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(db).toHaveReceivedCommandTimes(UpdateCommand, 1);
  });

  test('refused twice, it is reported as transient so the input is redelivered, never dropped, and never loops here', async () => {
    db.on(UpdateCommand).rejects(awsError('ValidationException', 'refused'));
    await expect(store.recordFailure(failure)).rejects.toBeInstanceOf(TransientIngestError);
    expect(db).toHaveReceivedCommandTimes(UpdateCommand, 2);
  });
});
