import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import {
  type AwsClientOptions,
  AwsServiceError,
  escapeUri,
  headerValue,
  type RequestSpec,
  type ResponseMetadata,
  readBody,
  SignedHttpClient,
  xmlBlocks,
  xmlText,
} from '../aws/signed-http';

/*
 * The two S3 reads the functions make (GetObject, ListObjectsV2), over the small SigV4 transport instead of
 * @aws-sdk/client-s3 (about 150 KB of each bundle that reads files). Inputs and outputs are the SDK's, for the fields
 * used; errors are named by S3's error code (NoSuchKey, PreconditionFailed, SlowDown, …) with `$fault` and
 * `$metadata`, as the SDK's are. It does not validate a checksum while streaming a body (the file pipeline checks
 * the whole file's SHA-256 itself, and TLS guards the transfer).
 */

export interface S3ReaderOptions extends AwsClientOptions {
  /** Bucket in the path (`host/bucket/key`) rather than the host name. Default: S3_FORCE_PATH_STYLE=true (s3rver). */
  forcePathStyle?: boolean;
}

export interface GetObjectInput {
  Bucket: string;
  Key: string;
  VersionId?: string;
  IfMatch?: string;
  /** An HTTP range: `bytes=start-end` (end inclusive) or `bytes=start-`. */
  Range?: string;
  ChecksumMode?: 'ENABLED';
}

export interface GetObjectOutput {
  /** The body, streamed (206 for a range). */
  Body: Readable;
  ContentLength?: number;
  ContentRange?: string;
  ContentEncoding?: string;
  ContentType?: string;
  ETag?: string;
  VersionId?: string;
  LastModified?: Date;
  ChecksumSHA256?: string;
  ChecksumType?: string;
  $metadata: ResponseMetadata;
}

export interface ListObjectsV2Input {
  Bucket: string;
  Prefix?: string;
  ContinuationToken?: string;
  MaxKeys?: number;
}

export interface ListedObject {
  Key?: string;
  ETag?: string;
  Size?: number;
  LastModified?: Date;
}

export interface ListObjectsV2Output {
  Contents?: ListedObject[];
  IsTruncated?: boolean;
  NextContinuationToken?: string;
  KeyCount?: number;
  $metadata: ResponseMetadata;
}

/** An error S3 answered. */
export class S3ServiceError extends AwsServiceError {}

/** Names for the errors S3 answers with no body to name them (as the SDK names them). */
const STATUS_NAMES: Record<number, string> = {
  400: 'BadRequest',
  403: 'Forbidden',
  404: 'NotFound',
  412: 'PreconditionFailed',
  416: 'InvalidRange',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

const S3 = { signingName: 's3', endpointVariable: 'S3', endpointPrefix: 's3' };

/** A bucket name that can be the first label of a host name (the SDK's rule). */
const isVirtualHostable = (bucket: string) =>
  /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) && !/\.\.|\.-|-\./.test(bucket) && !isIP(bucket);

/** A key in a URL path: each segment escaped, the slashes kept (S3 signs the path as sent, never normalised). */
const escapeKey = (key: string) => key.split('/').map(escapeUri).join('/');

export class S3Reader {
  private readonly http: SignedHttpClient;

  constructor(private readonly options: S3ReaderOptions = {}) {
    this.http = new SignedHttpClient(S3, options);
  }

  async getObject(input: GetObjectInput): Promise<GetObjectOutput> {
    const headers: Record<string, string> = {};
    if (input.IfMatch !== undefined) headers['if-match'] = input.IfMatch;
    if (input.Range !== undefined) headers.range = input.Range;
    if (input.ChecksumMode !== undefined) headers['x-amz-checksum-mode'] = input.ChecksumMode;
    const query: Record<string, string> = input.VersionId !== undefined ? { versionId: input.VersionId } : {};
    const { response, metadata } = await this.http.send(() => this.request(input.Bucket, input.Key, query, headers), s3Error);
    const h = response.headers;
    const length = headerValue(h['content-length']);
    const lastModified = headerValue(h['last-modified']);
    return {
      Body: response,
      ContentLength: length === undefined ? undefined : Number(length),
      ContentRange: headerValue(h['content-range']),
      ContentEncoding: headerValue(h['content-encoding']),
      ContentType: headerValue(h['content-type']),
      ETag: headerValue(h.etag),
      VersionId: headerValue(h['x-amz-version-id']),
      LastModified: lastModified === undefined ? undefined : new Date(lastModified),
      ChecksumSHA256: headerValue(h['x-amz-checksum-sha256']),
      ChecksumType: headerValue(h['x-amz-checksum-type']),
      $metadata: metadata,
    };
  }

