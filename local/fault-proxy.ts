import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './servers';

/** The transient failures a client of DynamoDB meets in the cloud, each answered as DynamoDB would. */
export const FAULT_KINDS = ['throttling', 'server-error', 'drop-before', 'drop-after'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultOptions {
  /** Share of requests given a fault, 0 to 1. */
  rate: number;
  /** For a reproducible sequence of faults; random by default. */
  seed?: number;
}

export interface FaultProxy {
  endpoint: string;
  seed: number;
  /** Requests forwarded untouched, and faults injected by kind. */
  counts(): Record<FaultKind | 'forwarded', number>;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of DynamoDB Local that gives a share of requests a transient fault: a throttling
 * answer (400 ThrottlingException), an internal error (500), a connection dropped before the request reaches
 * DynamoDB, or dropped after DynamoDB has applied it (the client cannot tell whether a write happened). Only
 * the functions' clients go through it (the local runtime points their endpoint here), so tests exercise the
 * handlers' retry and idempotency paths while reading the table directly.
 */
export async function startFaultProxy(target: string, options: FaultOptions): Promise<FaultProxy> {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = mulberry32(seed);
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const counts = Object.fromEntries([...FAULT_KINDS, 'forwarded'].map((k) => [k, 0])) as Record<FaultKind | 'forwarded', number>;

  const pick = (): FaultKind | undefined => (random() < options.rate ? FAULT_KINDS[Math.floor(random() * FAULT_KINDS.length)] : undefined);

  const server = createServer((req, res) => {
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    const fault = pick();
    counts[fault ?? 'forwarded']++;
    if (fault === 'throttling')
      return answerError(
        req,
        res,
        400,
        'com.amazonaws.dynamodb.v20120810#ThrottlingException',
        'Rate of requests exceeds the allowed throughput.',
      );
    if (fault === 'server-error')
      return answerError(req, res, 500, 'com.amazonaws.dynamodb.v20120810#InternalServerError', 'Internal server error');
    if (fault === 'drop-before') return void req.socket.destroy();
    forward(req, res, fault === 'drop-after');
  });

  function forward(req: IncomingMessage, res: ServerResponse, dropResponse: boolean) {
    const outgoing = request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers, agent },
      (answer) => {
        if (dropResponse) {
          // DynamoDB has done the work; the client never hears of it.
          answer.resume();
          return void req.socket.destroy();
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    outgoing.on('error', () => req.socket.destroy());
    req.pipe(outgoing);
  }

  const listening = await listenOnLoopback(server, 0, 'fault proxy');
  return {
    endpoint: listening.url,
    seed,
    counts: () => ({ ...counts }),
    async close() {
      await listening.close();
      agent.destroy();
    },
  };
}

function answerError(req: IncomingMessage, res: ServerResponse, status: number, type: string, message: string) {
  req.resume();
  const body = JSON.stringify({ __type: type, message });
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-errortype': type.split('#')[1]!,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** A small seeded generator, so a failing run's faults can be replayed with its seed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
