import { randomUUID, timingSafeEqual, createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { listenOnLoopback } from './servers';
import { invoke, type LambdaHandler } from './lambda-runtime';

export interface HttpRoute {
  /** API Gateway route key, e.g. `GET /admin/transactions/{transactionId}`. */
  routeKey: string;
  handler: LambdaHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;
  functionName: string;
  contextFor(): Parameters<LambdaHandler>[1];
}

export interface HttpGatewayOptions {
  port: number;
  token: string;
  routes: HttpRoute[];
  maxBodyBytes(contentType: string | undefined): number;
}

/**
 * API Gateway (HTTP API), emulated: matches the route, checks the bearer token (standing in for IAM auth) in
 * constant time, and invokes the handler with a genuine APIGatewayProxyEventV2.
 */
export async function startHttpGateway(options: HttpGatewayOptions): Promise<{ url: string; close(): Promise<void> }> {
  const compiled = options.routes.map((route) => ({ route, ...compileRouteKey(route.routeKey) }));
  const server: Server = createServer((req, res) => void serve(req, res));

  async function serve(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!authorized(req.headers.authorization, options.token)) return send(res, { statusCode: 401, body: JSON.stringify({ message: 'Unauthorized' }) });
    const candidates = compiled.filter((c) => c.pattern.test(url.pathname));
    const match = candidates.find((c) => c.method === req.method);
    if (!match) {
      return send(res, candidates.length > 0 ? { statusCode: 405, body: JSON.stringify({ message: `Method ${req.method} not allowed on ${url.pathname}` }) } : { statusCode: 404, body: JSON.stringify({ message: `No route for ${req.method} ${url.pathname}` }) });
    }
    const limit = options.maxBodyBytes(req.headers['content-type']);
    const body = await readBody(req, limit);
    if (body === 'too_large') return send(res, { statusCode: 413, body: JSON.stringify({ message: `Payload larger than ${limit} bytes` }) });
    const pathParameters = Object.fromEntries(match.params.map((name, i) => [name, decodeURIComponent(match.pattern.exec(url.pathname)![i + 1]!)]));
    const event = toEvent(req, url, match.route.routeKey, pathParameters, body);
    try {
      send(res, await invoke(match.route.functionName, match.route.handler, event, match.route.contextFor()));
    } catch (err) {
      console.error(`${match.route.functionName} failed:`, (err as Error).message);
      send(res, { statusCode: 500, body: JSON.stringify({ message: 'Internal Server Error' }) });
    }
  }

  return listenOnLoopback(server, options.port, 'admin API');
}

function authorized(header: string | undefined, token: string): boolean {
  const presented = /^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '';
  // Compare digests so the comparison takes the same time whatever the length of what was presented.
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(presented), digest(token)) && presented.length > 0;
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

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    return 'too_large';
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return 'too_large';
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function toEvent(req: IncomingMessage, url: URL, routeKey: string, pathParameters: Record<string, string>, body: Buffer): APIGatewayProxyEventV2 {
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]));
  const query = Object.fromEntries(url.searchParams.entries());
  const isText = /^(application\/json|text\/|application\/x-ndjson)/.test(headers['content-type'] ?? 'application/json');
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    pathParameters: Object.keys(pathParameters).length > 0 ? pathParameters : undefined,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: { method: req.method ?? 'GET', path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
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

function send(res: ServerResponse, result: APIGatewayProxyStructuredResultV2) {
  res.writeHead(result.statusCode ?? 200, { 'content-type': 'application/json', ...(result.headers as Record<string, string> | undefined) });
  res.end(result.body ?? '');
}
