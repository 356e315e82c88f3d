import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { auditEntry } from '../audit/audit-trail';
import { hasRole, type Principal, principalFromClaims, roleNeeded } from '../auth/roles';
import { containsCardNumber, maskCardNumber, maskCardNumbersInText } from '../domain/card-number';
import { isTransient, TransientIngestError } from '../ingest/errors';
import { adminRoute } from '../topology';
import { AdminError, busy, type FieldError, InvalidCursorError, invalidRequest } from './errors';
import type { AdminContainer } from './ports';
import { isWellFormed } from './request-rules';

/**
 * The admin API over HTTP: an API Gateway event decoded into the request the routes see, what the layers below
 * throw mapped to the status a client gets, and every response body masked on its way out.
 */

export interface ApiRequest {
  path: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  rawBody: string;
  /** Who is calling, from the access token API Gateway's JWT authorizer verified. */
  principal: Principal;
}

export interface ApiResult {
  status: number;
  body: unknown;
  /** A short note for the audit trail: the reason given, the queue redriven. */
  auditNote?: string;
}

export type Route = (request: ApiRequest, app: AdminContainer) => Promise<ApiResult>;

/** The body each route takes; a route not listed takes none (a body sent to it is ignored). */
const BODIES: Partial<Record<string, { type: 'application/json' | 'text/csv'; required: boolean }>> = {
  'POST /admin/transactions/{transactionId}/reverse': { type: 'application/json', required: false },
  'POST /admin/dlq/redrive': { type: 'application/json', required: false },
  'POST /admin/unmatched/{transactionId}/assign': { type: 'application/json', required: true },
  'PUT /admin/users/{userId}': { type: 'application/json', required: false },
  'POST /admin/users/{userId}/cards': { type: 'application/json', required: true },
  'POST /admin/users/{userId}/adjustments': { type: 'application/json', required: true },
  'POST /admin/users/{userId}/redemptions': { type: 'application/json', required: true },
  'POST /admin/users/{userId}/redemptions/{redemptionId}/reverse': { type: 'application/json', required: true },
  'POST /admin/users/{userId}/erase': { type: 'application/json', required: true },
  'POST /admin/import': { type: 'text/csv', required: true },
  'POST /admin/campaigns': { type: 'application/json', required: true },
  'PUT /admin/campaigns/{campaignId}': { type: 'application/json', required: true },
  'POST /admin/campaigns/{campaignId}/end': { type: 'application/json', required: true },
};

/** JSON bodies nest at most this deep; none of the routes needs more than two levels. */
export const MAX_JSON_DEPTH = 32;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A field name built from client input, kept short and masked (it is echoed in the error). */
const fieldName = (name: string) => maskCardNumbersInText(name.length > 64 ? `${name.slice(0, 64)}…` : name);

function header(headers: Record<string, string | undefined> | undefined, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {})) if (key.toLowerCase() === name) return value;
  return undefined;
}

/** The media type of a Content-Type header, when it is `type/subtype` with at most a UTF-8 charset parameter. */
export function mediaType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const [type, ...params] = contentType.split(';').map((p) => p.trim().toLowerCase());
  if (!type || !/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type)) return undefined;
  for (const param of params) {
    const [name, value] = param.split('=').map((p) => p.trim().replace(/^"(.*)"$/, '$1'));
    if (name === 'charset' && value !== 'utf-8' && value !== 'utf8') return undefined;
  }
  return type;
}

function decodeBody(event: APIGatewayProxyEventV2): string {
  if (!event.body) return '';
  if (!event.isBase64Encoded) {
    if (!isWellFormed(event.body)) throw invalidRequest([{ field: 'body', rule: 'must be UTF-8 text' }]);
    return event.body;
  }
  try {
    return utf8.decode(Buffer.from(event.body, 'base64'));
  } catch {
    throw invalidRequest([{ field: 'body', rule: 'must be UTF-8 text' }]);
  }
}

/** Rejects what no route accepts in a JSON body: deep nesting, prototype keys, and text DynamoDB cannot store as sent. */
function checkJson(value: unknown, path: string, depth: number): void {
  if (depth > MAX_JSON_DEPTH) throw invalidRequest([{ field: path, rule: `must nest at most ${MAX_JSON_DEPTH} levels deep` }]);
  if (typeof value === 'string') {
    if (!isWellFormed(value)) throw invalidRequest([{ field: path, rule: 'must be well-formed Unicode text' }]);
  } else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) checkJson(item, `${path}.${i}`, depth + 1);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const field = `${path}.${fieldName(key)}`;
      if (FORBIDDEN_KEYS.has(key)) throw invalidRequest([{ field, rule: 'is not an accepted key' }]);
      if (!isWellFormed(key)) throw invalidRequest([{ field: path, rule: 'keys must be well-formed Unicode text' }]);
      checkJson(item, field, depth + 1);
    }
  }
}

/** Query parameters, each at most once: API Gateway would join repeated values with commas, which no rule expects. */
function queryOf(event: APIGatewayProxyEventV2): Record<string, string> {
  const query: Record<string, string> = Object.create(null);
  if (typeof event.rawQueryString === 'string') {
    const errors: FieldError[] = [];
    for (const [key, value] of new URLSearchParams(event.rawQueryString)) {
      if (key in query) errors.push({ field: `query.${fieldName(key)}`, rule: 'must be given at most once' });
      query[key] = value;
    }
    if (errors.length > 0) throw invalidRequest(errors.filter((e, i) => errors.findIndex((o) => o.field === e.field) === i));
    return query;
  }
  for (const [key, value] of Object.entries(event.queryStringParameters ?? {})) if (typeof value === 'string') query[key] = value;
  return query;
}

