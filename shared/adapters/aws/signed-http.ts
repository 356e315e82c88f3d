import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { type ClientRequest, Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { SignatureV4 } from '@smithy/signature-v4';

/*
 * The transport of the small AWS clients in this folder (and of the S3 reader): SigV4 over node:http(s), with the
 * SDK's standard retry (up to three attempts by default, exponential backoff with full jitter from 100 ms, 500 ms
 * for throttling, capped at 20 s), its 5-minute socket inactivity timeout, and errors shaped like the SDK's: `name`
 * the service's error code, `$fault`, `$metadata` (httpStatusCode, requestId, attempts), so shared/ingest/errors.ts
 * and the admin API classify them as they classified the SDK's. Each client is a few operations over this instead of
 * a whole SDK client (20–70 KB each in a bundle).
 */

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsClientOptions {
  /** Default: AWS_REGION (then AWS_DEFAULT_REGION), read at each request. */
  region?: string;
  /** Default: AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL (as the SDK), else the service's regional endpoint. */
  endpoint?: string;
  /** Default: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN from the environment (what Lambda gives). */
  credentials?: AwsCredentials | (() => Promise<AwsCredentials>);
  /** Attempts of one request, the first included (default 3, the SDK's standard retry mode). */
  maxAttempts?: number;
  /** Base of the exponential backoff between attempts (default 100 ms; throttling errors wait from 5 times as long). */
  retryBaseDelayMs?: number;
  /** A request, or a body being read, with no socket activity for this long fails with a TimeoutError (default 5 min). */
  socketTimeoutMs?: number;
}

/** How the SDK names and finds a service. */
export interface ServiceSpec {
  /** The SigV4 signing name (`s3`, `sqs`, `secretsmanager`, …). */
  signingName: string;
  /** The suffix of its AWS_ENDPOINT_URL_<SERVICE> variable (`S3`, `SQS`, `SECRETS_MANAGER`, …). */
  endpointVariable: string;
  /** The first label of its regional host name (`sqs` in sqs.eu-west-1.amazonaws.com). */
  endpointPrefix: string;
}

export interface ResponseMetadata {
  httpStatusCode?: number;
  requestId?: string;
  extendedRequestId?: string;
  attempts: number;
  totalRetryDelay: number;
}

/** An error the service answered, shaped like the SDK's service exceptions. */
export class AwsServiceError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: ResponseMetadata;

  constructor(name: string, message: string, metadata: ResponseMetadata, fields: Record<string, unknown> = {}) {
    super(message);
    Object.assign(this, fields);
    this.name = name;
    this.$fault = (metadata.httpStatusCode ?? 500) >= 500 ? 'server' : 'client';
    this.$metadata = metadata;
  }
}

/** The parts of a request a client builds; the transport adds the host header and the signature. */
export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  protocol: 'http:' | 'https:';
  hostname: string;
  port?: number;
  /** Escaped as it is to be sent (and signed). */
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
}

/** Reads an error response into the service's error (its code as the name). */
export type ErrorParser = (metadata: ResponseMetadata, body: string, headers: IncomingHttpHeaders) => AwsServiceError;

const THROTTLING_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'LimitExceededException',
  'RequestThrottled',
  'SlowDown',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
]);

/** Error codes the SDK retries besides throttling, 5xx and 429. */
const TRANSIENT_CODES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'InternalError', 'ServiceUnavailable']);

// The SDK's timeout and network error codes, and two more DNS and abort codes that a later attempt can get past.
const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'ECONNABORTED',
  'EAI_AGAIN',
]);

const MAX_ERROR_BODY_BYTES = 64 * 1024;
const MAX_RETRY_DELAY_MS = 20_000;

/** SHA-256 and HMAC-SHA256 over node:crypto, in the shape SignatureV4 expects of a hash constructor. */
class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView) {
    this.hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset() {
    throw new Error('NodeSha256 cannot be reset');
  }
}

const toBuffer = (data: string | ArrayBuffer | ArrayBufferView) =>
  typeof data === 'string'
    ? Buffer.from(data, 'utf8')
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

/** RFC 3986 escaping, as SigV4 expects (encodeURIComponent leaves `!'()*` alone). */
export const escapeUri = (value: string) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const keepAlive = { keepAlive: true, maxSockets: 50 };
const httpAgent = new HttpAgent(keepAlive);
const httpsAgent = new HttpsAgent(keepAlive);

