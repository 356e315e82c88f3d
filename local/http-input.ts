import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** How reading a request body ended. */
export type BodyRead = { kind: 'complete'; body: Buffer } | { kind: 'too_large' } | { kind: 'timeout' } | { kind: 'aborted' };

export interface BodyLimits {
  maxBytes: number;
  /** A body not received whole within this time is refused (a stalled or very slow client). */
  timeoutMs: number;
}

/**
 * Reads a request body within limits. Never rejects: a body too large, too slow, or cut off by the client
 * (a dropped connection mid-upload) is a result, for the caller to answer (or, once aborted, not).
 */
export function readBody(req: IncomingMessage, limits: BodyLimits): Promise<BodyRead> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limits.maxBytes) return Promise.resolve({ kind: 'too_large' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (result: BodyRead) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off('data', onData);
      // Whatever still arrives is discarded, not buffered.
      if (result.kind !== 'complete') req.resume();
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limits.maxBytes) return finish({ kind: 'too_large' });
      chunks.push(chunk);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), limits.timeoutMs);
    req.on('data', onData);
    req.once('end', () => finish({ kind: 'complete', body: Buffer.concat(chunks) }));
    req.once('close', () => finish(req.complete ? { kind: 'complete', body: Buffer.concat(chunks) } : { kind: 'aborted' }));
    req.once('error', () => finish({ kind: 'aborted' }));
  });
}

/** Answers with a short JSON message and closes the connection (its request may not have been read whole). */
export function answerAndClose(res: ServerResponse, status: number, message: string) {
  try {
    if (res.headersSent || res.destroyed) return void res.destroy();
    const body = JSON.stringify({ message });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' });
    res.end(body);
  } catch {
    res.destroy();
  }
}

/**
 * For `server.on('clientError')`: what Node's parser refused (a bad request line or header, headers too
 * large, a request too slow) is answered 400, 431 or 408 on the raw socket, then the socket is closed.
 * Never throws.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex) {
  try {
    const inResponse = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
    if (err.code === 'ECONNRESET' || !socket.writable || inResponse) return void socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const body = JSON.stringify({ message: clientErrorMessage(err.code, status) });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      () => socket.destroy(),
    );
  } catch {
    socket.destroy();
  }
}

function clientErrorMessage(code: string | undefined, status: number): string {
  if (status === 431) return 'request headers too large';
  if (status === 408) return 'request not received in time';
  if (code === 'HPE_INVALID_METHOD') return 'invalid method';
  if (code === 'HPE_INVALID_URL') return 'invalid request target';
  if (code?.startsWith('HPE_INVALID_HEADER') || code === 'HPE_INVALID_CONSTANT' || code === 'HPE_UNEXPECTED_CONTENT_LENGTH')
    return 'invalid header';
  return 'malformed request';
}