/**
 * The request as the routes see it, or a 4xx naming what is wrong: the body decoded (base64 included) and
 * checked against the route's content type (415 otherwise), JSON parsed and bounded, query parameters once each.
 */
export function toApiRequest(event: APIGatewayProxyEventV2): Omit<ApiRequest, 'principal'> {
  const path: Record<string, string> = Object.create(null);
  for (const [key, value] of Object.entries(event.pathParameters ?? {})) if (typeof value === 'string') path[key] = value;
  const query = queryOf(event);
  const expected = BODIES[event.routeKey];
  if (!expected) return { path, query, body: undefined, rawBody: '' };
  if (!event.body) return { path, query, body: undefined, rawBody: '' };
  const contentType = header(event.headers, 'content-type');
  if (mediaType(contentType) !== expected.type) {
    throw new AdminError(415, `unsupported media type: this route takes ${expected.type}`, [
      {
        field: 'header.content-type',
        rule: `must be ${expected.type} (a charset parameter, if any, must be utf-8)${contentType === undefined ? '; none was sent' : ''}`,
      },
    ]);
  }
  const rawBody = decodeBody(event);
  if (expected.type === 'text/csv') return { path, query, body: undefined, rawBody };
  if (rawBody.trim() === '') return { path, query, body: undefined, rawBody };
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw invalidRequest([{ field: 'body', rule: 'must be valid JSON' }]);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw invalidRequest([{ field: 'body', rule: 'must be a JSON object' }]);
  checkJson(body, 'body', 0);
  return { path, query, body, rawBody };
}

/** Errors of the layers below that say something to the client, as the AdminError the client gets; undefined for faults. */
export function asAdminError(err: unknown): AdminError | undefined {
  if (err instanceof AdminError) return err;
  if (err instanceof InvalidCursorError) return new AdminError(400, 'invalid cursor', [{ field: 'query.cursor', rule: err.rule }]);
  if (err instanceof TransientIngestError) return busy(`${err.message}; nothing was changed, try again`);
  // An AWS service that throttled, timed out or failed on its side (the one classifier says so): worth asking again.
  // Other errors stay faults: a bug must not pass for a busy table.
  if (err instanceof Error && '$metadata' in err && isTransient(err))
    return busy(`a service this API depends on is busy or unavailable (${err.name}); try again`);
  return undefined;
}

/** API Gateway's JWT authorizer puts the verified token's claims here (the local gateway does the same). */
type AuthorizedEvent = APIGatewayProxyEventV2 & {
  requestContext: { authorizer?: { jwt?: { claims?: Record<string, unknown> } } };
};

/** The caller, or 401: a request reaches the function only with a verified token, so none here is a misconfiguration. */
export function callerOf(event: APIGatewayProxyEventV2): Principal {
  const principal = principalFromClaims((event as AuthorizedEvent).requestContext.authorizer?.jwt?.claims);
  if (!principal) throw new AdminError(401, 'unauthorized: sign in and send your access token as a Bearer token');
  return principal;
}

/** A person's email for the audit trail, from the user pool when the token does not carry it. */
async function withEmail(principal: Principal, app: AdminContainer): Promise<Principal> {
  if (principal.kind !== 'user' || principal.email) return principal;
  const email = await app.operators.emailOf(principal.username).catch(() => undefined);
  return email ? { ...principal, email } : principal;
}

/** The path and query as sent, for the audit trail of a call whose request did not decode. */
function rawParams(event: APIGatewayProxyEventV2) {
  const query: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(event.rawQueryString ?? '')) query[key] ??= value;
  return { path: event.pathParameters ?? {}, query };
}

/**
 * Serves one request of a known route: the caller must hold the route's role (403 naming it otherwise), the route
 * runs, and a call the route table audits is written to the audit trail with its outcome, refused calls included.
 * Its result, or an AdminError for anything the client can correct.
 */
export async function serveAdminRequest(route: Route, event: APIGatewayProxyEventV2, app: AdminContainer): Promise<ApiResult> {
  const access = adminRoute(event.routeKey);
  const principal = await withEmail(callerOf(event), app);
  let status = 500;
  let note: string | undefined;
  let params = rawParams(event);
  try {
    if (!access || !hasRole(principal, access.role)) throw new AdminError(403, `forbidden: ${roleNeeded(access?.role ?? 'admin')}`);
    const request = toApiRequest(event);
    params = request;
    const result = await route({ ...request, principal }, app);
    status = result.status;
    note = result.auditNote;
    return result;
  } catch (err) {
    const known = asAdminError(err);
    if (known) status = known.status;
    throw known ?? err;
  } finally {
    const audited = access?.audit === 'always' || (access?.audit === 'customer-read' && params.query.customer !== undefined);
    if (audited) {
      const requestId = event.requestContext?.requestId ?? 'unknown';
      const entry = auditEntry(
        { routeKey: event.routeKey, ...params, requestId, status, detail: note },
        principal,
        app.clock.now(),
        randomUUID(),
      );
      await app.audit.append(entry).catch((err: unknown) => app.onAuditFailure(err, entry));
    }
  }
}

const HASH_ATTRIBUTE = /hash/i;

/**
 * The last line of defence of every response: no attribute named like a hash leaves, and any card number that
 * reached a value, a key or a number is masked to its last four.
 */
export function responseBody(body: unknown): string {
  const text = JSON.stringify(body, (key, value: unknown) => {
    if (HASH_ATTRIBUTE.test(key)) return undefined;
    if (typeof value === 'string') return maskCardNumbersInText(value);
    if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) >= 1e11 && containsCardNumber(String(value)))
      return maskCardNumber(value);
    return value;
  });
  return maskCardNumbersInText(text ?? 'null');
}
