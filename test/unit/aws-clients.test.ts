import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { GetMetricDataCommand, CloudWatchClient as SdkCloudWatch } from '@aws-sdk/client-cloudwatch';
import { AdminGetUserCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import {
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  EventBridgeClient as SdkEventBridge,
} from '@aws-sdk/client-eventbridge';
import { GetEventSourceMappingCommand, LambdaClient as SdkLambda, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient as SdkSecretsManager } from '@aws-sdk/client-secrets-manager';
import { GetTopicAttributesCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { CloudWatchClient } from '../../shared/adapters/aws/cloudwatch';
import { CognitoClient } from '../../shared/adapters/aws/cognito';
import { EventBridgeClient } from '../../shared/adapters/aws/eventbridge';
import { LambdaClient } from '../../shared/adapters/aws/lambda';
import { SecretsManagerClient } from '../../shared/adapters/aws/secrets-manager';
import { AwsServiceError } from '../../shared/adapters/aws/signed-http';
import { SnsClient } from '../../shared/adapters/aws/sns';
import { SqsClient } from '../../shared/adapters/aws/sqs';
import { classifyError } from '../../shared/ingest/errors';
import { type ReceivedRequest, startAwsServer, verifySigV4 } from '../support/aws-http-server';

/*
 * Each small client against the SDK client it replaces: both send to the same local server, which answers both
 * alike; the requests must be the same on the wire (method, path, query, protocol headers, body) and the answers,
 * errors included, must read the same.
 */

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/hi-vis-file-events';

let server: Awaited<ReturnType<typeof startAwsServer>>;
beforeAll(async () => {
  server = await startAwsServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const sdkConfig = () => ({ region: 'eu-west-1', endpoint: server.endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
const liteConfig = () => ({ region: 'eu-west-1', endpoint: server.endpoint, credentials: CREDENTIALS, maxAttempts: 1 });

type Answer = (req: ReceivedRequest, res: ServerResponse) => void;
const json =
  (body: unknown, status = 200, headers: Record<string, string> = {}, version = '1.0'): Answer =>
  (_req, res) =>
    res
      .writeHead(status, { 'content-type': `application/x-amz-json-${version}`, 'x-amzn-requestid': 'REQ-1', ...headers })
      .end(JSON.stringify(body));
const xml =
  (body: string, status = 200): Answer =>
  (_req, res) =>
    res.writeHead(status, { 'content-type': 'text/xml' }).end(body);

/** The parts of a request that say what it asks for (not who signed it, or when). */
function wire(req: ReceivedRequest) {
  const body = String(req.headers['content-type']).includes('json')
    ? JSON.parse(req.body || '{}')
    : Object.fromEntries(new URLSearchParams(req.body));
  return {
    method: req.method,
    path: req.path,
    query: req.query,
    contentType: req.headers['content-type'],
    target: req.headers['x-amz-target'],
    queryMode: req.headers['x-amzn-query-mode'],
    body,
  };
}

/** Sends one call through the SDK and one through the small client, both answered by `answer`; returns both requests. */
async function both(answer: Answer, sdk: () => Promise<unknown>, lite: () => Promise<unknown>) {
  server.always(answer);
  const fromSdk = await sdk().then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  const fromLite = await lite().then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  const [sdkRequest, liteRequest] = server.requests;
  expect(server.requests).toHaveLength(2);
  expect(wire(liteRequest!)).toEqual(wire(sdkRequest!));
  expect(verifySigV4(liteRequest!, CREDENTIALS.secretAccessKey, { doubleEscapePath: true }).valid).toBe(true);
  return { fromSdk, fromLite, liteRequest: liteRequest! };
}

/** What the code reads of an error: its name, message, fault, status and the classifier's verdict. */
const errorShape = (err: unknown) => {
  const e = err as AwsServiceError & { Code?: string; Type?: string };
  return {
    name: e.name,
    message: e.message,
    $fault: e.$fault,
    status: e.$metadata?.httpStatusCode,
    class: classifyError(e),
  };
};

describe('SQS (JSON 1.0, Query-compatible)', () => {
  const sdk = () => new SQSClient(sdkConfig());
  const lite = () => new SqsClient(liteConfig());

  test('SendMessage, with the MD5 of the body checked', async () => {
    const body = '{"Records":[{"s3":{"object":{"key":"transactions/a.json"}}}]}';
    const { fromSdk, fromLite } = await both(
      json({ MessageId: 'm-1', MD5OfMessageBody: 'ab7fa0b5d4d5a3d3e5ae7e5c0b2c4c8e' }),
      () => sdk().send(new SendMessageCommand({ QueueUrl: QUEUE_URL, MessageBody: body })),
      () => lite().sendMessage({ QueueUrl: QUEUE_URL, MessageBody: body }),
    );
    // A wrong MD5: both refuse the answer.
    expect(fromSdk).toHaveProperty('error');
    expect(fromLite).toMatchObject({ error: { name: 'InvalidChecksumError' } });

    server.reset();
    const md5 = createHash('md5').update(body).digest('hex');
    const ok = await both(
      json({ MessageId: 'm-1', MD5OfMessageBody: md5 }),
      () => sdk().send(new SendMessageCommand({ QueueUrl: QUEUE_URL, MessageBody: body })),
      () => lite().sendMessage({ QueueUrl: QUEUE_URL, MessageBody: body }),
    );
    expect(ok.fromLite).toMatchObject({ value: { MessageId: 'm-1' } });
    expect(ok.fromSdk).toMatchObject({ value: { MessageId: 'm-1' } });
  });

  test('SendMessageBatch reports what failed', async () => {
    const entries = [
      { Id: '0', MessageBody: 'a' },
      { Id: '1', MessageBody: 'b' },
    ];
    const answer = { Successful: [], Failed: [{ Id: '1', SenderFault: false, Code: 'InternalError', Message: 'try again' }] };
    const { fromSdk, fromLite } = await both(
      json(answer),
      () => sdk().send(new SendMessageBatchCommand({ QueueUrl: QUEUE_URL, Entries: entries })),
      () => lite().sendMessageBatch({ QueueUrl: QUEUE_URL, Entries: entries }),
    );
    expect((fromLite as { value: { Failed: unknown } }).value.Failed).toEqual((fromSdk as { value: { Failed: unknown } }).value.Failed);
  });

  test('GetQueueAttributes and StartMessageMoveTask', async () => {
    const attributes = { Attributes: { QueueArn: 'arn:aws:sqs:eu-west-1:123456789012:q', ApproximateNumberOfMessages: '3' } };
    const read = await both(
      json(attributes),
      () => sdk().send(new GetQueueAttributesCommand({ QueueUrl: QUEUE_URL, AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages'] })),
      () => lite().getQueueAttributes({ QueueUrl: QUEUE_URL, AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages'] }),
    );
    expect((read.fromLite as { value: { Attributes: unknown } }).value.Attributes).toEqual(
      (read.fromSdk as { value: { Attributes: unknown } }).value.Attributes,
    );
    server.reset();
    const moved = await both(
      json({ TaskHandle: 'task-1' }),
      () => sdk().send(new StartMessageMoveTaskCommand({ SourceArn: 'arn:aws:sqs:eu-west-1:123456789012:q-dlq' })),
      () => lite().startMessageMoveTask({ SourceArn: 'arn:aws:sqs:eu-west-1:123456789012:q-dlq' }),
    );
    expect(moved.fromLite).toMatchObject({ value: { TaskHandle: 'task-1' } });
  });

  test.each([
    [
      'a missing queue',
      400,
      { __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' },
      'AWS.SimpleQueueService.NonExistentQueue;Sender',
    ],
    ['throttling', 400, { __type: 'com.amazonaws.sqs#RequestThrottled', message: 'Request is throttled.' }, 'RequestThrottled;Sender'],
    ['an internal error', 500, { __type: 'com.amazonaws.sqs#InternalError', message: 'oops' }, 'InternalError;Receiver'],
    ['access denied', 400, { __type: 'com.amazon.coral.service#AccessDeniedException', message: 'not yours' }, 'AccessDenied;Sender'],
  ])('%s reads as the SDK reads it', async (_what, status, body, queryError) => {
    const { fromSdk, fromLite } = await both(
      json(body, status, { 'x-amzn-query-error': queryError }),
      () => sdk().send(new GetQueueAttributesCommand({ QueueUrl: QUEUE_URL, AttributeNames: ['QueueArn'] })),
      () => lite().getQueueAttributes({ QueueUrl: QUEUE_URL, AttributeNames: ['QueueArn'] }),
    );
    const sdkError = (fromSdk as { error: unknown }).error;
    const liteError = (fromLite as { error: unknown }).error;
    expect(errorShape(liteError)).toEqual(errorShape(sdkError));
    expect((liteError as { Code?: string }).Code).toBe((sdkError as { Code?: string }).Code);
  });
});

describe('Secrets Manager (JSON 1.1)', () => {
  const sdk = () => new SdkSecretsManager(sdkConfig());
  const lite = () => new SecretsManagerClient(liteConfig());

  test('GetSecretValue and DescribeSecret', async () => {
    const { fromSdk, fromLite } = await both(
      json({ ARN: 'arn:s', Name: 'pepper', SecretString: '{"current":"x"}' }, 200, {}, '1.1'),
      () => sdk().send(new GetSecretValueCommand({ SecretId: 'hi-vis/card-pepper' })),
      () => lite().getSecretValue({ SecretId: 'hi-vis/card-pepper' }),
    );
    expect((fromLite as { value: { SecretString: string } }).value.SecretString).toBe(
      (fromSdk as { value: { SecretString: string } }).value.SecretString,
    );
    server.reset();
    await both(
      json({ ARN: 'arn:s', Name: 'pepper' }, 200, {}, '1.1'),
      () => sdk().send(new DescribeSecretCommand({ SecretId: 'hi-vis/card-pepper' })),
      () => lite().describeSecret({ SecretId: 'hi-vis/card-pepper' }),
    );
  });

  test('an error reads as the SDK reads it', async () => {
    const { fromSdk, fromLite } = await both(
      json({ __type: 'ResourceNotFoundException', Message: "Secrets Manager can't find the specified secret." }, 400, {}, '1.1'),
      () => sdk().send(new GetSecretValueCommand({ SecretId: 'gone' })),
      () => lite().getSecretValue({ SecretId: 'gone' }),
    );
    expect(errorShape((fromLite as { error: unknown }).error)).toEqual(errorShape((fromSdk as { error: unknown }).error));
  });
});

describe('SNS (Query)', () => {
  const sdk = () => new SNSClient(sdkConfig());
  const lite = () => new SnsClient(liteConfig());
  const published = xml(
    '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>',
  );

  test('Publish with message attributes, and to a device endpoint', async () => {
    const input = {
      TopicArn: 'arn:aws:sns:eu-west-1:123456789012:achievements',
      Message: '{"eventType":"tier_upgraded","text":"100% & more"}',
      Subject: 'tier_upgraded',
      MessageAttributes: {
        eventType: { DataType: 'String' as const, StringValue: 'tier_upgraded' },
        userId: { DataType: 'String' as const, StringValue: 'u 1+2' },
      },
    };
    const { fromSdk, fromLite } = await both(
      published,
      () => sdk().send(new PublishCommand(input)),
      () => lite().publish(input),
    );
    expect(fromLite).toMatchObject({ value: { MessageId: 'm-1' } });
    expect(fromSdk).toMatchObject({ value: { MessageId: 'm-1' } });
    server.reset();
    const push = { TargetArn: 'arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/app/device-1', Message: 'Punch card complete!' };
    await both(
      published,
      () => sdk().send(new PublishCommand(push)),
      () => lite().publish(push),
    );
  });

  test('GetTopicAttributes', async () => {
    await both(
      xml('<GetTopicAttributesResponse><GetTopicAttributesResult><Attributes/></GetTopicAttributesResult></GetTopicAttributesResponse>'),
      () => sdk().send(new GetTopicAttributesCommand({ TopicArn: 'arn:t' })),
      () => lite().getTopicAttributes({ TopicArn: 'arn:t' }),
    );
  });

  test.each([
    ['EndpointDisabled', 400],
    ['NotFound', 404],
    ['InvalidParameter', 400],
    ['ParameterValueInvalid', 400],
    ['Throttled', 429],
    ['InternalError', 500],
    ['AuthorizationError', 403],
    ['SomethingUnmodelled', 400],
  ])('the error %s reads as the SDK reads it', async (code, status) => {
    const { fromSdk, fromLite } = await both(
      xml(
        `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${code} happened</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
        status,
      ),
      () => sdk().send(new PublishCommand({ TargetArn: 'arn:e', Message: 'm' })),
      () => lite().publish({ TargetArn: 'arn:e', Message: 'm' }),
    );
    expect(errorShape((fromLite as { error: unknown }).error)).toEqual(errorShape((fromSdk as { error: unknown }).error));
  });
});

describe('Lambda (REST JSON)', () => {
  const sdk = () => new SdkLambda(sdkConfig());
  const lite = () => new LambdaClient(liteConfig());
  const mapping = json({ UUID: 'u-1', State: 'Disabling', LastModified: 1700000000 }, 202, {}, '1.1');

  test('Get and UpdateEventSourceMapping', async () => {
    const got = await both(
      mapping,
      () => sdk().send(new GetEventSourceMappingCommand({ UUID: 'a1b2c3d4-5678-90ab-cdef-11111EXAMPLE' })),
      () => lite().getEventSourceMapping({ UUID: 'a1b2c3d4-5678-90ab-cdef-11111EXAMPLE' }),
    );
    expect(got.fromLite).toMatchObject({ value: { State: 'Disabling' } });
    server.reset();
    const updated = await both(
      mapping,
      () => sdk().send(new UpdateEventSourceMappingCommand({ UUID: 'u-1', Enabled: false })),
      () => lite().updateEventSourceMapping({ UUID: 'u-1', Enabled: false }),
    );
    expect((updated.fromLite as { value: { State: string } }).value.State).toBe(
      (updated.fromSdk as { value: { State: string } }).value.State,
    );
  });

  test('an error reads as the SDK reads it', async () => {
    const { fromSdk, fromLite } = await both(
      (_req, res) =>
        res
          .writeHead(404, {
            'content-type': 'application/json',
            'x-amzn-errortype': 'ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.lambda/',
          })
          .end(JSON.stringify({ Type: 'User', Message: 'The resource you requested does not exist.' })),
      () => sdk().send(new GetEventSourceMappingCommand({ UUID: 'u-2' })),
      () => lite().getEventSourceMapping({ UUID: 'u-2' }),
    );
    expect(errorShape((fromLite as { error: unknown }).error)).toEqual(errorShape((fromSdk as { error: unknown }).error));
  });
});

describe('EventBridge (JSON 1.1)', () => {
  const sdk = () => new SdkEventBridge(sdkConfig());
  const lite = () => new EventBridgeClient(liteConfig());

  test('DescribeRule, EnableRule, DisableRule', async () => {
    const described = await both(
      json({ Name: 'reconcile', State: 'ENABLED' }, 200, {}, '1.1'),
      () => sdk().send(new DescribeRuleCommand({ Name: 'reconcile' })),
      () => lite().describeRule({ Name: 'reconcile' }),
    );
    expect(described.fromLite).toMatchObject({ value: { State: 'ENABLED' } });
    server.reset();
    await both(
      json({}, 200, {}, '1.1'),
      () => sdk().send(new EnableRuleCommand({ Name: 'reconcile' })),
      () => lite().enableRule({ Name: 'reconcile' }),
    );
    server.reset();
    await both(
      json({}, 200, {}, '1.1'),
      () => sdk().send(new DisableRuleCommand({ Name: 'reconcile' })),
      () => lite().disableRule({ Name: 'reconcile' }),
    );
  });

  test('an error reads as the SDK reads it', async () => {
    const { fromSdk, fromLite } = await both(
      json({ __type: 'ResourceNotFoundException', message: 'Rule reconcile does not exist.' }, 400, {}, '1.1'),
      () => sdk().send(new DescribeRuleCommand({ Name: 'reconcile' })),
      () => lite().describeRule({ Name: 'reconcile' }),
    );
    expect(errorShape((fromLite as { error: unknown }).error)).toEqual(errorShape((fromSdk as { error: unknown }).error));
  });
});

describe('CloudWatch (JSON 1.0, Query-compatible)', () => {
  test('GetMetricData, its times as epoch seconds', async () => {
    const input = {
      StartTime: new Date('2025-01-01T11:50:00.000Z'),
      EndTime: new Date('2025-01-01T12:00:00.000Z'),
      MetricDataQueries: [
        {
          Id: 'age',
          MetricStat: {
            Metric: { Namespace: 'AWS/SQS', MetricName: 'ApproximateAgeOfOldestMessage', Dimensions: [{ Name: 'QueueName', Value: 'q' }] },
            Period: 60,
            Stat: 'Maximum',
          },
        },
      ],
    };
    const { fromSdk, fromLite } = await both(
      json({ MetricDataResults: [{ Id: 'age', Values: [42, 17], Timestamps: [1735732800, 1735732740], StatusCode: 'Complete' }] }),
      () => new SdkCloudWatch(sdkConfig()).send(new GetMetricDataCommand(input)),
      () => new CloudWatchClient(liteConfig()).getMetricData(input),
    );
    const values = (r: unknown) => (r as { value: { MetricDataResults: Array<{ Values: number[] }> } }).value.MetricDataResults[0]!.Values;
    expect(values(fromLite)).toEqual(values(fromSdk));
  });
});

describe('Cognito user pools (JSON 1.1)', () => {
  test('AdminGetUser, and a missing user', async () => {
    const user = { Username: 'ops-1', UserAttributes: [{ Name: 'email', Value: 'ops@example.com' }] };
    const { fromSdk, fromLite } = await both(
      json(user, 200, {}, '1.1'),
      () =>
        new CognitoIdentityProviderClient(sdkConfig()).send(new AdminGetUserCommand({ UserPoolId: 'eu-west-1_abc', Username: 'ops-1' })),
      () => new CognitoClient(liteConfig()).adminGetUser({ UserPoolId: 'eu-west-1_abc', Username: 'ops-1' }),
    );
    expect((fromLite as { value: { UserAttributes: unknown } }).value.UserAttributes).toEqual(
      (fromSdk as { value: { UserAttributes: unknown } }).value.UserAttributes,
    );
    server.reset();
    const missing = await both(
      json({ __type: 'UserNotFoundException', message: 'User does not exist.' }, 400, {}, '1.1'),
      () => new CognitoIdentityProviderClient(sdkConfig()).send(new AdminGetUserCommand({ UserPoolId: 'eu-west-1_abc', Username: 'x' })),
      () => new CognitoClient(liteConfig()).adminGetUser({ UserPoolId: 'eu-west-1_abc', Username: 'x' }),
    );
    expect(errorShape((missing.fromLite as { error: unknown }).error)).toEqual(errorShape((missing.fromSdk as { error: unknown }).error));
  });
});

describe('the shared transport', () => {
  test('retries throttling and 5xx, then succeeds; each attempt signed afresh', async () => {
    server.next(
      json({ __type: 'com.amazonaws.sqs#RequestThrottled', message: 'slow down' }, 400, {
        'x-amzn-query-error': 'RequestThrottled;Sender',
      }),
      json({ __type: 'com.amazonaws.sqs#InternalError', message: 'oops' }, 500),
      json({ Attributes: { QueueArn: 'arn:q' } }),
    );
    const out = await new SqsClient({ ...liteConfig(), maxAttempts: 3, retryBaseDelayMs: 1 }).getQueueAttributes({
      QueueUrl: QUEUE_URL,
      AttributeNames: ['QueueArn'],
    });
    expect(out).toMatchObject({ Attributes: { QueueArn: 'arn:q' }, $metadata: { attempts: 3, httpStatusCode: 200 } });
    expect(server.requests.map((r) => verifySigV4(r, CREDENTIALS.secretAccessKey, { doubleEscapePath: true }).valid)).toEqual([
      true,
      true,
      true,
    ]);
  });

  test('a refused request is not retried; a network error carries $metadata, as the SDK’s do', async () => {
    server.next(json({ __type: 'ValidationException', message: 'bad' }, 400));
    await expect(
      new SecretsManagerClient({ ...liteConfig(), maxAttempts: 3, retryBaseDelayMs: 1 }).getSecretValue({ SecretId: 's' }),
    ).rejects.toBeInstanceOf(AwsServiceError);
    expect(server.requests).toHaveLength(1);

    const unreachable = await new SecretsManagerClient({
      ...liteConfig(),
      endpoint: 'http://127.0.0.1:9',
      maxAttempts: 2,
      retryBaseDelayMs: 1,
    })
      .getSecretValue({ SecretId: 's' })
      .catch((e: unknown) => e);
    expect(unreachable).toMatchObject({ code: 'ECONNREFUSED', $metadata: { attempts: 2 } });
    expect(classifyError(unreachable)).toBe('transient');
  });

  test('the endpoint comes from AWS_ENDPOINT_URL_<SERVICE>, the region and credentials from the environment', async () => {
    server.always(json({ SecretString: 'x' }, 200, {}, '1.1'));
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: server.endpoint,
      AWS_REGION: 'ap-southeast-2',
      AWS_ACCESS_KEY_ID: 'AKIDENV',
      AWS_SECRET_ACCESS_KEY: 'env-secret',
      AWS_SESSION_TOKEN: 'env-token',
    });
    try {
      await new SecretsManagerClient().getSecretValue({ SecretId: 's' });
    } finally {
      process.env = saved;
    }
    const [req] = server.requests;
    expect(req!.headers['x-amz-security-token']).toBe('env-token');
    expect(verifySigV4(req!, 'env-secret', { doubleEscapePath: true })).toMatchObject({
      valid: true,
      accessKeyId: 'AKIDENV',
      region: 'ap-southeast-2',
      service: 'secretsmanager',
    });
  });

  test('without an endpoint, each service is called at its regional host', () => {
    const hostOf = (client: { json?: { http: unknown }; rest?: { http: unknown }; query?: { http: unknown } }) =>
      ((client.json ?? client.rest ?? client.query)!.http as { endpoint(): { hostname: string } }).endpoint().hostname;
    const options = { region: 'eu-west-1', credentials: CREDENTIALS };
    const saved = { ...process.env };
    for (const key of Object.keys(process.env)) if (key.startsWith('AWS_ENDPOINT_URL')) delete process.env[key];
    try {
      expect(hostOf(new SqsClient(options) as never)).toBe('sqs.eu-west-1.amazonaws.com');
      expect(hostOf(new SnsClient(options) as never)).toBe('sns.eu-west-1.amazonaws.com');
      expect(hostOf(new SecretsManagerClient(options) as never)).toBe('secretsmanager.eu-west-1.amazonaws.com');
      expect(hostOf(new LambdaClient(options) as never)).toBe('lambda.eu-west-1.amazonaws.com');
      expect(hostOf(new EventBridgeClient(options) as never)).toBe('events.eu-west-1.amazonaws.com');
      expect(hostOf(new CloudWatchClient(options) as never)).toBe('monitoring.eu-west-1.amazonaws.com');
      expect(hostOf(new CognitoClient(options) as never)).toBe('cognito-idp.eu-west-1.amazonaws.com');
    } finally {
      process.env = saved;
    }
  });
});

describe('Query-compatible error names', () => {
  test.each([
    ['AWS.SimpleQueueService.NonExistentQueue;Sender', 'com.amazonaws.sqs#QueueDoesNotExist'],
    ['KMS.ThrottlingException;Sender', 'com.amazonaws.sqs#KmsThrottled'],
    ['QueueAlreadyExists;Sender', 'com.amazonaws.sqs#QueueNameExists'],
    ['OverLimit;Sender', 'com.amazonaws.sqs#OverLimit'],
    ['SomethingNew;Sender', 'com.amazonaws.sqs#SomethingNew'],
  ])('SQS %s', async (queryError, type) => {
    const { fromSdk, fromLite } = await both(
      json({ __type: type, message: 'no' }, 400, { 'x-amzn-query-error': queryError }),
      () => new SQSClient(sdkConfig()).send(new StartMessageMoveTaskCommand({ SourceArn: 'arn:q' })),
      () => new SqsClient(liteConfig()).startMessageMoveTask({ SourceArn: 'arn:q' }),
    );
    expect(errorShape((fromLite as { error: unknown }).error)).toEqual(errorShape((fromSdk as { error: unknown }).error));
  });

  test.each([
    ['InvalidParameterValue;Sender', 400],
    ['InternalServiceError;Receiver', 500],
    ['ResourceNotFound;Sender', 404],
  ])('CloudWatch %s', async (queryError, status) => {
    const input = { StartTime: new Date(0), EndTime: new Date(60_000), MetricDataQueries: [] };
    const { fromSdk, fromLite } = await both(
      json({ __type: `com.amazonaws.cloudwatch#${queryError.split(';')[0]}`, message: 'no' }, status, { 'x-amzn-query-error': queryError }),
      () => new SdkCloudWatch(sdkConfig()).send(new GetMetricDataCommand(input)),
      () => new CloudWatchClient(liteConfig()).getMetricData(input),
    );
    expect(errorShape((fromLite as { error: unknown }).error)).toEqual(errorShape((fromSdk as { error: unknown }).error));
  });

  test('a JSON error with no code at all', async () => {
    const { fromSdk, fromLite } = await both(
      json({}, 502, {}, '1.1'),
      () => new SdkSecretsManager(sdkConfig()).send(new GetSecretValueCommand({ SecretId: 's' })),
      () => new SecretsManagerClient(liteConfig()).getSecretValue({ SecretId: 's' }),
    );
    expect(errorShape((fromLite as { error: unknown }).error)).toEqual(errorShape((fromSdk as { error: unknown }).error));
  });
});
