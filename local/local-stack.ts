import path from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AUDIT_TTL_ATTRIBUTE } from '../shared/adapters/dynamodb/audit-log';
import { TTL_ATTRIBUTE } from '../shared/adapters/dynamodb/table-keys';
import { consoleConfigFor } from '../shared/console-site';
import type { FunctionName } from '../shared/topology';
import { createAccessTokenVerifier } from './access-tokens';
import { type LocalCustomers, type LocalOperators, startCognito } from './cognito-emulator';
import { createConsoleSite, ensureConsoleBuilt } from './console-assets';
import { LOCAL_CREDENTIALS, type LocalPorts, REGION, startEmulators, startObjectStore } from './emulators';
import type { Mapping } from './event-source-mappings';
import type { FaultOptions } from './fault-proxy';
import { localFunctionsEnvironment } from './function-environment';
import { localSyncTargets, startTriggers, wireFunctions } from './function-triggers';
import { startHttpGateway } from './http-gateway';
import { prepareState, publishEndpoints } from './local-state';
import { provision, recoverUnfinishedFiles } from './provisioning';
import { freePort } from './servers';
import { Teardown } from './teardown';
import { sweepExpired } from './ttl-sweeper';

export { LOCAL_CREDENTIALS, REGION } from './emulators';
export { localMappingId } from './function-triggers';
export { freePort } from './servers';

export interface LocalStackOptions {
  /** Where data, the pepper and the admin token live; `.hivis` in the working directory by default. */
  stateDir: string;
  fresh?: boolean;
  ports?: Partial<LocalPorts>;
  bucket?: string;
  tableName?: string;
  log?: (line: string) => void;
  /** Testing: give this share of the functions' DynamoDB requests a transient fault (see fault-proxy.ts). */
  faults?: FaultOptions;
  /** The admin API answers 408 to a body not received within this time (10 s by default). */
  bodyTimeoutMs?: number;
  /** Where the console's sources and build are; the project's `console/` by default. */
  consoleDir?: string;
  /** Origins of a loyalty web app allowed to call the customers' API from a browser (CORS), as the stack's `customerAppOrigins`. */
  customerAppOrigins?: string[];
}

/** What a client needs to talk to the local stack; written to `<stateDir>/local.json`. */
export interface LocalEndpoints {
  /** The operator console, on the same origin as the admin API (sign in as one of `operators`). */
  consoleUrl: string;
  adminApiUrl: string;
  /** A current access token of the local admin (renewed while the stack runs); `npm run token` prints a fresh one. */
  adminToken: string;
  /** A current access token of the local viewer. */
  viewerToken: string;
  /** The local Cognito: where operators sign in, and the app clients. */
  cognito: {
    endpoint: string;
    issuer: string;
    userPoolId: string;
    consoleClientId: string;
    opsClientId: string;
    opsClientSecret: string;
  };
  /** The local operators and their passwords, one per group. */
  operators: LocalOperators['users'];
  /** The customers' API (its own gateway, as it is its own HTTP API in the cloud). */
  customerApiUrl: string;
  /** The customers' pool: the loyalty app's client, and the demo customers (username = loyalty id) with their passwords. */
  customerPool: { issuer: string; userPoolId: string; appClientId: string; users: LocalCustomers['users'] };
  auditTableName: string;
  s3Endpoint: string;
  bucket: string;
  sqsEndpoint: string;
  momaQueueUrl: string;
  fileEventsQueueUrl: string;
  momaDlqUrl: string;
  fileEventsDlqUrl: string;
  dynamodbEndpoint: string;
  tableName: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  dataDir: string;
  /** The process serving all of this, so a test can tell it is still alive. */
  pid: number;
}

const TOKEN_RENEWAL_MS = 30 * 60_000;

export interface LocalStack {
  endpoints: LocalEndpoints;
  mappings: Mapping[];
  runSchedule(name: FunctionName): Promise<unknown>;
  stop(): Promise<void>;
}

