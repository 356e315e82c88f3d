import type { IncomingHttpHeaders } from 'node:http';
import {
  type AwsClientOptions,
  AwsServiceError,
  type ErrorParser,
  escapeUri,
  headerValue,
  type RequestSpec,
  type ResponseMetadata,
  type ServiceSpec,
  SignedHttpClient,
  xmlText,
} from './signed-http';

/*
 * The three wire protocols of the services the functions call, each as the SDK speaks it (the requests are compared
 * with the SDK's in test/unit/aws-clients.test.ts): AWS JSON 1.0/1.1 (SQS, Secrets Manager, EventBridge, CloudWatch,
 * Cognito), REST JSON (Lambda) and the Query protocol (SNS).
 */

export type WithMetadata<T> = T & { $metadata: ResponseMetadata };

/** An error code as the SDK reads it: `ns#Code:uri` → `Code`. */
const sanitizeCode = (raw: unknown) => {
  let code = String(raw).split(',')[0]!.split(':')[0]!;
  if (code.includes('#')) code = code.split('#')[1]!;
  return code;
};

const parseJson = (body: string): Record<string, unknown> => {
  if (body.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(body);
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};

type CodeSource = 'header' | 'code' | 'type';

/** Where the SDK looks for an error's code, in order, for each protocol. */
const CODE_ORDER: Record<'json' | 'queryCompatible' | 'restJson', CodeSource[]> = {
  json: ['type', 'code', 'header'],
  queryCompatible: ['code', 'header', 'type'],
  restJson: ['header', 'code', 'type'],
};

function errorCode(order: CodeSource[], data: Record<string, unknown>, headers: IncomingHttpHeaders): string | undefined {
  for (const source of order) {
    if (source === 'header' && headers['x-amzn-errortype'] !== undefined) return sanitizeCode(headerValue(headers['x-amzn-errortype']));
    if (source === 'code') {
      const key = Object.keys(data).find((k) => k.toLowerCase() === 'code');
      if (key && data[key] !== undefined) return sanitizeCode(data[key]);
    }
    if (source === 'type' && data.__type !== undefined) return sanitizeCode(data.__type);
  }
  return undefined;
}

export interface JsonErrorRules {
  protocol: keyof typeof CODE_ORDER;
  /**
   * For a Query-compatible service, its modeled errors' names by their Query error code where the two differ
   * (`AWS.SimpleQueueService.NonExistentQueue` is a QueueDoesNotExist), as the SDK names them.
   */
  queryErrorNames?: Readonly<Record<string, string>>;
}

/** A JSON protocol error, named and worded as the SDK names and words it, with the fields it keeps. */
function jsonError(rules: JsonErrorRules) {
  return (metadata: ResponseMetadata, body: string, headers: IncomingHttpHeaders): AwsServiceError => {
    const data = parseJson(body);
    const { __type: _type, ...fields } = data;
    // A service that also speaks the Query protocol (SQS, CloudWatch) says its Query error code in a header.
    const queryError = rules.protocol === 'queryCompatible' ? headerValue(headers['x-amzn-query-error']) : undefined;
    if (queryError) {
      const [code, type] = queryError.split(';');
      Object.assign(data, { Code: code, Type: type });
      Object.assign(fields, { Code: code, Type: type });
    }
    const code = errorCode(CODE_ORDER[rules.protocol], data, headers) ?? 'Unknown';
    const name = rules.queryErrorNames?.[code] ?? code;
    const message =
      rules.protocol === 'queryCompatible'
        ? (data.Message ?? data.message ?? 'UnknownError')
        : (data.message ?? data.Message ?? 'UnknownError');
    delete fields.message;
    delete fields.Message;
    return new AwsServiceError(name, String(message), metadata, fields);
  };
}

/** A service of the AWS JSON 1.0 or 1.1 protocol: POST / with the operation in X-Amz-Target. */
export class AwsJsonClient {
  readonly http: SignedHttpClient;
  private readonly target: string;
  private readonly headers: Record<string, string>;
  private readonly parseError: ErrorParser;

  constructor(
    service: ServiceSpec & {
      /** The X-Amz-Target prefix (`AmazonSQS`, `secretsmanager`, …). */
      target: string;
      version: '1.0' | '1.1';
      /** The service also speaks the Query protocol, and the SDK says so (SQS, CloudWatch). */
      queryCompatible?: boolean;
      queryErrorNames?: Readonly<Record<string, string>>;
    },
    options: AwsClientOptions = {},
  ) {
    this.http = new SignedHttpClient(service, options);
    this.target = service.target;
    this.parseError = jsonError({
      protocol: service.queryCompatible ? 'queryCompatible' : 'json',
      queryErrorNames: service.queryErrorNames,
    });
    this.headers = {
      'content-type': `application/x-amz-json-${service.version}`,
      ...(service.queryCompatible ? { 'x-amzn-query-mode': 'true' } : {}),
    };
  }

  async call<T>(operation: string, input: object): Promise<WithMetadata<T>> {
    const body = JSON.stringify(input);
    const build = (): RequestSpec => {
      const endpoint = this.http.endpoint();
      return {
        method: 'POST',
        protocol: endpoint.protocol,
        hostname: endpoint.hostname,
        port: endpoint.port,
        path: `${endpoint.basePath}/`,
        headers: { ...this.headers, 'x-amz-target': `${this.target}.${operation}` },
        body,
      };
    };
    const { body: text, metadata } = await this.http.call(build, this.parseError);
    return { ...(parseJson(text) as T), $metadata: metadata };
  }
}

const restJsonError = jsonError({ protocol: 'restJson' });

/** A service of the REST JSON protocol (Lambda): the operation in the method and path, a JSON body. */
export class RestJsonClient {
  readonly http: SignedHttpClient;

  constructor(service: ServiceSpec, options: AwsClientOptions = {}) {
    this.http = new SignedHttpClient(service, options);
  }

  /** `path` is given escaped (each label with escapeUri). */
  async call<T>(method: RequestSpec['method'], path: string, input?: object): Promise<WithMetadata<T>> {
    const body = input === undefined ? undefined : JSON.stringify(input);
    const build = (): RequestSpec => {
      const endpoint = this.http.endpoint();
      return {
        method,
        protocol: endpoint.protocol,
        hostname: endpoint.hostname,
        port: endpoint.port,
        path: `${endpoint.basePath}${path}`,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body,
      };
    };
    const { body: text, metadata } = await this.http.call(build, restJsonError);
    return { ...(parseJson(text) as T), $metadata: metadata };
  }
}

/** A service of the Query protocol (SNS): a form-encoded POST, an XML answer. */
export class AwsQueryClient {
  readonly http: SignedHttpClient;
  private readonly version: string;
  private readonly errorNames: Readonly<Record<string, string>>;

  constructor(
    service: ServiceSpec & {
      version: string;
      /** The modeled errors' names by their Query error code (the SDK names an error by its modeled exception). */
      errorNames?: Readonly<Record<string, string>>;
    },
    options: AwsClientOptions = {},
  ) {
    this.http = new SignedHttpClient(service, options);
    this.version = service.version;
    this.errorNames = service.errorNames ?? {};
  }

  /** Returns the answer's XML; the parameters are flattened already (`MessageAttributes.entry.1.Name`, …). */
  async call(action: string, params: Record<string, string | undefined>): Promise<{ xml: string; $metadata: ResponseMetadata }> {
    const body = [
      ['Action', action],
      ['Version', this.version],
      ...Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined),
    ]
      .map(([k, v]) => `${escapeUri(k!)}=${escapeUri(v!)}`)
      .join('&');
    const build = (): RequestSpec => {
      const endpoint = this.http.endpoint();
      return {
        method: 'POST',
        protocol: endpoint.protocol,
        hostname: endpoint.hostname,
        port: endpoint.port,
        path: `${endpoint.basePath}/`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      };
    };
    const { body: xml, metadata } = await this.http.call(build, (meta, text) => {
      const code = xmlText(text, 'Code');
      meta.requestId ??= xmlText(text, 'RequestId');
      const name = code ? (this.errorNames[code] ?? code) : meta.httpStatusCode === 404 ? 'NotFound' : 'UnknownError';
      return new AwsServiceError(name, xmlText(text, 'Message') ?? name, meta, { Type: xmlText(text, 'Type'), Code: code });
    });
    return { xml, $metadata: metadata };
  }
}
