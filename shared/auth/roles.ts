/**
 * Who may call what. People sign in to the operators' user pool and get their role from its groups; scripts use
 * the client-credentials grant and get theirs from the resource server's scopes. A viewer reads; an admin also
 * changes things.
 */

export const OPERATOR_GROUPS = ['admins', 'viewers'] as const;
export type OperatorGroup = (typeof OPERATOR_GROUPS)[number];

/** The resource server's identifier and its scopes, as a client-credentials token carries them. */
export const RESOURCE_SERVER = 'admin';
export const OPERATOR_SCOPES = ['admin/read', 'admin/write'] as const;
export type OperatorScope = (typeof OPERATOR_SCOPES)[number];

export type Role = 'viewer' | 'admin';

/** What grants each role: a group for a person, a scope for a script. An admin may also do all a viewer may. */
export const ROLE_GRANTS: Record<Role, { groups: readonly OperatorGroup[]; scopes: readonly OperatorScope[] }> = {
  viewer: { groups: ['viewers', 'admins'], scopes: ['admin/read', 'admin/write'] },
  admin: { groups: ['admins'], scopes: ['admin/write'] },
};

export type Principal =
  | { kind: 'user'; userId: string; username: string; email?: string; groups: string[]; clientId?: string }
  | { kind: 'client'; clientId: string; scopes: string[] };

/**
 * API Gateway's HTTP API hands JWT claims to the function flattened to strings: a list claim such as
 * `cognito:groups` arrives as `[admins viewers]`. Both that form and a real array are read here.
 */
function listClaim(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value !== 'string') return [];
  const inner = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  return inner.split(/[\s,]+/).filter(Boolean);
}

const text = (value: unknown) => (typeof value === 'string' && value.length > 0 ? value : undefined);

/** The caller named by a verified access token's claims; undefined when the claims name nobody. */
export function principalFromClaims(claims: Record<string, unknown> | undefined): Principal | undefined {
  // API Gateway's JWT authorizer accepts an ID token whose audience is an accepted client: only access tokens name a caller here.
  if (claims?.token_use !== 'access') return undefined;
  const sub = text(claims.sub);
  const clientId = text(claims.client_id);
  const username = text(claims.username) ?? text(claims['cognito:username']);
  // A client-credentials token names the app client as its subject and has no user.
  if (clientId && (!username || sub === clientId)) return { kind: 'client', clientId, scopes: listClaim(claims.scope) };
  if (!sub) return undefined;
  const email = text(claims.email);
  return {
    kind: 'user',
    userId: sub,
    username: username ?? sub,
    groups: listClaim(claims['cognito:groups']),
    clientId,
    ...(email ? { email } : {}),
  };
}

export function hasRole(principal: Principal, role: Role): boolean {
  const grants = ROLE_GRANTS[role];
  if (principal.kind === 'user') return principal.groups.some((g) => (grants.groups as readonly string[]).includes(g));
  return principal.scopes.some((s) => (grants.scopes as readonly string[]).includes(s));
}

/** Why a caller without the role is refused, naming what would grant it. */
export function roleNeeded(role: Role): string {
  const grants = ROLE_GRANTS[role];
  return `this route needs the ${role} role: membership of the ${grants.groups.join(' or ')} group, or a token with the ${grants.scopes.join(' or ')} scope`;
}

/** A short name of the caller for the audit trail and logs. */
export function actorOf(principal: Principal): { actorId: string; actorName: string; actorKind: Principal['kind'] } {
  if (principal.kind === 'client') return { actorId: principal.clientId, actorName: `client ${principal.clientId}`, actorKind: 'client' };
  return { actorId: principal.userId, actorName: principal.email ?? principal.username, actorKind: 'user' };
}