async function choosePorts(asked: Partial<LocalPorts> = {}): Promise<LocalPorts> {
  return {
    dynamodb: asked.dynamodb || (await freePort()),
    s3: asked.s3 || (await freePort()),
    sqs: asked.sqs || (await freePort()),
    api: asked.api || (await freePort()),
    customerApi: asked.customerApi || (await freePort()),
    control: asked.control || (await freePort()),
    cognito: asked.cognito || (await freePort()),
  };
}

/**
 * The topology on this machine: the emulators, the table and queues, every function behind its trigger, the admin
 * API's gateway, and the endpoints file that tells clients where it all is. A failed start undoes what it started.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  const state = await prepareState(options.stateDir, options.fresh);
  const { dataDir } = state;
  const bucket = options.bucket ?? 'hi-vis-moma-data';
  const tableName = options.tableName ?? 'hi-vis-loyalty';
  const auditTableName = `${tableName}-audit`;
  const ports = await choosePorts(options.ports);
  const teardown = new Teardown(log);
  try {
    const emulators = await startEmulators({ ports, dataDir, faults: options.faults, log }, teardown);
    const { clients } = emulators;
    const [{ streamArn, queues }, cognito] = await Promise.all([
      provision(emulators, { tableName, auditTableName }, log),
      startCognito({ stateDir: dataDir, port: ports.cognito, log }),
    ]);
    teardown.add(() => cognito.stop());
    process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER = cognito.endpoint;
    await startObjectStore({ port: ports.s3, dataDir, bucket, fileEventsQueueUrl: queues.fileEvents.url, sqs: clients.sqs, log }, teardown);

    Object.assign(
      process.env,
      localFunctionsEnvironment({
        tableName,
        bucket,
        queues,
        pepperFile: state.pepperFile,
        notificationSinkFile: path.join(dataDir, 'notifications.ndjson'),
        syncTargets: localSyncTargets(),
        auditTableName,
        userPoolId: cognito.operators.userPoolId,
        customerTokens: { issuer: cognito.customerIssuer, appClientId: cognito.customers.appClientId },
        customerCursorKeyFile: state.customerCursorKeyFile,
      }),
    );
    const consoleDir = options.consoleDir ?? path.resolve(__dirname, '..', 'console');
    // A missing or failed build never stops the start: the console then answers with a page saying it is not built.
    await ensureConsoleBuilt({ consoleDir, log });
    const triggers = wireFunctions({
      queues,
      sqs: clients.sqs,
      streamArn,
      streams: clients.streams,
      dataDir,
      releasePolls: (url) => emulators.sqsServer.releasePolls(url),
      log,
    });
    const gateway = await startHttpGateway({
      port: ports.api,
      verifyToken: createAccessTokenVerifier({
        issuer: cognito.issuer,
        jwksUri: cognito.jwksUri,
        clientIds: [cognito.operators.consoleClientId, cognito.operators.opsClientId],
      }),
      routes: triggers.routes.filter((route) => route.api === 'admin'),
      maxBodyBytes: (type) => (type?.startsWith('text/csv') ? 10 * 2 ** 20 : 2 ** 20),
      bodyTimeoutMs: options.bodyTimeoutMs,
      log,
      site: createConsoleSite({
        distDir: path.join(consoleDir, 'dist'),
        config: consoleConfigFor(cognito.endpoint, cognito.operators.consoleClientId, 'local'),
        cognitoOrigin: new URL(cognito.endpoint).origin,
      }),
    });
    teardown.add(() => gateway.close());
    await cognito.registerConsole(gateway.url);
    const customerGateway = await startHttpGateway({
      name: "customers' API",
      port: ports.customerApi,
      verifyToken: createAccessTokenVerifier({
        issuer: cognito.customerIssuer,
        jwksUri: cognito.customerJwksUri,
        clientIds: [cognito.customers.appClientId],
      }),
      routes: triggers.routes.filter((route) => route.api === 'customer'),
      maxBodyBytes: () => 64 * 1024,
      bodyTimeoutMs: options.bodyTimeoutMs,
      log,
      cors: options.customerAppOrigins?.length
        ? { allowOrigins: options.customerAppOrigins, allowMethods: ['GET'], allowHeaders: ['authorization'], maxAgeSeconds: 600 }
        : undefined,
    });
    teardown.add(() => customerGateway.close());

    await recoverUnfinishedFiles({
      dynamodb: clients.dynamodb,
      tableName,
      bucket,
      s3: clients.s3,
      sqs: clients.fileEvents,
      fileEventsQueueUrl: queues.fileEvents.url,
      log,
    });
    await startTriggers(triggers, { controlPort: ports.control, dataDir, log }, teardown);

    const { operators } = cognito;
    const endpoints: LocalEndpoints = {
      consoleUrl: gateway.url,
      adminApiUrl: gateway.url,
      adminToken: await cognito.accessTokenOf('admins'),
      viewerToken: await cognito.accessTokenOf('viewers'),
      cognito: {
        endpoint: cognito.endpoint,
        issuer: cognito.issuer,
        userPoolId: operators.userPoolId,
        consoleClientId: operators.consoleClientId,
        opsClientId: operators.opsClientId,
        opsClientSecret: operators.opsClientSecret,
      },
      operators: operators.users,
      customerApiUrl: customerGateway.url,
      customerPool: {
        issuer: cognito.customerIssuer,
        userPoolId: cognito.customers.userPoolId,
        appClientId: cognito.customers.appClientId,
        users: cognito.customers.users,
      },
      auditTableName,
      s3Endpoint: emulators.s3Endpoint,
      bucket,
      sqsEndpoint: emulators.sqsServer.endpoint,
      momaQueueUrl: queues.moma.url,
      fileEventsQueueUrl: queues.fileEvents.url,
      momaDlqUrl: queues.moma.dlqUrl,
      fileEventsDlqUrl: queues.fileEvents.dlqUrl,
      dynamodbEndpoint: emulators.dynamodb.endpoint,
      tableName,
      region: REGION,
      credentials: LOCAL_CREDENTIALS,
      dataDir,
      pid: process.pid,
    };
    await publishEndpoints(state.stateDir, endpoints, teardown);
    // Access tokens last an hour: the file keeps current ones for curl, the demo and scripts.
    const renewal = setInterval(() => {
      void Promise.all([cognito.accessTokenOf('admins'), cognito.accessTokenOf('viewers')])
        .then(([adminToken, viewerToken]) => {
          Object.assign(endpoints, { adminToken, viewerToken });
          return publishEndpoints(state.stateDir, endpoints);
        })
        .catch((err: Error) => log(`could not renew the local access tokens: ${err.message}`));
    }, TOKEN_RENEWAL_MS);
    renewal.unref();
    teardown.add(async () => clearInterval(renewal));
    const ttl = startTtlSweeps(
      clients.dynamodb,
      [
        { tableName, ttlAttribute: TTL_ATTRIBUTE },
        { tableName: auditTableName, ttlAttribute: AUDIT_TTL_ATTRIBUTE },
      ],
      log,
    );
    teardown.add(async () => clearInterval(ttl));
    return {
      endpoints,
      mappings: triggers.mappings,
      runSchedule: (name) => triggers.schedules.get(name)?.runNow() ?? Promise.reject(new Error(`${name} has no schedule`)),
      stop: () => teardown.run(),
    };
  } catch (err) {
    await teardown.run();
    throw err;
  }
}

/** How often the local stack deletes expired items, as DynamoDB's TTL does in the background. */
const TTL_SWEEP_MS = 60_000;

function startTtlSweeps(dynamodb: DynamoDBClient, tables: { tableName: string; ttlAttribute: string }[], log: (line: string) => void) {
  const db = DynamoDBDocumentClient.from(dynamodb);
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void Promise.all(tables.map((t) => sweepExpired(db, t.tableName, t.ttlAttribute)))
      .catch((err: Error) => log(`could not delete expired items: ${err.message}`))
      .finally(() => {
        running = false;
      });
  }, TTL_SWEEP_MS);
  timer.unref();
  return timer;
}
