import { randomBytes } from 'node:crypto';
import {
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { LocalStackClient, waitFor } from '../../local/local-client';
import { luhnCard } from '../support/cards';

/** The customers' API on the local stack, with real tokens of the local customers' pool. */

let local: LocalStackClient;
let cognito: CognitoIdentityProviderClient;
const run = randomBytes(4).toString('hex');
const alice = `cust-it-alice-${run}`;
const bob = `cust-it-bob-${run}`;
const tokens: Record<'alice' | 'bob' | 'noAccount', string> = { alice: '', bob: '', noAccount: '' };

async function customerToken(username: string): Promise<string> {
  const { userPoolId, appClientId } = local.endpoints.customerPool;
  const password = `Cu-${randomBytes(9).toString('base64url')}7a!`;
  await cognito.send(
    new AdminCreateUserCommand({
      UserPoolId: userPoolId,
      Username: username,
      UserAttributes: [{ Name: 'email', Value: `${username}@customers.hivis.local` }],
      MessageAction: 'SUPPRESS',
    }),
  );
  await cognito.send(new AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username: username, Password: password, Permanent: true }));
  const out = await cognito.send(
    new InitiateAuthCommand({
      ClientId: appClientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: username, PASSWORD: password },
    }),
  );
  return out.AuthenticationResult!.AccessToken!;
}

async function call(path: string, token: string | null, headers: Record<string, string> = {}) {
  const res = await fetch(`${local.endpoints.customerApiUrl}${path}`, {
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, any>) : undefined, text };
}

const sale = (transactionId: string, card: string, amount: number) => ({
  transactionId,
  date: new Date().toISOString(),
  amount,
  cardNumber: card,
  product: 'Large Coffee',
  machineId: 'VEND-IT',
});

beforeAll(async () => {
  local = LocalStackClient.fromEnv();
  cognito = new CognitoIdentityProviderClient({
    endpoint: local.endpoints.cognito.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await local.addCustomer(alice);
  await local.addCustomer(bob);
  [tokens.alice, tokens.bob, tokens.noAccount] = await Promise.all([
    customerToken(alice),
    customerToken(bob),
    customerToken(`cust-it-nobody-${run}`),
  ]);
}, 60_000);

afterAll(() => {
  cognito.destroy();
  local.destroy();
});

describe("the customers' API on the local stack", () => {
  test("a customer's token reads their own standing and history: balance, tier, punch card, rewards, the sales", async () => {
    const card = luhnCard('52', Number.parseInt(run, 16));
    await local.admin('POST', `/admin/users/${alice}/cards`, { cardNumber: card });
    await local.sendMomaBatch([sale(`CUST-IT-${run}-1`, card, 350), sale(`CUST-IT-${run}-2`, card, 1_000)]);
    await waitFor(async () => (await local.customer(alice))?.points === 135, "alice's two sales", 30_000);

    const me = await call('/customer/me', tokens.alice);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      userId: alice,
      points: 135,
      lifetimePoints: 135,
      pendingPoints: 0,
      tier: { name: 'Bronze', next: { name: 'Silver', pointsNeeded: 365 } },
      punchCard: { punches: 2, of: 10 },
      rewards: expect.arrayContaining([expect.objectContaining({ id: 'free-vend', affordable: false, pointsMissing: 165 })]),
    });
    expect(me.headers.get('cache-control')).toBe('no-store');
    expect(me.headers.get('x-content-type-options')).toBe('nosniff');

    const first = await call('/customer/me/history?limit=1', tokens.alice);
    expect(first.status).toBe(200);
    expect(first.body!.items).toEqual([expect.objectContaining({ kind: 'sale', status: 'awarded', reason: 'Purchase' })]);
    const second = await call(`/customer/me/history?limit=1&cursor=${encodeURIComponent(first.body!.nextCursor)}`, tokens.alice);
    expect(second.status).toBe(200);
    const ids = [...first.body!.items, ...second.body!.items].map((m: { transactionId: string }) => m.transactionId).sort();
    expect(ids).toEqual([`CUST-IT-${run}-1`, `CUST-IT-${run}-2`]);
    expect(first.text + second.text).not.toMatch(/hash|source/i);
    expect(first.text + second.text).not.toContain(card);
  }, 60_000);

  test('a tampered cursor, or one given to another customer, is 400', async () => {
    const ofAlice = await call('/customer/me/history?limit=1', tokens.alice);
    const cursor: string = ofAlice.body!.nextCursor;
    expect(cursor).toBeDefined();
    const tampered = `${cursor.slice(0, 10)}${cursor[10] === 'A' ? 'B' : 'A'}${cursor.slice(11)}`;
    for (const [token, sent] of [
      [tokens.alice, tampered],
      [tokens.bob, cursor],
    ] as const) {
      const refused = await call(`/customer/me/history?cursor=${encodeURIComponent(sent)}`, token);
      expect(refused).toMatchObject({ status: 400, body: { message: 'invalid cursor', errors: [{ field: 'query.cursor' }] } });
    }
  });

  test("no token, an operator's token, a client-credentials token, an ID token: 401; a customer's token on the admin API: 401", async () => {
    const { opsClientId, opsClientSecret, endpoint } = local.endpoints.cognito;
    const res = await fetch(`${endpoint}/oauth2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${opsClientId}:${opsClientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'admin/read' }),
    });
    const clientToken = ((await res.json()) as { access_token: string }).access_token;
    const demo = local.endpoints.customerPool.users[0]!;
    const signIn = await cognito.send(
      new InitiateAuthCommand({
        ClientId: local.endpoints.customerPool.appClientId,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: demo.username, PASSWORD: demo.password },
      }),
    );
    for (const token of [
      null,
      local.endpoints.adminToken,
      local.endpoints.viewerToken,
      clientToken,
      signIn.AuthenticationResult!.IdToken!,
    ]) {
      for (const path of ['/customer/me', '/customer/me/history']) expect([path, (await call(path, token)).status]).toEqual([path, 401]);
    }
    expect((await local.admin('GET', `/admin/users/${alice}`, undefined, { token: tokens.alice })).status).toBe(401);
    expect((await call('/customer/me', signIn.AuthenticationResult!.AccessToken!)).status).not.toBe(401);
  });

  test("a query naming another customer is 400; a customer's token only ever answers for that customer", async () => {
    const named = await call(`/customer/me?userId=${bob}`, tokens.alice);
    expect(named).toMatchObject({ status: 400, body: { errors: [{ field: 'query.userId' }] } });
    const ofBob = await call('/customer/me', tokens.bob);
    expect(ofBob).toMatchObject({ status: 200, body: { userId: bob, points: 0 } });
    expect((await call('/customer/me/history', tokens.bob)).body).toEqual({ items: [] });
  });

  test('a signed-in customer without a loyalty account is 404; an erased one is 410', async () => {
    expect(await call('/customer/me', tokens.noAccount)).toMatchObject({
      status: 404,
      body: { message: expect.stringContaining('no loyalty account') },
    });
    const erased = await local.admin('POST', `/admin/users/${bob}/erase`, { reason: 'integration test of the customers API' });
    expect([200, 202]).toContain(erased.status);
    for (const path of ['/customer/me', '/customer/me/history']) expect((await call(path, tokens.bob)).status).toBe(410);
  });
});
