import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { AdminError } from '../../shared/admin/errors';
import { responseBody, serveAdminRequest } from '../../shared/admin/http';
import { ROUTES } from '../../shared/admin/routes';
import { createJsonLogger, injectLambdaContext } from '../../shared/observability/json-logger';
import { adminContainer } from '../../shared/wiring/admin';

const logger = createJsonLogger('admin-api');

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  body: responseBody(body),
});

/** API Gateway has already matched the route: dispatch on its route key. */
export const handler = middy(async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const route = ROUTES[event.routeKey];
  if (!route) return json(404, { message: `No route for ${event.routeKey}` });
  try {
    const result = await serveAdminRequest(route, event, await adminContainer());
    logger.info('Admin request', { routeKey: event.routeKey, status: result.status });
    return json(result.status, result.body);
  } catch (err) {
    if (err instanceof AdminError) {
      logger.info('Admin request refused', { routeKey: event.routeKey, status: err.status, reason: err.message, errors: err.details });
      return json(
        err.status,
        { message: err.message, ...(err.details ? { errors: err.details } : {}) },
        err.retryAfterSeconds ? { 'retry-after': String(err.retryAfterSeconds) } : {},
      );
    }
    logger.error('Admin request failed', { routeKey: event.routeKey, error: err as Error });
    return json(500, { message: 'Internal Server Error' });
  }
}).use(injectLambdaContext(logger));
