import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createAccessTokenVerifier } from '../../local/access-tokens';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
let server: Server;
let issuer: string;
let verify: ReturnType<typeof createAccessTokenVerifier>;

beforeAll(async () => {
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'key-1', alg: 'RS256', use: 'sig' };
  server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}/local_pool`;
  verify = createAccessTokenVerifier({ issuer, jwksUri: `${issuer}/.well-known/jwks.json`, clientIds: ['console', 'ops'] });
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

function token(claims: Record<string, unknown> = {}, options: { key?: KeyObject; header?: Record<string, unknown> } = {}) {
  const header = options.header ?? { alg: 'RS256', kid: 'key-1', typ: 'JWT' };
  const payload = {
    sub: 'sub-1',
    username: 'sub-1',
    client_id: 'console',
    token_use: 'access',
    iss: issuer,
    iat: now(),
    exp: now() + 600,
    ...claims,
  };
  const unsigned = `${b64(header)}.${b64(payload)}`;
  return `${unsigned}.${sign('RSA-SHA256', Buffer.from(unsigned), options.key ?? privateKey).toString('base64url')}`;
}

describe("the local gateway's token check, as API Gateway's JWT authorizer", () => {
  test('a current access token of an accepted app client passes with its claims', async () => {
    expect(await verify(token({ 'cognito:groups': ['admins'] }))).toMatchObject({
      ok: true,
      claims: { sub: 'sub-1', 'cognito:groups': ['admins'] },
    });
    expect(await verify(token({ client_id: 'ops', sub: 'ops', username: undefined, scope: 'admin/read' }))).toMatchObject({ ok: true });
  });

  test.each([
    ['expired', () => token({ exp: now() - 60 })],
    ['not yet valid', () => token({ nbf: now() + 600 })],
    ['of another issuer', () => token({ iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other' })],
    ['of another app client', () => token({ client_id: 'someone-else' })],
    ['an ID token', () => token({ token_use: 'id', aud: 'console' })],
    ['signed by another key', () => token({}, { key: other.privateKey })],
    ['naming a key the issuer does not have', () => token({}, { header: { alg: 'RS256', kid: 'key-2', typ: 'JWT' } })],
    [
      'with a tampered payload',
      () => {
        const [header, , signature] = token().split('.');
        return `${header}.${b64({ sub: 'sub-1', client_id: 'console', token_use: 'access', iss: issuer, exp: now() + 600, 'cognito:groups': ['admins'] })}.${signature}`;
      },
    ],
    ['with a tampered signature', () => `${token().slice(0, -4)}AAAA`],
    ["with alg 'none'", () => `${b64({ alg: 'none', typ: 'JWT' })}.${token().split('.')[1]}.`],
    [
      "with alg 'HS256' keyed by the public key",
      () => {
        const unsigned = `${b64({ alg: 'HS256', kid: 'key-1', typ: 'JWT' })}.${token().split('.')[1]}`;
        return `${unsigned}.${Buffer.from('forged').toString('base64url')}`;
      },
    ],
    ['not a JWT at all', () => 'not-a-token'],
  ])('a token %s is refused', async (_name, make) => {
    expect(await verify(make())).toMatchObject({ ok: false, reason: expect.any(String) });
  });
});