  async listObjectsV2(input: ListObjectsV2Input): Promise<ListObjectsV2Output> {
    // Keys come back URL-encoded, so a key with a character XML 1.0 cannot carry still lists.
    const query: Record<string, string> = { 'list-type': '2', 'encoding-type': 'url' };
    if (input.Prefix !== undefined) query.prefix = input.Prefix;
    if (input.ContinuationToken !== undefined) query['continuation-token'] = input.ContinuationToken;
    if (input.MaxKeys !== undefined) query['max-keys'] = String(input.MaxKeys);
    const { response, metadata } = await this.http.send(() => this.request(input.Bucket, undefined, query, {}), s3Error);
    const xml = (await readBody(response, Number.POSITIVE_INFINITY)).toString('utf8');
    // An S3 that ignores encoding-type (s3rver does) does not say it encoded: its keys are as stored.
    const decodeKey = xmlText(xml, 'EncodingType') === 'url' ? (k: string) => decodeURIComponent(k.replace(/\+/g, ' ')) : (k: string) => k;
    const contents = xmlBlocks(xml, 'Contents').map((block): ListedObject => {
      const key = xmlText(block, 'Key');
      const size = xmlText(block, 'Size');
      const lastModified = xmlText(block, 'LastModified');
      return {
        Key: key === undefined ? undefined : decodeKey(key),
        ETag: xmlText(block, 'ETag'),
        Size: size === undefined ? undefined : Number(size),
        LastModified: lastModified === undefined ? undefined : new Date(lastModified),
      };
    });
    const keyCount = xmlText(xml, 'KeyCount');
    return {
      Contents: contents.length > 0 ? contents : undefined,
      IsTruncated: xmlText(xml, 'IsTruncated') === 'true',
      NextContinuationToken: xmlText(xml, 'NextContinuationToken'),
      KeyCount: keyCount === undefined ? undefined : Number(keyCount),
      $metadata: metadata,
    };
  }

  /** The request's URL, virtual-hosted (`bucket.host/key`) or path-style (`host/bucket/key`), as the SDK builds it. */
  request(bucket: string, key: string | undefined, query: Record<string, string>, headers: Record<string, string>): RequestSpec {
    const endpoint = this.http.endpoint();
    const forcePathStyle = this.options.forcePathStyle ?? process.env.S3_FORCE_PATH_STYLE === 'true';
    // A dotted bucket under TLS would not match S3's wildcard certificate, and an IP address has no subdomains.
    const virtual =
      !forcePathStyle &&
      isVirtualHostable(bucket) &&
      !(endpoint.protocol === 'https:' && bucket.includes('.')) &&
      !isIP(endpoint.hostname.replace(/^\[|\]$/g, ''));
    const objectPath = key === undefined ? '' : `/${escapeKey(key)}`;
    return {
      method: 'GET',
      protocol: endpoint.protocol,
      hostname: virtual ? `${bucket}.${endpoint.hostname}` : endpoint.hostname,
      port: endpoint.port,
      path: `${endpoint.basePath}${virtual ? '' : `/${escapeUri(bucket)}`}${objectPath || '/'}`,
      query,
      headers,
    };
  }
}

/** S3's XML error (`<Error><Code>NoSuchKey</Code>…`), or the status's name when there is no body. */
function s3Error(metadata: ResponseMetadata, body: string, _headers: IncomingHttpHeaders): S3ServiceError {
  const code = xmlText(body, 'Code');
  metadata.requestId ??= xmlText(body, 'RequestId');
  metadata.extendedRequestId ??= xmlText(body, 'HostId');
  const name = code ?? STATUS_NAMES[metadata.httpStatusCode ?? 0] ?? 'UnknownError';
  return new S3ServiceError(name, xmlText(body, 'Message') ?? code ?? `S3 answered ${metadata.httpStatusCode}`, metadata);
}
