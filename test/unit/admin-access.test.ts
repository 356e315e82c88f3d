import fc from 'fast-check';
import { serveAdminRequest } from '../../shared/admin/http';
import { ROUTES } from '../../shared/admin/routes';
import { hasRole, principalFromClaims, roleNeeded } from '../../shared/auth/roles';
import { ADMIN_API, adminRoute } from '../../shared/topology';
import { memoryAdmin } from '../support/admin-fakes';
import { authorizedContext, OPERATOR_CLAIMS } from '../support/lambda-events';

/** A call of a route as the JWT authorizer passes it: the path's parameters filled with well-formed ids. */
function call(routeKey: string, claims: Record<string, string> | undefined) {
  const [, route] = routeKey.split(' ') as [string, string];
  const pathParameters: Record<string, string> = {};
  for (const [, name] of route.matchAll(/\{(\w+)\}/g))
    pathParameters[name!] = name === 'failureId' ? 'f'.repeat(32) : name === 'cardId' ? 'c'.repeat(16) : 'x-1';
  return {
    version: '2.0',
    routeKey,
    rawPath: route,
    rawQueryString: '',
    headers: {},
    pathParameters,
    isBase64Encoded: false,
    requestContext: claims ? authorizedContext(claims) : ({ requestId: 'req-none' } as never),
  } as Parameters<typeof serveAdminRequest>[1];
}

const statusOf = async (routeKey: string, claims: Record<string, string> | undefined, app = memoryAdmin().app) => {
  try {
    return (await serveAdminRequest(ROUTES[routeKey]!, call(routeKey, claims), app)).status;
  } catch (err) {
    return (err as { status?: number }).status ?? 500;
  }
};

describe('who may call which route, decided once from the route table', () => {
  test('every route has a role: reads for viewers; the audit trail, customer exports and every change for admins', () => {
    for (const { route, role } of ADMIN_API) {
      const adminReads = ['GET /admin/audit', 'GET /admin/users/{userId}/export'];
      const expected = route.startsWith('GET ') && !adminReads.includes(route) ? 'viewer' : 'admin';
      expect([route, role]).toEqual([route, expected]);
    }
  });

  test.each(ADMIN_API.map((r) => [r.route, r.role]))('%s (%s): a viewer, an admin and scripts by scope', async (routeKey, role) => {
    const { app, audit } = memoryAdmin();
    const forbidden = await statusOf(routeKey, OPERATOR_CLAIMS.viewer, app);
    if (role === 'viewer') expect(forbidden).not.toBe(403);
    else expect(forbidden).toBe(403);
    expect(await statusOf(routeKey, OPERATOR_CLAIMS.admin)).not.toBe(403);
    expect(await statusOf(routeKey, OPERATOR_CLAIMS.script)).not.toBe(403);
    const readOnly = await statusOf(routeKey, OPERATOR_CLAIMS.readScript);
    expect(role === 'viewer' ? readOnly !== 403 : readOnly === 403).toBe(true);
    expect(await statusOf(routeKey, undefined)).toBe(401);
    // A refused change is audited too, with who tried.
    if (adminRoute(routeKey)?.audit === 'always' && role === 'admin')
      expect(audit.entries).toEqual([
        expect.objectContaining({ actorId: 'sub-viewer', outcome: 'refused', status: 403, action: routeKey }),
      ]);
  });

  test('a 403 names the role and what grants it', async () => {
    const { app, sync } = memoryAdmin();
    sync.states.set('files', 'running');
    await expect(
      serveAdminRequest(ROUTES['POST /admin/sync/stop']!, call('POST /admin/sync/stop', OPERATOR_CLAIMS.viewer), app),
    ).rejects.toMatchObject({
      status: 403,
      message: `forbidden: ${roleNeeded('admin')}`,
    });
    expect(roleNeeded('admin')).toContain('admins group');
    expect(roleNeeded('admin')).toContain('admin/write scope');
    expect(sync.states.get('files')).toBe('running');
  });

  test("a person's role comes from their groups only, never from scopes their token may carry", () => {
    const person = principalFromClaims({ ...OPERATOR_CLAIMS.viewer, scope: 'admin/write openid' })!;
    expect(hasRole(person, 'viewer')).toBe(true);
    expect(hasRole(person, 'admin')).toBe(false);
  });

  test('groups arrive as API Gateway flattens them, or as a list; no group or scope is no role', () => {
    fc.assert(
      fc.property(fc.subarray(['admins', 'viewers', 'other']), fc.boolean(), (groups, flattened) => {
        const claims = {
          sub: 's',
          username: 's',
          client_id: 'c',
          token_use: 'access',
          'cognito:groups': flattened ? `[${groups.join(' ')}]` : groups,
        };
        const principal = principalFromClaims(claims)!;
        expect(hasRole(principal, 'admin')).toBe(groups.includes('admins'));
        expect(hasRole(principal, 'viewer')).toBe(groups.includes('admins') || groups.includes('viewers'));
      }),
    );
    expect(principalFromClaims(undefined)).toBeUndefined();
    expect(principalFromClaims({ token_use: 'access' })).toBeUndefined();
    expect(principalFromClaims({ ...OPERATOR_CLAIMS.admin, token_use: 'id' })).toBeUndefined();
  });
});

describe('the audit trail of a call', () => {
  test('a change is written with its caller (email from the user pool), target, outcome and request id', async () => {
    const { app, audit, operators } = memoryAdmin();
    operators.emails.set('sub-admin', 'admin@hivis.local');
    await serveAdminRequest(ROUTES['POST /admin/sync/stop']!, call('POST /admin/sync/stop', OPERATOR_CLAIMS.admin), app);
    expect(audit.entries).toEqual([
      expect.objectContaining({
        actorId: 'sub-admin',
        actorName: 'admin@hivis.local',
        actorKind: 'user',
        action: 'POST /admin/sync/stop',
        target: 'sync',
        outcome: 'succeeded',
        status: 200,
        requestId: 'req-test',
      }),
    ]);
  });

  test('reads of one customer are written; other reads are not', async () => {
    const { app, audit } = memoryAdmin();
    await statusOf('GET /admin/users/{userId}', OPERATOR_CLAIMS.viewer, app);
    await statusOf('GET /admin/failures', OPERATOR_CLAIMS.viewer, app);
    await statusOf('GET /admin/sync/status', OPERATOR_CLAIMS.viewer, app);
    expect(audit.entries.map((e) => [e.action, e.target])).toEqual([['GET /admin/users/{userId}', 'customer:x-1']]);
  });

  test('an audit write that fails does not undo or fail the call: the entry is reported instead', async () => {
    const { app, audit, auditFailures } = memoryAdmin();
    audit.failing = true;
    expect(await statusOf('POST /admin/sync/stop', OPERATOR_CLAIMS.script, app)).toBe(200);
    expect(auditFailures).toEqual([
      { err: expect.any(Error), entry: expect.objectContaining({ actorId: 'ops-client', actorKind: 'client' }) },
    ]);
  });
});
