import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { AdminError } from '../../shared/admin/errors';
import { customerResponse, errorResponse, serveCustomerRequest } from '../../shared/customer/http';
import { createJsonLogger, injectLambdaContext } from '../../shared/observability/json-logger';
import { customerContainer } from '../../shared/wiring/customer';

const logger = createJsonLogger('customer-api');

/** API Gateway has already matched the route and verified the customer's access token. */
export const handler = middy(async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  try {
    const result = await serveCustomerRequest(event, await customerContainer());
    logger.info('Customer request', { routeKey: event.routeKey, status: result.status });
    return customerResponse(result.status, result.body);
  } catch (err) {
    if (err instanceof AdminError) {
      logger.info('Customer request refused', { routeKey: event.routeKey, status: err.status, reason: err.message, errors: err.details });
      return errorResponse(err);
    }
    logger.error('Customer request failed', { routeKey: event.routeKey, error: err as Error });
    return customerResponse(500, { message: 'Internal Server Error' });
  }
}).use(injectLambdaContext(logger));
