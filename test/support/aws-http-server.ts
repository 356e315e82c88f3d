import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the server received it. */
export interface ReceivedRequest {
  method: string;
  /** The raw request target: path and query, escaped as sent. */
  url: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Responder = (req: ReceivedRequest, res: ServerResponse) => void;

/**
 * A local HTTP server standing in for an AWS endpoint: it records every request and answers with the responder of
 * the moment (a queue of one-shot responders first, then the default).
 */
export async function startAwsServer() {
  const requests: ReceivedRequest[] = [];
  const queue: Responder[] = [];
  let fallback: Responder = (_req, res) => res.writeHead(500).end();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      const [path = '/', search = ''] = url.split('?');
      const query = Object.fromEntries(new URLSearchParams(search));
      const received = {
        method: req.method ?? 'GET',
        url,
        path,
        query,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(received);
      (queue.shift() ?? fallback)(received, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    requests,
    /** Answers the next requests with these, in order. */
    next(...responders: Responder[]) {
      queue.push(...responders);
    },
    /** Answers every request not queued for. */
    always(responder: Responder) {
      fallback = responder;
    },
    reset() {
      requests.length = 0;
      queue.length = 0;
      fallback = (_req, res) => res.writeHead(500).end();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const rfc3986 = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const hmac = (key: Buffer | string, text: string) => createHmac('sha256', key).update(text, 'utf8').digest();

/**
 * Checks a request's SigV4 Authorization header from what was received, following AWS's specification (written
 * independently of @smithy/signature-v4): the canonical request from the method, the path as sent (S3's rule: not
 * normalised, not escaped again), the sorted query, the signed headers, the payload's hash.
 */
export function verifySigV4(req: ReceivedRequest, secretAccessKey: string, options: { doubleEscapePath?: boolean } = {}) {
  const auth = String(req.headers.authorization ?? '');
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!match) return { valid: false as const, reason: `malformed Authorization: ${auth}` };
  const [, accessKeyId, date, region, service, signedHeaders, signature] = match as unknown as string[];
  const [, search = ''] = req.url.split('?');
  const query = search
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const [k = '', v = ''] = pair.split('=');
      return [rfc3986(decodeURIComponent(k)), rfc3986(decodeURIComponent(v))] as const;
    })
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const names = signedHeaders!.split(';');
  const canonicalHeaders = names
    .map(
      (name) =>
        `${name}:${String(req.headers[name] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const payloadHash = String(req.headers['x-amz-content-sha256'] ?? sha256(req.body));
  const path = options.doubleEscapePath ? rfc3986(req.path).replace(/%2F/g, '/') : req.path;
  const canonical = [req.method, path, query, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', String(req.headers['x-amz-date']), scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date!), region!), service!), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  return {
    valid: expected === signature,
    accessKeyId,
    region,
    service,
    signedHeaders: names,
    reason: expected === signature ? '' : canonical,
  };
}

/** An S3-style XML error body. */
export const s3ErrorXml = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>REQ123</RequestId><HostId>HOST456</HostId></Error>`;
