import { createServer } from 'node:net';
import path from 'node:path';
import type { FunctionName } from '../shared/topology';
import { LOCAL_CREDENTIALS, type LocalPorts, REGION, startEmulators, startObjectStore } from './emulators';
import type { Mapping } from './event-source-mappings';
import type { FaultOptions } from './fault-proxy';
import { localFunctionsEnvironment } from './function-environment';
import { localSyncTargets, startTriggers, wireFunctions } from './function-triggers';
import { startHttpGateway } from './http-gateway';
import { prepareState, publishEndpoints } from './local-state';
import { provision, recoverUnfinishedFiles } from './provisioning';
import { Teardown } from './teardown';

export { LOCAL_CREDENTIALS, REGION } from './emulators';
export { localMappingId } from './function-triggers';

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
}

/** What a client needs to talk to the local stack; written to `<stateDir>/local.json`. */
export interface LocalEndpoints {
  adminApiUrl: string;
  adminToken: string;
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

export interface LocalStack {
  endpoints: LocalEndpoints;
  mappings: Mapping[];
  runSchedule(name: FunctionName): Promise<unknown>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function choosePorts(asked: Partial<LocalPorts> = {}): Promise<LocalPorts> {
  return {
    dynamodb: asked.dynamodb || (await freePort()),
    s3: asked.s3 || (await freePort()),
    sqs: asked.sqs || (await freePort()),
    api: asked.api || (await freePort()),
    control: asked.control || (await freePort()),
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
  const ports = await choosePorts(options.ports);
  const teardown = new Teardown(log);
  try {
    const emulators = await startEmulators({ ports, dataDir, faults: options.faults, log }, teardown);
    const { clients } = emulators;
    const { streamArn, queues } = await provision(emulators, tableName, log);
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
      }),
    );
    const triggers = wireFunctions({ queues, sqs: clients.sqs, streamArn, streams: clients.streams, dataDir, log });
    const gateway = await startHttpGateway({
      port: ports.api,
      token: state.adminToken,
      routes: triggers.routes,
      maxBodyBytes: (type) => (type?.startsWith('text/csv') ? 10 * 2 ** 20 : 2 ** 20),
      bodyTimeoutMs: options.bodyTimeoutMs,
      log,
    });
    teardown.add(() => gateway.close());

    await recoverUnfinishedFiles({
      dynamodb: clients.dynamodb,
      tableName,
      bucket,
      s3: clients.s3,
      sqs: clients.sqs,
      fileEventsQueueUrl: queues.fileEvents.url,
      log,
    });
    await startTriggers(triggers, { controlPort: ports.control, dataDir, log }, teardown);

    const endpoints: LocalEndpoints = {
      adminApiUrl: gateway.url,
      adminToken: state.adminToken,
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
