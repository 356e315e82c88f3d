import { type ChildProcess, spawn } from 'node:child_process';
import { createPrivateKey, randomBytes, randomUUID, sign, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, request, type ServerResponse } from 'node:http';
import path from 'node:path';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  type CreateUserPoolClientCommandInput,
  CreateUserPoolCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  InitiateAuthCommand,
  UpdateUserPoolClientCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { OPERATOR_GROUPS, OPERATOR_SCOPES, type OperatorGroup } from '../shared/auth/roles';
import { LocalStackError } from './dynamodb-local';
import { freePort, listenOnLoopback } from './servers';
import { writeWholeFile } from './whole-file';

/** What the local pool holds, created on first start and kept in the state folder. */
export interface LocalOperators {
  userPoolId: string;
  /** The console's app client: no secret, user sign-in, refresh tokens. */
  consoleClientId: string;
  /** The operations scripts' app client: a secret and the client-credentials grant with the admin scopes. */
  opsClientId: string;
  opsClientSecret: string;
  users: { email: string; password: string; group: OperatorGroup }[];
}

/** The customers' pool: its username is the loyalty id, as in the cloud; one demo customer to sign in as. */
export interface LocalCustomers {
  userPoolId: string;
  /** The loyalty app's client: no secret, user sign-in, refresh tokens. */
  appClientId: string;
  users: { username: string; email: string; password: string }[];
}

export interface RunningCognito {
  /** The Cognito endpoint (the identity provider API, `/oauth2/token`, the JWKS). */
  endpoint: string;
  /** The `iss` of every token the operators' pool issues. */
  issuer: string;
  jwksUri: string;
  operators: LocalOperators;
  customers: LocalCustomers;
  /** The `iss` of the customers' pool's tokens; the same key signs both pools' tokens locally, as one JWKS serves both. */
  customerIssuer: string;
  customerJwksUri: string;
  /** A fresh access token of a local operator, by sign-in with the password (as the console does). */
  accessTokenOf(group: OperatorGroup): Promise<string>;
  /** A fresh access token of a customer of the customers' pool, signed in with the loyalty app's client. */
  customerAccessTokenOf(username: string, password: string): Promise<string>;
  /**
   * Registers the console served at `consoleUrl` (no trailing slash): `<consoleUrl>/` becomes the console client's
   * sign-in callback and sign-out URL, and the token endpoint answers CORS for its origin.
   */
  registerConsole(consoleUrl: string): Promise<void>;
  stop(): Promise<void>;
}

const ACCESS_TOKEN_MINUTES = 60;
const CLIENT_CREDENTIALS_SECONDS = 3_600;

/** cognito-local signs with the key it ships; the client-credentials grant it lacks is signed here with the same key. */
const signingKey = () => {
  const { jwk } = require('cognito-local/lib/keys/cognitoLocal.private.json') as { jwk: Record<string, string> };
  return createPrivateKey({ key: jwk, format: 'jwk' });
};

/**
 * Cognito, locally: cognito-local (user pools, sign-in, groups in `cognito:groups`, RS256 tokens and a JWKS)
 * behind a small proxy that adds the OAuth client-credentials grant for the operations client, so a script gets a
 * token the same way in both places. The pool, its groups, app clients and two operators are created on first start.
 */
