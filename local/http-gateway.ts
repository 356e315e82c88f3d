import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { maskCardNumbersInText } from '../shared/domain/card-number';
import { answerAndClose, answerClientError, readBody } from './http-input';
import type { LocalFunction } from './lambda-runtime';
import { listenOnLoopback } from './servers';

export interface HttpRoute {
  /** API Gateway route key, e.g. `GET /admin/transactions/{transactionId}`. */
  routeKey: string;
  fn: LocalFunction<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;
}

/** A bearer token verified as the API's JWT authorizer does, or why it is refused. */
export type TokenCheck = (token: string) => Promise<{ ok: true; claims: Record<string, unknown> } | { ok: false; reason: string }>;

export interface HttpGatewayOptions {
  port: number;
  verifyToken: TokenCheck;
  routes: HttpRoute[];
  maxBodyBytes(contentType: string | undefined): number;
  /** A body not received whole within this time is answered 408 (10 s by default). */
  bodyTimeoutMs?: number;
  log?(line: string): void;
  /** Serves every path outside `/admin` (the operator console), without a token; without it those paths need one too. */
  site?(req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void>;
  /** The API's name in logs and errors (`admin API` by default). */
  name?: string;
  /** CORS as the HTTP API's `corsPreflight` answers it: preflights of these origins, and their origin on every answer. */
  cors?: { allowOrigins: readonly string[]; allowMethods: readonly string[]; allowHeaders: readonly string[]; maxAgeSeconds: number };
}

/** Longer request targets are refused before any routing. */
const MAX_TARGET_LENGTH = 8_192;
const DEFAULT_BODY_TIMEOUT_MS = 10_000;

/** A request target the gateway accepts: origin form, split into its raw (still percent-encoded) path and query. */
type ParsedTarget = { path: string; query: string } | { error: string };

/**
 * API Gateway (HTTP API), emulated: validates the request target, verifies the bearer token as the JWT authorizer
 * does (401 without a valid one) and hands its claims to the function as API Gateway does, matches the route, reads the body within its limits, and invokes the function
 * with a genuine APIGatewayProxyEventV2. Whatever a client sends is answered (4xx for what it got wrong, 500
 * without detail for a failed invocation); no request can end the process.
 */
export async function startHttpGateway(options: HttpGatewayOptions): Promise<{ url: string; close(): Promise<void> }> {
  const log = options.log ?? ((line: string) => console.error(line));
  const bodyTimeoutMs = options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  const name = options.name ?? 'admin API';
  const compiled = options.routes.map((route) => ({ route, ...compileRouteKey(route.routeKey) }));

  async function serve(req: IncomingMessage, res: ServerResponse) {
    const target = parseTarget(req.url ?? '');
    if ('error' in target) return answerAndClose(res, 400, target.error);
    if (options.cors && answeredCors(req, res, options.cors)) return;
    if (options.site && !isAdminPath(target.path)) return options.site(req, res, target.path);
    const claims = await verifiedClaims(req.headers.authorization, options.verifyToken);
    if (!claims)
      return send(res, {
        statusCode: 401,
        headers: { 'www-authenticate': 'Bearer' },
        body: JSON.stringify({ message: 'Unauthorized' }),
      });
    const candidates = compiled.filter((c) => c.pattern.test(target.path));
    const match = candidates.find((c) => c.method === req.method);
    if (!match) {
      return send(
        res,
        candidates.length > 0
          ? { statusCode: 405, body: JSON.stringify({ message: `Method ${req.method} not allowed on this route` }) }
          : { statusCode: 404, body: JSON.stringify({ message: 'No route for this request' }) },
      );
    }
    const pathParameters = decodeParameters(match.params, match.pattern.exec(target.path)!.slice(1));
    if ('error' in pathParameters) return answerAndClose(res, 400, pathParameters.error);

    const limit = options.maxBodyBytes(req.headers['content-type']);
    const read = await readBody(req, { maxBytes: limit, timeoutMs: bodyTimeoutMs });
    // The client is gone: there is nobody to answer.
    if (read.kind === 'aborted') return void res.destroy();
    if (read.kind === 'too_large') return answerAndClose(res, 413, `Payload larger than ${limit} bytes`);
    if (read.kind === 'timeout') return answerAndClose(res, 408, `request body not received within ${bodyTimeoutMs / 1000} s`);

    const event = toEvent(req, target, match.route.routeKey, pathParameters.values, read.body, claims);
    let result: APIGatewayProxyStructuredResultV2;
    try {
      result = toStructuredResult(await match.route.fn.invoke(event));
    } catch (err) {
      log(`${match.route.fn.name} failed: ${describe(err)}`);
      return send(res, { statusCode: 500, body: JSON.stringify({ message: 'Internal Server Error' }) });
    }
    send(res, result);
  }

  const server: Server = createServer(
    { headersTimeout: bodyTimeoutMs, requestTimeout: 6 * bodyTimeoutMs, connectionsCheckingInterval: 1_000 },
    (req, res) => {
      // Errors on either stream after the fact (a reset connection) are nobody's to handle but ours.
      req.on('error', () => undefined);
      res.on('error', () => undefined);
      serve(req, res).catch((err: unknown) => {
        log(`${name}: ${req.method} request failed: ${describe(err)}`);
        answerAndClose(res, 500, 'Internal Server Error');
      });
    },
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => answerClientError(err, socket));

  return listenOnLoopback(server, options.port, name);
}

/**
 * API Gateway's CORS: a preflight (OPTIONS with Access-Control-Request-Method) is answered without a token, with the
 * allowed methods and headers for an allowed origin and without them for any other; every other answer to an allowed
 * origin names it. True when the request was answered here.
 */
function answeredCors(req: IncomingMessage, res: ServerResponse, cors: NonNullable<HttpGatewayOptions['cors']>): boolean {
  const origin = req.headers.origin;
  const allowed = origin !== undefined && cors.allowOrigins.includes(origin);
  if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
    res.writeHead(
      204,
      allowed
        ? {
            'access-control-allow-origin': origin,
            'access-control-allow-methods': cors.allowMethods.join(','),
            'access-control-allow-headers': cors.allowHeaders.join(','),
            'access-control-max-age': String(cors.maxAgeSeconds),
            vary: 'Origin',
          }
        : {},
    );
    res.end();
    return true;
  }
  if (allowed) {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('vary', 'Origin');
  }
  return false;
}

