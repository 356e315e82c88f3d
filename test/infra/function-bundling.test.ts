import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { functionBundleAliasArgs, functionBundleAliases } from '../../infra/function-bundling';
import { startAwsServer, verifySigV4 } from '../support/aws-http-server';

const ROOT = path.join(__dirname, '..', '..');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'hivis-bundling-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Bundles an entry as the stack does (esbuild, minified, the SDK included) with the functions' aliases. */
async function bundle(name: string, source: string) {
  const entry = path.join(dir, `${name}.ts`);
  writeFileSync(entry, source);
  const outfile = path.join(dir, `${name}.js`);
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    mainFields: ['module', 'main'],
    outfile,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: ROOT,
    nodePaths: [path.join(ROOT, 'node_modules')],
    alias: functionBundleAliases(),
  });
  return { outfile, inputs: Object.keys(result.metafile.inputs) };
}

describe('the functions’ bundles', () => {
  test('leave the SDK’s credential chain out: only the environment provider is bundled', async () => {
    const { inputs } = await bundle(
      'chain',
      `import { documentClient } from ${JSON.stringify(path.join(ROOT, 'shared/adapters/clients/dynamodb'))};\nexport { documentClient };`,
    );
    expect(inputs.some((p) => p.includes('@aws-sdk/client-dynamodb/'))).toBe(true);
    expect(inputs.some((p) => p.includes('@aws-sdk/credential-provider-env/'))).toBe(true);
    for (const dropped of [
      'credential-provider-node',
      'credential-provider-ini',
      'credential-provider-sso',
      'nested-clients',
      'credential-provider-imds',
    ])
      expect(inputs.filter((p) => p.includes(dropped))).toEqual([]);
  });

  test('a bundled SDK client signs with the credentials Lambda puts in the environment, and fails clearly without them', async () => {
    const server = await startAwsServer();
    server.always((_req, res) => res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}'));
    try {
      const { outfile } = await bundle(
        'signed',
        `import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from ${JSON.stringify(path.join(ROOT, 'shared/adapters/clients/dynamodb'))};
documentClient.send(new GetCommand({ TableName: 't', Key: { PK: 'a', SK: 'b' } })).then(
  () => process.stdout.write('ok'),
  (e) => process.stdout.write(e.name),
);`,
      );
      const env = {
        PATH: process.env.PATH,
        AWS_REGION: 'eu-west-1',
        AWS_ENDPOINT_URL_DYNAMODB: server.endpoint,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        // A profile the full chain would read, were it bundled: it must not be.
        AWS_PROFILE: 'does-not-exist',
      };
      // Not spawnSync: the server answering the bundle runs in this process.
      const run = (extra: Record<string, string>) =>
        new Promise<string>((resolve) =>
          execFile(
            process.execPath,
            [outfile],
            { env: { ...env, ...extra }, encoding: 'utf8', timeout: 20_000, cwd: dir },
            (_err, stdout) => resolve(stdout),
          ),
        );

      expect(
        await run({ AWS_ACCESS_KEY_ID: 'AKIDLAMBDA', AWS_SECRET_ACCESS_KEY: 'lambda-secret', AWS_SESSION_TOKEN: 'lambda-token' }),
      ).toBe('ok');
      const [req] = server.requests;
      expect(req!.headers['x-amz-security-token']).toBe('lambda-token');
      expect(verifySigV4(req!, 'lambda-secret', { doubleEscapePath: true })).toMatchObject({ valid: true, accessKeyId: 'AKIDLAMBDA' });

      expect(await run({})).toBe('CredentialsProviderError');
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.close();
    }
  }, 60_000);

  test('the stack passes the same aliases to esbuild, as paths from the repository root', () => {
    expect(functionBundleAliasArgs()).toEqual({
      '--alias': ['@aws-sdk/credential-provider-node=./shared/adapters/clients/lambda-credentials.ts'],
    });
  });
});