export async function startCognito(options: { stateDir: string; port?: number; log?: (line: string) => void }): Promise<RunningCognito> {
  const dir = path.join(options.stateDir, 'cognito');
  await mkdir(path.join(dir, '.cognito'), { recursive: true });
  const innerPort = await freePort();
  const proxy = createServer();
  const listening = await listenOnLoopback(proxy, options.port ?? 0, 'Cognito');
  const endpoint = listening.url;
  // The issuer is the proxy's address: tokens, the JWKS and the discovery document all name one origin.
  await writeWholeFile(
    path.join(dir, '.cognito', 'config.json'),
    // cognito-local's own default makes every pool's usernames emails: the operators' pool asks for that itself, and the
    // customers' pool keeps loyalty ids as usernames.
    JSON.stringify({ TokenConfig: { IssuerDomain: endpoint }, UserPoolDefaults: { UsernameAttributes: [] } }, null, 2),
  );
  const child = await spawnCognitoLocal(dir, innerPort);
  const inner = `http://127.0.0.1:${innerPort}`;
  const client = new CognitoIdentityProviderClient({
    endpoint: inner,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const operators = await provision(client, path.join(dir, 'operators.json'));
    const customers = await provisionCustomers(client, path.join(dir, 'customers.json'));
    const issuer = `${endpoint}/${operators.userPoolId}`;
    const customerIssuer = `${endpoint}/${customers.userPoolId}`;
    const key = signingKey();
    const consoleOrigins = new Set<string>();
    proxy.on('request', (req, res) => {
      const route = req.url?.split('?')[0];
      if (route === '/oauth2/token') {
        const cors = corsHeaders(req.headers.origin, consoleOrigins);
        if (req.method === 'OPTIONS') return void res.writeHead(cors ? 204 : 403, cors ?? {}).end();
        if (req.method === 'POST') {
          void handleToken(
            req,
            res,
            inner,
            (body) => clientCredentialsToken(body, req.headers.authorization, operators, issuer, key),
            cors ?? {},
          );
          return;
        }
      }
      if (route === '/logout' && req.method === 'GET') return void handleLogout(req, res, client, operators.userPoolId);
      forward(req, res, inner);
    });
    return {
      endpoint,
      issuer,
      jwksUri: `${issuer}/.well-known/jwks.json`,
      operators,
      customers,
      customerIssuer,
      customerJwksUri: `${customerIssuer}/.well-known/jwks.json`,
      async customerAccessTokenOf(username, password) {
        const out = await client.send(
          new InitiateAuthCommand({
            ClientId: customers.appClientId,
            AuthFlow: 'USER_PASSWORD_AUTH',
            AuthParameters: { USERNAME: username, PASSWORD: password },
          }),
        );
        const token = out.AuthenticationResult?.AccessToken;
        if (!token) throw new LocalStackError(`the local Cognito did not sign in the customer ${username}`);
        return token;
      },
      async accessTokenOf(group) {
        const user = operators.users.find((u) => u.group === group);
        if (!user) throw new LocalStackError(`no local operator in the group ${group}`);
        const out = await client.send(
          new InitiateAuthCommand({
            ClientId: operators.consoleClientId,
            AuthFlow: 'USER_PASSWORD_AUTH',
            AuthParameters: { USERNAME: user.email, PASSWORD: user.password },
          }),
        );
        const token = out.AuthenticationResult?.AccessToken;
        if (!token) throw new LocalStackError(`the local Cognito did not sign in ${user.email}`);
        return token;
      },
      async registerConsole(consoleUrl) {
        const callback = `${consoleUrl}/`;
        await client.send(
          new UpdateUserPoolClientCommand({
            ...consoleClientSettings,
            UserPoolId: operators.userPoolId,
            ClientId: operators.consoleClientId,
            CallbackURLs: [callback],
            LogoutURLs: [callback],
            AllowedOAuthFlows: ['code'],
            AllowedOAuthScopes: ['openid', 'email', 'profile'],
            AllowedOAuthFlowsUserPoolClient: true,
            SupportedIdentityProviders: ['COGNITO'],
          }),
        );
        consoleOrigins.add(new URL(consoleUrl).origin);
      },
      async stop() {
        client.destroy();
        await listening.close();
        await stopChild(child);
      },
    };
  } catch (err) {
    client.destroy();
    await listening.close();
    await stopChild(child);
    throw err;
  }
}

async function spawnCognitoLocal(cwd: string, port: number): Promise<ChildProcess> {
  const entry = require.resolve('cognito-local/lib/bin/start.js');
  // The emulator ends when our stdin pipe closes, so it never outlives this process, even after SIGKILL.
  const guard = `process.stdin.on('end', () => process.exit(0)); process.stdin.resume(); require(${JSON.stringify(entry)});`;
  const child = spawn(process.execPath, ['-e', guard], {
    cwd,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', NODE_NO_WARNINGS: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new LocalStackError(`cognito-local exited with code ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      return child;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new LocalStackError(`cognito-local did not answer on port ${port} within 30 s:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.stdin?.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}

/** The console client's settings besides its sign-in URLs (an update of the client states them all again). */
const consoleClientSettings: Pick<
  CreateUserPoolClientCommandInput,
  'ClientName' | 'ExplicitAuthFlows' | 'AccessTokenValidity' | 'IdTokenValidity' | 'TokenValidityUnits'
> = {
  ClientName: 'console',
  ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
  AccessTokenValidity: ACCESS_TOKEN_MINUTES,
  IdTokenValidity: ACCESS_TOKEN_MINUTES,
  TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'days' },
};

const password = () => `Hv-${randomBytes(12).toString('base64url')}9a!`;

/** The pool as the stack defines it (email usernames, the two groups, the two app clients) and one operator per group. */
async function provision(client: CognitoIdentityProviderClient, file: string): Promise<LocalOperators> {
  if (existsSync(file)) {
    const saved = JSON.parse(await readFile(file, 'utf8')) as LocalOperators;
    try {
      await client.send(new DescribeUserPoolCommand({ UserPoolId: saved.userPoolId }));
      await client.send(new DescribeUserPoolClientCommand({ UserPoolId: saved.userPoolId, ClientId: saved.opsClientId }));
      return saved;
    } catch {
      // The emulator's data is gone (a --fresh start): create everything again.
    }
  }
  const pool = await client.send(new CreateUserPoolCommand({ PoolName: 'hi-vis-operators', UsernameAttributes: ['email'] }));
  const userPoolId = pool.UserPool?.Id;
  if (!userPoolId) throw new LocalStackError('the local Cognito created no user pool');
  for (const group of OPERATOR_GROUPS) await client.send(new CreateGroupCommand({ UserPoolId: userPoolId, GroupName: group }));
  const consoleClient = await client.send(new CreateUserPoolClientCommand({ UserPoolId: userPoolId, ...consoleClientSettings }));
  const opsClient = await client.send(
    new CreateUserPoolClientCommand({
      UserPoolId: userPoolId,
      ClientName: 'operations-scripts',
      GenerateSecret: true,
      AllowedOAuthFlows: ['client_credentials'],
      AllowedOAuthScopes: [...OPERATOR_SCOPES],
    }),
  );
  const users: LocalOperators['users'] = [
    { email: 'admin@hivis.local', password: password(), group: 'admins' },
    { email: 'viewer@hivis.local', password: password(), group: 'viewers' },
  ];
  for (const user of users) {
    await createUser(client, userPoolId, { username: user.email, email: user.email, password: user.password });
    await client.send(new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: user.email, GroupName: user.group }));
  }
  const operators: LocalOperators = {
    userPoolId,
    consoleClientId: required(consoleClient.UserPoolClient?.ClientId, 'console client id'),
    opsClientId: required(opsClient.UserPoolClient?.ClientId, 'operations client id'),
    opsClientSecret: required(opsClient.UserPoolClient?.ClientSecret, 'operations client secret'),
    users,
  };
  await writeWholeFile(file, `${JSON.stringify(operators, null, 2)}\n`);
  return operators;
}

/** A user with a verified email and a permanent password, as an administrator creates one (no invitation sent). */
async function createUser(
  client: CognitoIdentityProviderClient,
  userPoolId: string,
  user: { username: string; email: string; password: string },
): Promise<void> {
  await client.send(
    new AdminCreateUserCommand({
      UserPoolId: userPoolId,
      Username: user.username,
      UserAttributes: [
        { Name: 'email', Value: user.email },
        { Name: 'email_verified', Value: 'true' },
      ],
      MessageAction: 'SUPPRESS',
    }),
  );
  await client.send(
    new AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username: user.username, Password: user.password, Permanent: true }),
  );
}

