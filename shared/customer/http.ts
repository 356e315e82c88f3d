import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { AdminError } from '../admin/errors';
import { asAdminError, responseBody, toApiRequest } from '../admin/http';
import { customerFromClaims } from '../auth/customer-token';
import type { CustomerContainer } from '../wiring/customer';
import { customerSummary } from './account';
import { customerHistory, refuseParameters } from './history';
import type { CustomerDeps } from './ports';

/**
 * The customers' API over HTTP. The customer is the one the verified access token names, never one a request names:
 * no route takes a customer id, and a parameter a route does not take is a 400.
 */

type CustomerRoute = (userId: string, query: Record<string, string>, deps: CustomerDeps) => Promise<unknown>;

export const CUSTOMER_API: Readonly<Record<string, CustomerRoute>> = {
  'GET /customer/me': async (userId, query, deps) => {
    refuseParameters(query);
    return customerSummary(userId, deps);
  },
  'GET /customer/me/history': (userId, query, deps) => customerHistory(userId, query, deps),
};

/** API Gateway's JWT authorizer puts the verified token's claims here (the local gateway does the same). */
type AuthorizedEvent = APIGatewayProxyEventV2 & {
  requestContext: { authorizer?: { jwt?: { claims?: Record<string, unknown> } } };
};

/** Serves one request: its body, or the AdminError a client gets (401 for a token that names no customer of this API). */
export async function serveCustomerRequest(
  event: APIGatewayProxyEventV2,
  app: CustomerContainer,
): Promise<{ status: number; body: unknown }> {
  const caller = customerFromClaims((event as AuthorizedEvent).requestContext.authorizer?.jwt?.claims, app.tokens);
  if (!caller.ok)
    throw new AdminError(
      401,
      `unauthorized: the token ${caller.reason}; sign in to the loyalty app and send its access token as a Bearer token`,
    );
  const route = CUSTOMER_API[event.routeKey];
  if (!route) throw new AdminError(404, `no route for ${event.routeKey}`);
  try {
    const { query } = toApiRequest(event);
    return { status: 200, body: await route(caller.userId, query, app) };
  } catch (err) {
    throw asAdminError(err) ?? err;
  }
}

/** A JSON API's headers: never cached (the answer is one customer's), never framed or sniffed, no referrer. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
};

/** A response of the customers' API: its body masked as every admin response is (no card number, no hash attribute). */
export function customerResponse(status: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return { statusCode: status, headers: { ...SECURITY_HEADERS, ...headers }, body: responseBody(body) };
}

/** The error body every 4xx has, as the admin API's: a message, and the fields and rules broken when there are some. */
export function errorResponse(err: AdminError): APIGatewayProxyStructuredResultV2 {
  return customerResponse(
    err.status,
    { message: err.message, ...(err.details ? { errors: err.details } : {}) },
    err.status === 401 ? { 'www-authenticate': 'Bearer' } : err.retryAfterSeconds ? { 'retry-after': String(err.retryAfterSeconds) } : {},
  );
}
