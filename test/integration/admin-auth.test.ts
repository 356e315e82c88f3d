import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LocalStackClient } from '../../local/local-client';
import { ADMIN_API, adminRoute } from '../../shared/topology';

let local: LocalStackClient;
const tokens: Record<'admin' | 'viewer' | 'script' | 'readScript', string> = { admin: '', viewer: '', script: '', readScript: '' };

async function clientToken(scope: string) {
  const { endpoint, opsClientId, opsClientSecret } = local.endpoints.cognito;
  const res = await fetch(`${endpoint}/oauth2/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${opsClientId}:${opsClientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

const subOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sub: string }).sub;

beforeAll(async () => {
  local = LocalStackClient.fromEnv();
  tokens.admin = local.endpoints.adminToken;
  tokens.viewer = local.endpoints.viewerToken;
  tokens.script = await clientToken('admin/read admin/write');
  tokens.readScript = await clientToken('admin/read');
});
afterAll(async () => {
  await local.admin('POST', '/admin/sync/start');
  local.destroy();
});

/** The documented operations with their `x-role`. */
function documentedOperations(): { route: string; role: string }[] {
  const spec = readFileSync(path.join(__dirname, '..', '..', 'docs', 'openapi.yaml'), 'utf8');
  const operations: { route: string; role: string }[] = [];
  for (const block of spec.split(/\n {2}(?=\/admin)/).slice(1)) {
    const route = block.slice(0, block.indexOf(':'));
    for (const [, method, role] of block.matchAll(/\n {4}(get|put|post|delete):\n {6}x-role: (\w+)/g))
      operations.push({ route: `${method!.toUpperCase()} ${route}`, role: role! });
  }
  return operations;
}

/** A request for a route that reaches its use case but changes nothing: made-up ids, and bodies that fail validation. */
function harmlessCall(routeKey: string): [string, string, unknown] {
  const [method, template] = routeKey.split(' ') as [string, string];
  const url = template
    .replace('{failureId}', '0'.repeat(32))
    .replace('{cardId}', '0'.repeat(16))
    .replace(/\{\w+\}/g, 'auth-nobody');
  const body = method === 'GET' || method === 'DELETE' ? undefined : { points: 'not a number', userId: 42, queue: 'none', reason: '' };
  return [method, url, body];
}

const callAs = async (who: keyof typeof tokens | null, routeKey: string) => {
  const [method, url, body] = harmlessCall(routeKey);
  // Sync start and stop do change state; they are called with their real (empty) body and restored after.
  const sendBody = routeKey.startsWith('POST /admin/sync/') || routeKey === 'POST /admin/import' ? undefined : body;
  return local.admin(method, url, sendBody, { token: who === null ? null : tokens[who] });
};

describe('sign-in and roles on the local stack', () => {
  test('every documented operation: 401 without a token, 403 for a role it lacks, served for one it has', async () => {
    const operations = documentedOperations();
    expect(operations.map((o) => o.route).sort()).toEqual(ADMIN_API.map((r) => r.route).sort());
    for (const { route, role } of operations) {
      expect([route, role]).toEqual([route, adminRoute(route)!.role]);
      expect([route, (await callAs(null, route)).status]).toEqual([route, 401]);
      const viewer = await callAs('viewer', route);
      const readScript = await callAs('readScript', route);
      if (role === 'admin') {
        expect([route, viewer.status]).toEqual([route, 403]);
        expect(viewer.body.message).toContain('admins group');
        expect([route, readScript.status]).toEqual([route, 403]);
      } else {
        expect([route, viewer.status]).not.toEqual([route, 403]);
        expect([route, readScript.status]).not.toEqual([route, 403]);
      }
      for (const who of ['admin', 'script'] as const) {
        const served = await callAs(who, route);
        expect([route, who, served.status === 401 || served.status === 403 || served.status >= 500]).toEqual([route, who, false]);
      }
    }
    await local.admin('POST', '/admin/sync/start');
  });

  test("a viewer's sync stop is 403 and changes nothing", async () => {
    await local.admin('POST', '/admin/sync/start');
    const before = await local.admin('GET', '/admin/sync/status', undefined, { token: tokens.viewer });
    expect(before.body.state).toBe('running');
    const refused = await local.admin('POST', '/admin/sync/stop', undefined, { token: tokens.viewer });
    expect(refused).toMatchObject({ status: 403, body: { message: expect.stringContaining('admin role') } });
    const after = await local.admin('GET', '/admin/sync/status', undefined, { token: tokens.viewer });
    expect(after.body.state).toBe('running');
    expect(after.body.sources).toEqual(before.body.sources);
  });

  test('tokens the authorizer must refuse: an ID token, an altered one, one for another pool', async () => {
    const [header, payload, signature] = tokens.admin.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const altered = `${header}.${Buffer.from(JSON.stringify({ ...claims, 'cognito:groups': ['admins'], sub: 'someone-else' })).toString('base64url')}.${signature}`;
    const otherPool = `${header}.${Buffer.from(JSON.stringify({ ...claims, iss: `${claims.iss}x` })).toString('base64url')}.${signature}`;
    const admin = local.endpoints.operators.find((o) => o.group === 'admins')!;
    const signIn = await fetch(local.endpoints.cognito.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth' },
      body: JSON.stringify({
        ClientId: local.endpoints.cognito.consoleClientId,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: admin.email, PASSWORD: admin.password },
      }),
    });
    const { AuthenticationResult } = (await signIn.json()) as { AuthenticationResult: { IdToken: string; AccessToken: string } };
    expect((await local.admin('GET', '/admin/sync/status', undefined, { token: AuthenticationResult.AccessToken })).status).toBe(200);
    for (const token of [AuthenticationResult.IdToken, altered, otherPool, `${header}.${payload}.`, 'x'.repeat(10_000)])
      expect((await local.admin('GET', '/admin/sync/status', undefined, { token })).status).toBe(401);
  });
});

describe('the audit trail on the local stack', () => {
  test('every change is audited with its actor, refused attempts too; the trail cannot be altered through the API', async () => {
    const adminSub = subOf(tokens.admin);
    const viewerSub = subOf(tokens.viewer);
    const changes = ADMIN_API.filter((r) => r.audit === 'always' && r.role === 'admin').map((r) => r.route);
    for (const route of changes) {
      await callAs('admin', route);
      await callAs('viewer', route);
      await callAs('script', route);
    }
    await local.admin('POST', '/admin/sync/start');
    const entries = async (actor: string) => {
      const all: Record<string, any>[] = [];
      let cursor: string | undefined;
      do {
        const page = await local.admin(
          'GET',
          `/admin/audit?actor=${encodeURIComponent(actor)}&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        expect(page.status).toBe(200);
        all.push(...page.body.items);
        cursor = page.body.nextCursor;
      } while (cursor);
      return all;
    };
    const byAdmin = await entries(adminSub);
    const byViewer = await entries(viewerSub);
    const byScript = await entries(local.endpoints.cognito.opsClientId);
    for (const route of changes) {
      expect([
        route,
        byAdmin.some(
          (e) =>
            (e.action === route && e.actorName === 'admin@hivis.local' && e.outcome !== 'refused') ||
            (e.action === route && e.status < 500),
        ),
      ]).toEqual([route, true]);
      expect([
        route,
        byViewer.some((e) => e.action === route && e.status === 403 && e.outcome === 'refused' && e.actorName === 'viewer@hivis.local'),
      ]).toEqual([route, true]);
      expect([route, byScript.some((e) => e.action === route && e.actorKind === 'client')]).toEqual([route, true]);
    }
    expect(byAdmin.every((e) => typeof e.requestId === 'string' && e.requestId.length > 0 && typeof e.target === 'string')).toBe(true);

    const trail = JSON.stringify(await entries(adminSub));
    for (const method of ['PUT', 'POST', 'DELETE', 'PATCH'])
      expect([method, (await local.admin(method, '/admin/audit', {})).status]).toEqual([method, 405]);
    expect((await local.admin('DELETE', `/admin/audit/${byAdmin[0]!.auditId}`)).status).toBe(404);
    expect(JSON.stringify(await entries(adminSub))).toBe(trail);
    // Viewers may not read the trail.
    expect((await local.admin('GET', '/admin/audit', undefined, { token: tokens.viewer })).status).toBe(403);
  });

  test('reversals and adjustments show who made them', async () => {
    await local.admin('PUT', '/admin/users/audit-ann', { name: 'Ann' });
    const adjusted = await local.admin('POST', '/admin/users/audit-ann/adjustments', {
      points: 25,
      reason: 'goodwill',
      idempotencyKey: 'audit-ann-1',
    });
    expect(adjusted).toMatchObject({ status: 201, body: { adjustment: { madeBy: 'admin@hivis.local', madeById: subOf(tokens.admin) } } });
    const audit = await local.admin('GET', '/admin/audit?target=customer:audit-ann');
    expect(audit.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'POST /admin/users/{userId}/adjustments',
          detail: '25 points: goodwill',
          actorName: 'admin@hivis.local',
        }),
        expect.objectContaining({ action: 'PUT /admin/users/{userId}', outcome: 'succeeded' }),
      ]),
    );
  });
});