/**
 * Origin form only (`/path?query`): no absolute form (`http://host/…`), no `*`, no `//` authority, no dot
 * segments, printable ASCII only, every `%` followed by two hex digits, at most MAX_TARGET_LENGTH characters.
 */
function parseTarget(raw: string): ParsedTarget {
  if (raw.length > MAX_TARGET_LENGTH) return { error: `request target longer than ${MAX_TARGET_LENGTH} characters` };
  if (!raw.startsWith('/') || raw.startsWith('//')) return { error: 'invalid request target: expected a path starting with a single /' };
  const queryAt = raw.indexOf('?');
  const path = queryAt === -1 ? raw : raw.slice(0, queryAt);
  const query = queryAt === -1 ? '' : raw.slice(queryAt + 1);
  if (!/^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/.test(path))
    return { error: 'invalid request target: the path holds a character that must be percent-encoded' };
  if (!/^[\x21-\x7e]*$/.test(query) || query.includes('#'))
    return { error: 'invalid request target: the query holds a character that must be percent-encoded' };
  if (/%(?![0-9A-Fa-f]{2})/.test(path) || /%(?![0-9A-Fa-f]{2})/.test(query))
    return { error: 'malformed percent-encoding in the request target' };
  if (path.split('/').some((segment) => segment === '.' || segment === '..'))
    return { error: 'invalid request target: dot segments are not allowed' };
  return { path, query };
}

const isAdminPath = (path: string) => path === '/admin' || path.startsWith('/admin/');

function decodeParameters(names: string[], encoded: string[]): { values: Record<string, string> } | { error: string } {
  const values: Record<string, string> = {};
  for (const [i, name] of names.entries()) {
    try {
      values[name] = decodeURIComponent(encoded[i]!);
    } catch {
      return { error: `malformed percent-encoding in path parameter ${name}` };
    }
  }
  return { values };
}

const MAX_TOKEN_LENGTH = 16_384;

async function verifiedClaims(header: string | undefined, verify: TokenCheck): Promise<Record<string, string> | undefined> {
  const token = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(header ?? '')?.[1];
  if (!token || token.length > MAX_TOKEN_LENGTH) return undefined;
  const result = await verify(token);
  return result.ok ? flattenClaims(result.claims) : undefined;
}

/** API Gateway hands JWT claims to a payload 2.0 function as strings; a list claim becomes `[a b]`. */
function flattenClaims(claims: Record<string, unknown>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(claims)) {
    if (Array.isArray(value)) flat[name] = `[${value.join(' ')}]`;
    else if (value !== null && typeof value === 'object') flat[name] = JSON.stringify(value);
    else flat[name] = String(value);
  }
  return flat;
}

function compileRouteKey(routeKey: string) {
  const [method, path] = routeKey.split(' ') as [string, string];
  const params: string[] = [];
  const source = path.replace(/\{(\w+)\}/g, (_, name: string) => {
    params.push(name);
    return '([^/]+)';
  });
  return { method, params, pattern: new RegExp(`^${source}$`) };
}

function toEvent(
  req: IncomingMessage,
  target: { path: string; query: string },
  routeKey: string,
  pathParameters: Record<string, string>,
  body: Buffer,
  claims: Record<string, string>,
): APIGatewayProxyEventV2 & { requestContext: { authorizer: { jwt: { claims: Record<string, string>; scopes: null } } } } {
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]));
  const query = Object.fromEntries(new URLSearchParams(target.query).entries());
  const isText = /^(application\/json|text\/|application\/x-ndjson)/.test(headers['content-type'] ?? 'application/json');
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: target.path,
    rawQueryString: target.query,
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    pathParameters: Object.keys(pathParameters).length > 0 ? pathParameters : undefined,
    requestContext: {
      accountId: '000000000000',
      authorizer: { jwt: { claims, scopes: null } },
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: target.path,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.length > 0 ? (isText ? body.toString('utf8') : body.toString('base64')) : undefined,
    isBase64Encoded: body.length > 0 && !isText,
  };
}

/** API Gateway's payload 2.0 rule: a result without a status code is a 200 with the value as its JSON body. */
function toStructuredResult(value: unknown): APIGatewayProxyStructuredResultV2 {
  if (value && typeof value === 'object' && 'statusCode' in value) return value as APIGatewayProxyStructuredResultV2;
  return { statusCode: 200, body: JSON.stringify(value ?? null) };
}

/** Sends a function's result; one API Gateway would refuse (a bad status or header) is a 500, as there. */
function send(res: ServerResponse, result: APIGatewayProxyStructuredResultV2) {
  try {
    const body = result.body === undefined ? '' : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
    res.writeHead(result.statusCode ?? 200, {
      'content-type': 'application/json',
      ...(result.headers as Record<string, string> | undefined),
    });
    res.end(body);
  } catch {
    answerAndClose(res, 500, 'Internal Server Error');
  }
}

function describe(err: unknown): string {
  return maskCardNumbersInText(err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 500);
}