/** The demo customer: the loyalty id `npm run demo` creates the account of. */
const DEMO_CUSTOMER = { username: 'demo-alice', email: 'alice@customers.hivis.local' };

/**
 * The customers' pool as the stack defines it: the loyalty id as the username (email only an alias), no self sign-up,
 * the loyalty app's client (here with password sign-in too, for scripts and tests; SRP only in the cloud), a demo customer.
 */
async function provisionCustomers(client: CognitoIdentityProviderClient, file: string): Promise<LocalCustomers> {
  if (existsSync(file)) {
    const saved = JSON.parse(await readFile(file, 'utf8')) as LocalCustomers;
    try {
      await client.send(new DescribeUserPoolClientCommand({ UserPoolId: saved.userPoolId, ClientId: saved.appClientId }));
      return saved;
    } catch {
      // The emulator's data is gone (a --fresh start): create everything again.
    }
  }
  const pool = await client.send(
    new CreateUserPoolCommand({
      PoolName: 'hi-vis-customers',
      AliasAttributes: ['email'],
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    }),
  );
  const userPoolId = required(pool.UserPool?.Id, 'customer pool id');
  const appClient = await client.send(
    new CreateUserPoolClientCommand({
      UserPoolId: userPoolId,
      ClientName: 'loyalty-app',
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      AccessTokenValidity: ACCESS_TOKEN_MINUTES,
      IdTokenValidity: ACCESS_TOKEN_MINUTES,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'days' },
    }),
  );
  const users: LocalCustomers['users'] = [{ ...DEMO_CUSTOMER, password: password() }];
  for (const user of users) await createUser(client, userPoolId, user);
  const customers: LocalCustomers = {
    userPoolId,
    appClientId: required(appClient.UserPoolClient?.ClientId, 'loyalty app client id'),
    users,
  };
  await writeWholeFile(file, `${JSON.stringify(customers, null, 2)}\n`);
  return customers;
}

function required(value: string | undefined, what: string): string {
  if (!value) throw new LocalStackError(`the local Cognito returned no ${what}`);
  return value;
}

