import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CognitoIdentityProviderClient, InitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider';

const usage = `npm run token [-- --viewer | --client | --customer] [--state-dir .hivis]

Prints a fresh access token for the running local stack:
  (default)   the local admin, signed in with the password from local.json
  --viewer    the local viewer
  --client    the operations-scripts app client (client-credentials grant, scopes admin/read admin/write)
  --customer  the demo customer of the customers' pool (the loyalty app's client), for the customers' API

  curl -H "Authorization: Bearer $(npm run -s token)" <adminApiUrl>/admin/sync/status`;

interface LocalAuth {
  cognito: { endpoint: string; consoleClientId: string; opsClientId: string; opsClientSecret: string };
  operators: { email: string; password: string; group: 'admins' | 'viewers' }[];
  customerPool: { appClientId: string; users: { username: string; password: string }[] };
}

async function main() {
  const { values } = parseArgs({
    options: {
      viewer: { type: 'boolean', default: false },
      client: { type: 'boolean', default: false },
      customer: { type: 'boolean', default: false },
      'state-dir': { type: 'string', default: '.hivis' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const file = path.join(values['state-dir'] ?? '.hivis', 'local.json');
  let local: LocalAuth;
  try {
    local = JSON.parse(readFileSync(file, 'utf8')) as LocalAuth;
  } catch {
    throw new Error(`${file} was not found: start the local stack first (npm start)`);
  }
  if (values.client) {
    const { opsClientId, opsClientSecret, endpoint } = local.cognito;
    const res = await fetch(`${endpoint}/oauth2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${opsClientId}:${opsClientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'admin/read admin/write' }),
    });
    const body = (await res.json()) as { access_token?: string; error?: string };
    if (!body.access_token) throw new Error(`the token endpoint refused: ${body.error ?? res.status}`);
    console.log(body.access_token);
    return;
  }
  const cognito = new CognitoIdentityProviderClient({
    endpoint: local.cognito.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  let signIn: { clientId: string; username: string; password: string };
  if (values.customer) {
    const customer = local.customerPool.users[0];
    if (!customer) throw new Error(`${file} names no local customer`);
    signIn = { clientId: local.customerPool.appClientId, username: customer.username, password: customer.password };
  } else {
    const group = values.viewer ? 'viewers' : 'admins';
    const user = local.operators.find((o) => o.group === group);
    if (!user) throw new Error(`${file} names no local operator in the ${group} group`);
    signIn = { clientId: local.cognito.consoleClientId, username: user.email, password: user.password };
  }
  const out = await cognito.send(
    new InitiateAuthCommand({
      ClientId: signIn.clientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: signIn.username, PASSWORD: signIn.password },
    }),
  );
  cognito.destroy();
  console.log(out.AuthenticationResult?.AccessToken);
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