export const headerValue = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(', ') : value);

/** A signed-request client of one AWS service. */
export class SignedHttpClient {
  private readonly envCredentials = fromEnv();

  constructor(
    readonly service: ServiceSpec,
    private readonly options: AwsClientOptions = {},
  ) {}

  region(): string {
    const region = this.options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region) throw new Error(`${this.service.signingName}: no region configured (AWS_REGION)`);
    return region;
  }

  /** Where requests go: the configured endpoint, else the regional one (FIPS and dual-stack as the environment asks). */
  endpoint(): { protocol: 'http:' | 'https:'; hostname: string; port?: number; basePath: string; configured: boolean } {
    const env = process.env;
    const configured =
      this.options.endpoint ??
      (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true'
        ? undefined
        : env[`AWS_ENDPOINT_URL_${this.service.endpointVariable}`] || env.AWS_ENDPOINT_URL);
    if (configured) {
      const url = new URL(configured);
      return {
        protocol: url.protocol === 'http:' ? 'http:' : 'https:',
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        basePath: url.pathname.replace(/\/+$/, ''),
        configured: true,
      };
    }
    const region = this.region();
    const fips = env.AWS_USE_FIPS_ENDPOINT === 'true' ? '-fips' : '';
    const dualStack = env.AWS_USE_DUALSTACK_ENDPOINT === 'true' ? '.dualstack' : '';
    const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
    return {
      protocol: 'https:',
      hostname: `${this.service.endpointPrefix}${fips}${dualStack}.${region}.${suffix}`,
      basePath: '',
      configured: false,
    };
  }

  /**
   * Sends a request, retrying what the SDK retries; resolves with a 2xx response whose body is still to be read.
   * `build` is called for each attempt (each is signed afresh).
   */
  async send(build: () => RequestSpec, parseError: ErrorParser): Promise<{ response: IncomingMessage; metadata: ResponseMetadata }> {
    const maxAttempts = Math.max(1, this.options.maxAttempts ?? 3);
    const baseDelay = this.options.retryBaseDelayMs ?? 100;
    let totalRetryDelay = 0;
    for (let attempt = 1; ; attempt++) {
      let error: Error & { $metadata?: ResponseMetadata };
      try {
        const spec = build();
        const response = await this.dispatch(spec, await this.sign(spec));
        const metadata: ResponseMetadata = {
          httpStatusCode: response.statusCode,
          requestId: headerValue(response.headers['x-amz-request-id'] ?? response.headers['x-amzn-requestid']),
          extendedRequestId: headerValue(response.headers['x-amz-id-2']),
          attempts: attempt,
          totalRetryDelay,
        };
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) return { response, metadata };
        error = parseError(metadata, (await readBody(response, MAX_ERROR_BODY_BYTES)).toString('utf8'), response.headers);
      } catch (err) {
        // Not `instanceof Error`: Node's own errors come from another realm under a test runner's sandbox.
        error = typeof err === 'object' && err !== null ? (err as Error) : new Error(String(err));
      }
      const retry = attempt < maxAttempts ? retryKind(error) : undefined;
      if (!retry) {
        // As the SDK's retry middleware does, even to a network error: the admin API tells a dependency's failure by it.
        error.$metadata = { ...error.$metadata, attempts: attempt, totalRetryDelay };
        throw error;
      }
      const ceiling = Math.min(MAX_RETRY_DELAY_MS, (retry === 'throttling' ? baseDelay * 5 : baseDelay) * 2 ** (attempt - 1));
      const delay = Math.floor(Math.random() * ceiling);
      totalRetryDelay += delay;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  /** Sends a request and reads the whole response body. */
  async call(build: () => RequestSpec, parseError: ErrorParser) {
    const { response, metadata } = await this.send(build, parseError);
    return { body: (await readBody(response, Number.POSITIVE_INFINITY)).toString('utf8'), headers: response.headers, metadata };
  }

  private async sign(spec: RequestSpec): Promise<Record<string, string>> {
    const configured = this.options.credentials;
    const signer = new SignatureV4({
      service: this.service.signingName,
      region: this.region(),
      credentials: typeof configured === 'function' ? configured : configured ? async () => configured : this.envCredentials,
      sha256: NodeSha256,
      // A path is escaped once by the client. S3 signs it as sent; every other service signs it escaped again.
      uriEscapePath: this.service.signingName !== 's3',
      // x-amz-content-sha256 on every request, as the SDK sends it (S3 requires it).
      applyChecksum: true,
    });
    const host = spec.port === undefined ? spec.hostname : `${spec.hostname}:${spec.port}`;
    const headers: Record<string, string> = { ...spec.headers, host };
    if (spec.body !== undefined) headers['content-length'] = String(Buffer.byteLength(spec.body));
    const signed = await signer.sign({
      method: spec.method,
      protocol: spec.protocol,
      hostname: spec.hostname,
      port: spec.port,
      path: spec.path,
      query: { ...spec.query },
      headers,
      body: spec.body,
    });
    return signed.headers as Record<string, string>;
  }

  private dispatch(spec: RequestSpec, headers: Record<string, string>): Promise<IncomingMessage> {
    const search = Object.entries(spec.query ?? {})
      .map(([k, v]) => `${escapeUri(k)}=${escapeUri(v)}`)
      .join('&');
    const send = spec.protocol === 'http:' ? httpRequest : httpsRequest;
    const timeoutMs = this.options.socketTimeoutMs ?? 300_000;
    return new Promise((resolve, reject) => {
      let response: IncomingMessage | undefined;
      const req: ClientRequest = send({
        protocol: spec.protocol,
        hostname: spec.hostname.replace(/^\[|\]$/g, ''),
        port: spec.port,
        method: spec.method,
        path: search ? `${spec.path}?${search}` : spec.path,
        headers: { ...headers, 'user-agent': 'hi-vis-loyalty' },
        agent: spec.protocol === 'http:' ? httpAgent : httpsAgent,
      });
      // Socket inactivity, before the response or while its body is read: the SDK's default timeout, and its error name.
      req.setTimeout(timeoutMs, () => {
        const error = Object.assign(new Error(`the request socket timed out after ${timeoutMs} ms of inactivity`), {
          name: 'TimeoutError',
          code: 'ETIMEDOUT',
        });
        if (response) response.destroy(error);
        req.destroy(error);
      });
      req.once('response', (res) => {
        response = res;
        resolve(res);
      });
      // Once the body is being read, a failure of the request is the body's (Node reports it on both).
      req.on('error', (err) => (response ? response.destroy(err) : reject(err)));
      req.end(spec.body);
    });
  }
}

