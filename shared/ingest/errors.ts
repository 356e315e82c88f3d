import { maskCardNumbersInText } from '../domain/card-number';

/**
 * Whether an error is worth retrying. Transient: the input is fine and the same request can succeed later
 * (throttling, contention, timeouts, network, 5xx). Permanent: the request was refused for what it holds
 * (validation, serialization, an item DynamoDB will never store), so retrying only delays its neighbours.
 */
export type ErrorClass = 'transient' | 'permanent';

/** A failure worth retrying later (contention, throttling, an unreachable dependency): the input is fine. */
export class TransientIngestError extends Error {
  constructor(
    message: string,
    readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'TransientIngestError';
  }
}

/** The input itself cannot be processed, however often it is tried. */
export class PermanentIngestError extends Error {
  constructor(
    message: string,
    readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'PermanentIngestError';
  }
}

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
  'BandwidthLimitExceeded',
  'LimitExceededException',
]);

const TRANSIENT_NAMES = new Set([
  ...THROTTLING,
  'TransientIngestError',
  // The input stream failed (network, S3), not its content.
  'FileReadError',
  'TransactionConflictException',
  'TransactionInProgressException',
  'ReplicatedWriteConflictException',
  'InternalServerError',
  'InternalServerErrorException',
  'InternalFailure',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'AbortError',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
  // Problems of the deployment rather than the input (credentials, permissions, a missing table or bucket):
  // recording every good sale as a failure would be wrong; retrying until the DLQ keeps them for a redrive.
  'CredentialsProviderError',
  'ExpiredTokenException',
  'ExpiredToken',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'AccessDeniedException',
  'AccessDenied',
  'ResourceNotFoundException',
  'NoSuchBucket',
  'InvalidClientTokenId',
]);

const PERMANENT_NAMES = new Set([
  'PermanentIngestError',
  'FileDecodeError',
  'ValidationException',
  'SerializationException',
  'ZodError',
  'ItemCollectionSizeLimitExceededException',
  'InvalidObjectState',
]);

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ESOCKETTIMEDOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** Cancellation reason codes of a TransactWriteItems that a later attempt can get past. */
const TRANSIENT_CANCELLATION_CODES = new Set([
  'TransactionConflict',
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
  'RequestLimitExceeded',
  'InternalServerError',
]);

/** Errors the DynamoDB document client's marshaller throws, before any request, for values it cannot store. */
const MARSHALL_ERROR =
  /^(Unsupported type passed|Pass options\.removeUndefinedValues|Pass a non-empty set|Special numeric value|Only Number Set|NumberValue should not|No value defined)/;

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $responseBodyText?: unknown;
  CancellationReasons?: Array<{ Code?: unknown }>;
  cause?: unknown;
}

function hasNetworkCode(err: ErrorShape, depth = 0): boolean {
  if (typeof err.code === 'string' && NETWORK_CODES.has(err.code)) return true;
  if (depth < 3 && err.cause && typeof err.cause === 'object') return hasNetworkCode(err.cause as ErrorShape, depth + 1);
  return false;
}

export function classifyError(err: unknown): ErrorClass {
  if (err === null || typeof err !== 'object') return 'transient';
  const e = err as ErrorShape;
  const name = typeof e.name === 'string' ? e.name : '';

  if (name === 'TransactionCanceledException') {
    const codes = (e.CancellationReasons ?? []).map((r) => r?.Code);
    if (codes.includes('ValidationError')) return 'permanent';
    if (codes.some((c) => typeof c === 'string' && TRANSIENT_CANCELLATION_CODES.has(c))) return 'transient';
    // Only conditions (or nothing) refused it: the same request would be refused again.
    return codes.length > 0 ? 'permanent' : 'transient';
  }
  if (TRANSIENT_NAMES.has(name)) return 'transient';
  if (PERMANENT_NAMES.has(name)) return 'permanent';
  if (e.$retryable) return 'transient';
  if (hasNetworkCode(e)) return 'transient';

  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  if (status !== undefined) {
    if (status >= 500 || status === 429 || status === 408) return 'transient';
    if (status >= 400) return 'permanent';
  }
  if (e.$fault === 'server') return 'transient';
  if (e.$fault === 'client') return 'permanent';

  // A response body the SDK could not parse is the service's problem; any other syntax error is the input's.
  if (name === 'SyntaxError') return e.$responseBodyText === undefined ? 'permanent' : 'transient';
  // Deterministic given the same input (invalid lengths, nesting too deep, a shape the code did not expect).
  if (name === 'RangeError' || name === 'TypeError') return 'permanent';
  if (typeof e.message === 'string' && MARSHALL_ERROR.test(e.message)) return 'permanent';
  // Unknown: retry. The worst case is a parked message that can be redriven, never a silently dropped one.
  return 'transient';
}

export const isTransient = (err: unknown) => classifyError(err) === 'transient';

const MAX_DESCRIPTION_CHARS = 500;

/** What an error says about why it happened, masked and bounded, for a failure's reason. */
export function describeError(err: unknown): string {
  if (err === null || typeof err !== 'object') return maskCardNumbersInText(String(err)).slice(0, MAX_DESCRIPTION_CHARS);
  const e = err as ErrorShape;
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const message = typeof e.message === 'string' ? e.message.slice(0, MAX_DESCRIPTION_CHARS + 64) : '';
  const reasons = (e.CancellationReasons ?? [])
    .map((r, i) =>
      r?.Code && r.Code !== 'None'
        ? `item ${i}: ${String(r.Code)}${(r as { Message?: unknown }).Message ? ` (${String((r as { Message?: unknown }).Message).slice(0, 200)})` : ''}`
        : undefined,
    )
    .filter(Boolean);
  const text = `${name}${message ? `: ${message}` : ''}${reasons.length > 0 ? ` [${reasons.join('; ')}]` : ''}`;
  return maskCardNumbersInText(text).slice(0, MAX_DESCRIPTION_CHARS);
}
