import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { lambdaContext as localLambdaContext } from '../../local/lambda-runtime';

/** Lambda event and context objects shaped exactly as the service delivers them. */
export function sqsEvent(bodies: string[], queueArn = 'arn:aws:sqs:us-east-1:123456789012:hi-vis-notifications'): SQSEvent {
  return {
    Records: bodies.map(
      (body, i): SQSRecord => ({
        messageId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        receiptHandle: `receipt-${i}`,
        body,
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(Date.now()),
          SenderId: 'AIDAEXAMPLE',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: queueArn,
        awsRegion: 'us-east-1',
      }),
    ),
  };
}

/** The context of a function with this much time left, as the local runtime gives its handlers. */
export function lambdaContext(functionName = 'test', remainingMs = 30_000): Context {
  return localLambdaContext({ functionName, timeoutMs: remainingMs, memoryMb: 512, region: 'us-east-1', accountId: '123456789012' });
}

/** Claims of verified access tokens, as API Gateway's JWT authorizer hands them to the function (strings; lists as `[a b]`). */
export const OPERATOR_CLAIMS = {
  admin: { sub: 'sub-admin', username: 'sub-admin', client_id: 'console', token_use: 'access', 'cognito:groups': '[admins]' },
  viewer: { sub: 'sub-viewer', username: 'sub-viewer', client_id: 'console', token_use: 'access', 'cognito:groups': '[viewers]' },
  script: { sub: 'ops-client', client_id: 'ops-client', token_use: 'access', scope: 'admin/read admin/write' },
  readScript: { sub: 'ops-client', client_id: 'ops-client', token_use: 'access', scope: 'admin/read' },
} as const;

/** An HTTP API request context after the JWT authorizer let the call through with these claims. */
export function authorizedContext(claims: Record<string, string> = OPERATOR_CLAIMS.admin, requestId = 'req-test') {
  return {
    requestId,
    authorizer: { jwt: { claims, scopes: null } },
  } as unknown as import('aws-lambda').APIGatewayProxyEventV2['requestContext'];
}
