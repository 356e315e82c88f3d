import { request } from 'node:http';
import { LocalStackClient } from '../../local/local-client';

/** How `npm start` serves the console: its files and configuration, its security headers, and the sign-in endpoints it relies on. */
let local: LocalStackClient;

beforeAll(() => {
  local = LocalStackClient.fromEnv();
});
afterAll(() => local.destroy());

/** A raw GET, so a path is sent exactly as written (fetch would normalise `..` away). */
function rawGet(base: string, rawPath: string): Promise<{ status: number; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: rawPath, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the console is served with a strict Content-Security-Policy naming only itself and the sign-in origin', async () => {
  const response = await fetch(`${local.endpoints.consoleUrl}/`);
  expect(response.status).toBe(200);
  expect(await response.text()).toContain('<div id="app">');
  const csp = response.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain(`connect-src 'self' ${local.endpoints.cognito.endpoint}`);
  expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('x-frame-options')).toBe('DENY');
  expect(response.headers.get('referrer-policy')).toBeTruthy();
});

test('the configuration names the local user pool; the admin API shares the origin', async () => {
  const config = await (await fetch(`${local.endpoints.consoleUrl}/console-config.json`)).json();
  expect(config).toEqual({
    environment: 'local',
    auth: {
      authorizeUrl: `${local.endpoints.cognito.endpoint}/oauth2/authorize`,
      tokenUrl: `${local.endpoints.cognito.endpoint}/oauth2/token`,
      logoutUrl: `${local.endpoints.cognito.endpoint}/logout`,
      clientId: local.endpoints.cognito.consoleClientId,
      scopes: 'openid email profile',
    },
  });
  expect(new URL(local.endpoints.consoleUrl).origin).toBe(new URL(local.endpoints.adminApiUrl).origin);
});

test('no path leaves the built files, and a missing asset is a 404, not the page', async () => {
  for (const hostile of [
    '/../package.json',
    '/assets/../../package.json',
    '/%2e%2e/%2e%2e/package.json',
    '/..%2f..%2fpackage.json',
    '/%00',
  ]) {
    const answer = await rawGet(local.endpoints.consoleUrl, hostile);
    expect({ hostile, leaked: answer.body.includes('"devDependencies"') }).toEqual({ hostile, leaked: false });
  }
  expect((await rawGet(local.endpoints.consoleUrl, '/assets/index-missing.js')).status).toBe(404);
  expect((await fetch(`${local.endpoints.consoleUrl}/`, { method: 'POST' })).status).toBe(405);
});

test('the token endpoint answers CORS for the console origin only', async () => {
  const preflight = (origin: string) =>
    fetch(`${local.endpoints.cognito.endpoint}/oauth2/token`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
  const console = await preflight(new URL(local.endpoints.consoleUrl).origin);
  expect(console.status).toBe(204);
  expect(console.headers.get('access-control-allow-origin')).toBe(new URL(local.endpoints.consoleUrl).origin);
  const stranger = await preflight('https://evil.example');
  expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
});

test('sign-out returns only to a registered address', async () => {
  const logout = (uri: string) =>
    fetch(
      `${local.endpoints.cognito.endpoint}/logout?${new URLSearchParams({ client_id: local.endpoints.cognito.consoleClientId, logout_uri: uri })}`,
      { redirect: 'manual' },
    );
  const home = await logout(`${local.endpoints.consoleUrl}/`);
  expect(home.status).toBe(302);
  expect(home.headers.get('location')).toBe(`${local.endpoints.consoleUrl}/`);
  expect((await logout('https://evil.example/')).status).toBe(400);
});
