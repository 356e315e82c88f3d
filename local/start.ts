import './sdk-notice';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LocalStackError } from './dynamodb-local';
import type { FaultOptions } from './fault-proxy';
import { type LocalStack, startLocalStack } from './local-stack';

const USAGE = `npm start [-- options]

  --fresh              start with empty data (deletes .hivis/data)
  --state-dir DIR      where data (the operators' sign-in included) and the pepper live (default .hivis)
  --dynamodb-port N  --s3-port N  --sqs-port N  --api-port N  --customer-api-port N  --control-port N  --cognito-port N
                       (default: free ports)
  --customer-app-origin URL   a loyalty web app's origin the customers' API answers CORS for (repeatable)
  --quiet              print only the banner and errors
  --inject-faults RATE testing: give this share (0 to 1) of the functions' DynamoDB requests a transient fault
  --fault-seed N       with --inject-faults: replay a run's faults`;

async function main() {
  const { values } = parseArgs({
    options: {
      fresh: { type: 'boolean', default: false },
      'state-dir': { type: 'string', default: '.hivis' },
      'dynamodb-port': { type: 'string' },
      's3-port': { type: 'string' },
      'sqs-port': { type: 'string' },
      'api-port': { type: 'string' },
      'customer-api-port': { type: 'string' },
      'customer-app-origin': { type: 'string', multiple: true },
      'control-port': { type: 'string' },
      'cognito-port': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      'inject-faults': { type: 'string' },
      'fault-seed': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  if (values.quiet) process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  const port = (name: string) => {
    const raw = values[name as keyof typeof values] as string | undefined;
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 65_535) throw new LocalStackError(`--${name} must be a port number, not "${raw}"`);
    return n;
  };

  const faults = faultOptions(values['inject-faults'], values['fault-seed']);
  const started = Date.now();
  const stack: LocalStack = await startLocalStack({
    stateDir: values['state-dir']!,
    fresh: values.fresh,
    ports: {
      dynamodb: port('dynamodb-port'),
      s3: port('s3-port'),
      sqs: port('sqs-port'),
      api: port('api-port'),
      customerApi: port('customer-api-port'),
      control: port('control-port'),
      cognito: port('cognito-port'),
    },
    log: (line) => console.error(`[local] ${line}`),
    faults,
    customerAppOrigins: values['customer-app-origin'],
  });
  const e = stack.endpoints;
  const stateFile = path.join(values['state-dir']!, 'local.json');
  console.log(`
Hi-Vis Loyalty is running locally (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)

  console          ${e.consoleUrl}   sign in as ${e.operators.map((o) => `${o.email} (${o.group})`).join(' or ')}
  admin API        ${e.adminApiUrl}   (Authorization: Bearer <access token>: \`npm run -s token\`)
  Cognito (local)  ${e.cognito.endpoint}   user pool ${e.cognito.userPoolId}
${e.operators.map((o) => `  sign in as       ${o.email.padEnd(20)} password ${o.password}   (${o.group})`).join('\n')}
  scripts          client ${e.cognito.opsClientId}, secret in ${stateFile} (\`npm run -s token -- --client\`)
  customer API     ${e.customerApiUrl}   (a customer's access token: \`npm run -s token -- --customer\`)
${e.customerPool.users.map((c) => `  customer         ${c.username.padEnd(20)} password ${c.password}   (${c.email}; its loyalty account comes with \`npm run demo\`)`).join('\n')}
  S3 (s3rver)      ${e.s3Endpoint}   bucket ${e.bucket}
  SQS              ${e.sqsEndpoint}   Moma queue ${e.momaQueueUrl}
  DynamoDB Local   ${e.dynamodbEndpoint}   table ${e.tableName}
  data             ${e.dataDir}   (kept between runs; --fresh starts empty)
  endpoints        ${stateFile}

Drop a Moma file in:
  AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER aws --endpoint-url ${e.s3Endpoint} --region ${e.region} \\
    s3 cp sales.json s3://${e.bucket}/transactions/sales.json
Call the API as the admin:
  curl -H "Authorization: Bearer $(npm run -s token)" ${e.adminApiUrl}/admin/sync/status
or run \`npm run demo\` in another terminal. Ctrl-C stops everything.
`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the local stack...`);
    const forced = setTimeout(() => {
      console.error('[local] the stack did not stop within 5 s: exiting anyway (queued messages may not have been saved)');
      process.exit(1);
    }, 5_000);
    void stack.stop().then(() => {
      clearTimeout(forced);
      process.exit(0);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

function faultOptions(rate: string | undefined, seed: string | undefined): FaultOptions | undefined {
  if (rate === undefined) return undefined;
  const share = Number(rate);
  if (!(share >= 0 && share <= 1)) throw new LocalStackError(`--inject-faults must be a share between 0 and 1, not "${rate}"`);
  if (seed !== undefined && !Number.isInteger(Number(seed))) throw new LocalStackError(`--fault-seed must be an integer, not "${seed}"`);
  return { rate: share, seed: seed === undefined ? undefined : Number(seed) };
}

main().catch((err: Error) => {
  console.error(err instanceof LocalStackError ? `Cannot start: ${err.message}` : `Cannot start: ${err.stack ?? err.message}`);
  process.exit(1);
});