function retryKind(error: Error & { code?: unknown; $metadata?: ResponseMetadata }): 'throttling' | 'transient' | undefined {
  if (error instanceof AwsServiceError) {
    if (THROTTLING_CODES.has(error.name) || error.$metadata.httpStatusCode === 429) return 'throttling';
    if ((error.$metadata.httpStatusCode ?? 0) >= 500 || TRANSIENT_CODES.has(error.name)) return 'transient';
    return undefined;
  }
  if (error.name === 'TimeoutError' || (typeof error.code === 'string' && RETRYABLE_NETWORK_CODES.has(error.code))) return 'transient';
  return undefined;
}

/** Reads a response body whole, keeping up to `limit` bytes (the rest is read and dropped). */
export function readBody(response: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    response.on('data', (chunk: Buffer) => {
      if (length < limit) chunks.push(chunk);
      length += chunk.length;
    });
    response.once('end', () => resolve(Buffer.concat(chunks)));
    response.once('error', reject);
  });
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

const decodeXml = (text: string) =>
  text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (entity, body: string) => {
    if (body.startsWith('#x')) return String.fromCodePoint(Number.parseInt(body.slice(2), 16));
    if (body.startsWith('#')) return String.fromCodePoint(Number.parseInt(body.slice(1), 10));
    return ENTITIES[body] ?? entity;
  });

/** The text of the first `<name>` element, entities decoded (AWS's XML answers are flat enough for this). */
export function xmlText(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}(?:\\s[^>]*)?(?:/>|>([\\s\\S]*?)</${name}>)`).exec(xml);
  return match ? decodeXml(match[1] ?? '') : undefined;
}

/** Every `<name>…</name>` element, whole. */
export function xmlBlocks(xml: string, name: string): string[] {
  return xml.match(new RegExp(`<${name}>[\\s\\S]*?</${name}>`, 'g')) ?? [];
}
