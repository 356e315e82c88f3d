import { DynamoDBServiceException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { classifyError, describeError, PermanentIngestError, TransientIngestError } from '../../shared/ingest/errors';
import { awsError } from '../support/fakes';

const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: { httpStatusCode: 400 },
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
const network = (code: string) => Object.assign(new Error(`socket ${code}`), { code });

describe('classifyError', () => {
  test.each([
    ['ThrottlingException', 400],
    ['ProvisionedThroughputExceededException', 400],
    ['RequestLimitExceeded', 400],
    ['TooManyRequestsException', 429],
    ['SlowDown', 503],
    ['TransactionConflictException', 400],
    ['TransactionInProgressException', 400],
    ['InternalServerError', 500],
    ['ServiceUnavailable', 503],
    ['SomethingNewOnTheServerSide', 502],
    ['RequestTimeout', 408],
    ['AccessDeniedException', 400],
    ['ResourceNotFoundException', 400],
    ['UnrecognizedClientException', 400],
  ])('%s (HTTP %i) is transient', (name, status) => {
    expect(classifyError(awsError(name, 'x', { status }))).toBe('transient');
  });

  test.each([
    ['ValidationException', 'Item size has exceeded the maximum allowed size'],
    ['ValidationException', 'One or more parameter values were invalid: An AttributeValue may not contain an empty string'],
    [
      'ValidationException',
      'One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes',
    ],
    ['SerializationException', 'Start of structure or map found where not expected'],
    ['ConditionalCheckFailedException', 'The conditional request failed'],
    ['InvalidObjectState', "The operation is not valid for the object's storage class"],
    ['SomeOtherClientException', 'refused'],
  ])('%s (%s) is permanent', (name, message) => {
    expect(classifyError(awsError(name, message, { status: 400 }))).toBe('permanent');
  });

  test("the SDK's own exception classes classify like their shapes", () => {
    expect(
      classifyError(
        new DynamoDBServiceException({
          name: 'ValidationException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'Item size has exceeded the maximum allowed size',
        }),
      ),
    ).toBe('permanent');
    expect(
      classifyError(
        new DynamoDBServiceException({
          name: 'ThrottlingException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'Rate exceeded',
        }),
      ),
    ).toBe('transient');
    expect(
      classifyError(new DynamoDBServiceException({ name: 'InternalServerError', $fault: 'server', $metadata: {}, message: 'boom' })),
    ).toBe('transient');
  });

  test.each([
    [['ValidationError', 'None'], 'permanent'],
    [['None', 'ValidationError'], 'permanent'],
    [['None', 'TransactionConflict'], 'transient'],
    [['ThrottlingError', 'None'], 'transient'],
    [['ProvisionedThroughputExceeded', 'None'], 'transient'],
    [['ConditionalCheckFailed', 'ConditionalCheckFailed'], 'permanent'],
    [['ValidationError', 'TransactionConflict'], 'permanent'],
  ])('a transaction cancelled for %j is %s', (codes, expected) => {
    expect(classifyError(cancelled(...codes))).toBe(expected);
  });

  test.each(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'])('network error %s is transient', (code) => {
    expect(classifyError(network(code))).toBe('transient');
    expect(classifyError(Object.assign(new TypeError('fetch failed'), { cause: network(code) }))).toBe('transient');
  });

  test("timeouts, aborts, the SDK's retryable flag and our own transient error are transient", () => {
    expect(classifyError(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toBe('transient');
    expect(classifyError(Object.assign(new Error('timed out'), { name: 'TimeoutError' }))).toBe('transient');
    expect(classifyError(Object.assign(new Error('x'), { $retryable: { throttling: false } }))).toBe('transient');
    expect(classifyError(new TransientIngestError('gave up after 8 attempts'))).toBe('transient');
  });

  test('bad input is permanent: parse and validation errors, marshalling refusals, our own permanent error', () => {
    expect(classifyError(new SyntaxError('Unexpected token'))).toBe('permanent');
    expect(classifyError(Object.assign(new Error('invalid'), { name: 'ZodError' }))).toBe('permanent');
    expect(classifyError(new RangeError('Invalid string length'))).toBe('permanent');
    expect(classifyError(new Error('Pass options.removeUndefinedValues=true to remove undefined values from map/array/set.'))).toBe(
      'permanent',
    );
    expect(classifyError(new Error('Unsupported type passed: [object Object]'))).toBe('permanent');
    expect(classifyError(new PermanentIngestError('cannot'))).toBe('permanent');
  });

  test("a response body the SDK could not parse is the service's problem, so transient", () => {
    expect(classifyError(Object.assign(new SyntaxError('Unexpected token <'), { $responseBodyText: '<html>502</html>' }))).toBe(
      'transient',
    );
  });

  test('anything unknown is retried rather than dropped', () => {
    expect(classifyError(new Error('DynamoDB unreachable'))).toBe('transient');
    expect(classifyError('a string')).toBe('transient');
    expect(classifyError(undefined)).toBe('transient');
  });
});

describe('describeError', () => {
  test('names the error and what DynamoDB refused, masked and bounded', () => {
    expect(describeError(awsError('ValidationException', 'Item size has exceeded the maximum allowed size'))).toBe(
      'ValidationException: Item size has exceeded the maximum allowed size',
    );
    const withCard = describeError(awsError('ValidationException', `bad value 4111 1111 1111 1111 ${'x'.repeat(5_000)}`));
    expect(withCard).toContain('************1111');
    expect(withCard).not.toContain('4111 1111');
    expect(withCard.length).toBeLessThanOrEqual(500);
    const txn = new TransactionCanceledException({
      message: 'Transaction cancelled',
      $metadata: {},
      CancellationReasons: [{ Code: 'ValidationError', Message: 'Item size too large' }, { Code: 'None' }],
    });
    expect(describeError(txn)).toBe('TransactionCanceledException: Transaction cancelled [item 0: ValidationError (Item size too large)]');
  });
});
