import { connect } from 'node:net';
import { LocalStackClient } from '../../local/local-client';

let local: LocalStackClient;
let port: number;
let auth: string;

beforeAll(() => {
  local = LocalStackClient.fromEnv();
  port = Number(new URL(local.endpoints.adminApiUrl).port);
  auth = `Authorization: Bearer ${local.endpoints.adminToken}\r\n`;
});
afterAll(() => local.destroy());

interface RawAnswer {
  status?: number;
  body: string;
  /** The server closed the connection. */
  closed: boolean;
}

/**
 * Sends bytes on a fresh TCP connection, optionally leaving it open (a stalled client) or dropping it
 * (`dropAfterMs`); resolves with the status line's code and body once the server answers and closes, or
 * after `waitMs`.
 */
function raw(request: string | Buffer, options: { dropAfterMs?: number; waitMs?: number } = {}): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const status = /^HTTP\/1\.1 (\d{3})/.exec(received)?.[1];
      resolve({ status: status ? Number(status) : undefined, body: received.slice(received.indexOf('\r\n\r\n') + 4), closed });
    };
    const timer = setTimeout(() => finish(false), options.waitMs ?? 5_000);
    socket.on('connect', () => {
      socket.write(request);
      if (options.dropAfterMs !== undefined) setTimeout(() => finish(false), options.dropAfterMs);
    });
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => finish(true));
  });
}

const get = (target: string | Buffer, headers = '') =>
  Buffer.concat([
    Buffer.from('GET '),
    Buffer.isBuffer(target) ? target : Buffer.from(target),
    Buffer.from(` HTTP/1.1\r\nHost: localhost\r\n${auth}${headers}Connection: close\r\n\r\n`),
  ]);

/** The stack answers a normal request, so its process is alive and serving. */
async function expectStillServing() {
  const status = await local.admin('GET', '/admin/sync/status');
  expect(status.status).toBe(200);
  // Signal 0 only asks whether the process exists.
  expect(() => process.kill(local.endpoints.pid, 0)).not.toThrow();
}

describe('the local gateway answers whatever a client sends, and keeps serving', () => {
  test.each([
    ['an authority-like target', '//admin/sync/status'],
    ['the absolute form', 'http://evil.example/admin/sync/status'],
    ['the asterisk form', '*'],
    ['a non-ASCII target', Buffer.from('/admin/users/zoë', 'utf8')],
    ['an overlong target', `/admin/users/${'a'.repeat(9_000)}`],
    ['a malformed percent-encoding', '/admin/users/%E0%A4%A'],
    ['a percent-encoding that is not UTF-8', '/admin/users/%E0%A4'],
    ['a bare percent sign', '/admin/users/100%'],
    ['dot segments', '/admin/users/../sync/status'],
    ['a backslash', '/admin\\sync\\status'],
    ['a malformed query encoding', '/admin/transactions?cursor=%zz'],
  ])('%s is answered 400', async (_, target) => {
    const answer = await raw(get(target));
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({ message: expect.any(String) });
    await expectStillServing();
  });

  test('headers too large are answered 431', async () => {
    const answer = await raw(get('/admin/sync/status', `X-Padding: ${'p'.repeat(20_000)}\r\n`));
    expect(answer.status).toBe(431);
    await expectStillServing();
  });

  test.each([
    ['a header name with a space', 'Bad Header: x\r\n'],
    ['a control character in a value', 'X-Value: a\u0001b\r\n'],
    ['two different content lengths', 'Content-Length: 1\r\nContent-Length: 2\r\n'],
    ['a content length that is not a number', 'Content-Length: ten\r\n'],
  ])('%s is answered 400', async (_, headers) => {
    const answer = await raw(get('/admin/sync/status', headers));
    expect(answer.status).toBe(400);
    await expectStillServing();
  });

  test('garbage instead of a request line is answered 400', async () => {
    const answer = await raw('\u0000\u0001 not http at all\r\n\r\n');
    expect(answer.status).toBe(400);
    await expectStillServing();
  });

  test('a body whose connection drops mid-way is dropped with it; nothing is imported', async () => {
    const head = `POST /admin/import HTTP/1.1\r\nHost: localhost\r\n${auth}Content-Type: text/csv\r\nContent-Length: 100000\r\n\r\n`;
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        raw(`${head}transactionId,date,amount,cardNumber,product,machineId\nGW-ABORT-1,2025-01-01T00:00:00Z,100,4111`, {
          dropAfterMs: 200,
        }),
      ),
    );
    expect(answers.every((a) => a.status === undefined)).toBe(true);
    await expectStillServing();
    expect(await local.sale('GW-ABORT-1')).toBeUndefined();
  });

  test('a body that stalls is answered 408 after the body timeout, and the connection closed', async () => {
    const started = Date.now();
    const answer = await raw(
      `POST /admin/import HTTP/1.1\r\nHost: localhost\r\n${auth}Content-Type: text/csv\r\nContent-Length: 1000\r\n\r\ntransactionId,`,
      { waitMs: 20_000 },
    );
    expect(answer.status).toBe(408);
    expect(answer.closed).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(9_000);
    await expectStillServing();
  }, 30_000);

  test('a body over the limit is answered 413', async () => {
    const answer = await raw(
      `PUT /admin/users/gw-big HTTP/1.1\r\nHost: localhost\r\n${auth}Content-Type: application/json\r\nContent-Length: ${2 * 2 ** 20}\r\n\r\n{"name":"`,
    );
    expect(answer.status).toBe(413);
    await expectStillServing();
  });

  test('an unknown method is answered 400 (by the parser) or 404/405 (by the router), never a dropped process', async () => {
    const parsed = await raw(`BREW /admin/sync/status HTTP/1.1\r\nHost: localhost\r\n${auth}Connection: close\r\n\r\n`);
    expect(parsed.status).toBe(400);
    const routed = await raw(`PATCH /admin/sync/status HTTP/1.1\r\nHost: localhost\r\n${auth}Connection: close\r\n\r\n`);
    expect(routed.status).toBe(405);
    await expectStillServing();
  });

  test('a well-formed request with an encoded path parameter still reaches its route', async () => {
    const created = await local.admin('PUT', '/admin/users/gw%2Dencoded', { name: 'Encoded' });
    expect(created.status).toBeLessThan(300);
    const read = await local.admin('GET', '/admin/users/gw-encoded');
    expect(read.status).toBe(200);
  });
});