function forward(req: IncomingMessage, res: ServerResponse, inner: string): void {
  const upstream = request(`${inner}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'the local Cognito is not answering' }));
  });
  req.pipe(upstream);
}

const MAX_TOKEN_REQUEST_BYTES = 16 * 1024;

interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** CORS for a registered console origin (the browser exchanges its code and refreshes at the token endpoint); none for any other. */
function corsHeaders(origin: string | undefined, allowed: ReadonlySet<string>): Record<string, string> | undefined {
  if (!origin || !allowed.has(origin)) return undefined;
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': 'POST, OPTIONS',
    'access-control-allow-headers': 'content-type, authorization',
    'access-control-max-age': '600',
    vary: 'Origin',
  };
}

/** Cognito's sign-out endpoint: back to `logout_uri` only when it is one of the client's sign-out URLs. */
async function handleLogout(
  req: IncomingMessage,
  res: ServerResponse,
  client: CognitoIdentityProviderClient,
  userPoolId: string,
): Promise<void> {
  const query = new URL(req.url ?? '/', 'http://local').searchParams;
  const clientId = query.get('client_id') ?? '';
  const logoutUri = query.get('logout_uri') ?? '';
  const refuse = (description: string) =>
    void res
      .writeHead(400, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      .end(JSON.stringify({ error: 'invalid_request', error_description: description }));
  if (!clientId || !logoutUri) return refuse('client_id and logout_uri are required');
  const described = await client
    .send(new DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: clientId }))
    .catch(() => undefined);
  if (!described?.UserPoolClient) return refuse('Invalid client_id');
  if (!(described.UserPoolClient.LogoutURLs ?? []).includes(logoutUri)) return refuse('logout_uri not registered for this client');
  res.writeHead(302, { location: logoutUri, 'cache-control': 'no-store' }).end();
}

/** The token endpoint: the client-credentials grant answered here, every other grant by cognito-local. */
async function handleToken(
  req: IncomingMessage,
  res: ServerResponse,
  inner: string,
  grant: (body: URLSearchParams) => TokenAnswer,
  cors: Record<string, string>,
) {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_TOKEN_REQUEST_BYTES) {
      res.writeHead(413, { 'content-type': 'application/json', ...cors }).end(JSON.stringify({ error: 'invalid_request' }));
      return;
    }
    chunks.push(chunk);
  }
  const raw = Buffer.concat(chunks);
  const body = new URLSearchParams(raw.toString('utf8'));
  if (body.get('grant_type') !== 'client_credentials') {
    const upstream = request(
      `${inner}/oauth2/token`,
      { method: 'POST', headers: { ...req.headers, 'content-length': raw.length } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, { ...withoutCors(answer.headers), ...cors });
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502, cors).end());
    upstream.end(raw);
    return;
  }
  const answer = grant(body);
  res
    .writeHead(answer.status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...cors })
    .end(JSON.stringify(answer.body));
}

/** cognito-local answers CORS for any origin; the proxy states its own. */
function withoutCors(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith('access-control-')));
}

const sameSecret = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Cognito's client-credentials grant: the client authenticates with its secret and gets an access token with the scopes it may have. */
export function clientCredentialsToken(
  body: URLSearchParams,
  authorization: string | undefined,
  operators: Pick<LocalOperators, 'opsClientId' | 'opsClientSecret'>,
  issuer: string,
  key: ReturnType<typeof createPrivateKey>,
  now = Date.now(),
): TokenAnswer {
  let clientId = body.get('client_id') ?? '';
  let secret = body.get('client_secret') ?? '';
  const basic = /^Basic\s+(\S+)$/i.exec(authorization ?? '');
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    clientId = decodeURIComponent(decoded.slice(0, colon));
    secret = decodeURIComponent(decoded.slice(colon + 1));
  }
  if (clientId !== operators.opsClientId || !sameSecret(secret, operators.opsClientSecret))
    return { status: 400, body: { error: 'invalid_client' } };
  const requested = (body.get('scope') ?? OPERATOR_SCOPES.join(' ')).split(/\s+/).filter(Boolean);
  if (requested.length === 0 || requested.some((s) => !(OPERATOR_SCOPES as readonly string[]).includes(s)))
    return { status: 400, body: { error: 'invalid_scope' } };
  const iat = Math.floor(now / 1000);
  const claims = {
    sub: clientId,
    token_use: 'access',
    scope: requested.join(' '),
    auth_time: iat,
    iss: issuer,
    exp: iat + CLIENT_CREDENTIALS_SECONDS,
    iat,
    version: 2,
    jti: randomUUID(),
    client_id: clientId,
  };
  const unsigned = `${base64url({ alg: 'RS256', kid: 'CognitoLocal', typ: 'JWT' })}.${base64url(claims)}`;
  const signature = sign('RSA-SHA256', Buffer.from(unsigned), key).toString('base64url');
  return {
    status: 200,
    body: { access_token: `${unsigned}.${signature}`, token_type: 'Bearer', expires_in: CLIENT_CREDENTIALS_SECONDS },
  };
}
