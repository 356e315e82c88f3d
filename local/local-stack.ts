import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  DynamoDBBatchResponse,
  DynamoDBStreamEvent,
  ScheduledEvent,
  SQSBatchResponse,
  SQSEvent,
} from 'aws-lambda';
import { DynamoDbFileLedger } from '../shared/adapters/dynamodb/file-ledger';
import { tableDefinition } from '../shared/adapters/dynamodb/table-definition';
import { S3ObjectStore } from '../shared/adapters/s3/object-store';
import { SqsFileEventQueue } from '../shared/adapters/sqs/file-event-queue';
import { toS3Notification } from '../shared/adapters/sqs/s3-notification';
import type { ObjectRef } from '../shared/ingest/ports';
import { reconcileFiles } from '../shared/ingest/reconcile';
import { FUNCTIONS, type FunctionName, QUEUES, SYNC_SOURCES, WATCHED_PREFIXES } from '../shared/topology';
import { startControlPlane } from './control-plane';
import { startDynamoDbLocal } from './dynamodb-local';
import { type Mapping, scheduleMapping, sqsMapping } from './event-source-mappings';
import { type FaultOptions, startFaultProxy } from './fault-proxy';
import { type HttpRoute, startHttpGateway } from './http-gateway';
import { localFunction } from './lambda-runtime';
import { startS3Emulator } from './s3-emulator';
import { createQueues, startSqsEmulator } from './sqs-emulator';
import { streamMapping } from './stream-poller';

export const REGION = 'us-east-1';
/** s3rver checks access keys and accepts this pair by default; the other emulators accept any. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface LocalStackOptions {
  /** Where data, the pepper and the admin token live; `.hivis` in the working directory by default. */
  stateDir: string;
  fresh?: boolean;
  ports?: Partial<Record<'dynamodb' | 's3' | 'sqs' | 'api' | 'control', number>>;
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

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  const stateDir = path.resolve(options.stateDir);
  const dataDir = path.join(stateDir, 'data');
  if (options.fresh) await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  const pepperFile = await ensureSecretFile(path.join(stateDir, 'card-pepper'), 48);
  const adminToken = (await readFile(await ensureSecretFile(path.join(stateDir, 'admin-token'), 32), 'utf8')).trim();
  const bucket = options.bucket ?? 'hi-vis-moma-data';
  const tableName = options.tableName ?? 'hi-vis-loyalty';
  const ports = {
    dynamodb: options.ports?.dynamodb || (await freePort()),
    s3: options.ports?.s3 || (await freePort()),
    sqs: options.ports?.sqs || (await freePort()),
    api: options.ports?.api || (await freePort()),
    control: options.ports?.control || (await freePort()),
  };

  const stoppers: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const stopOne of stoppers.splice(0).reverse()) await stopOne().catch((err: Error) => log(`while stopping: ${err.message}`));
  };
  try {
    const [dynamodb, sqsServer] = await Promise.all([
      startDynamoDbLocal({ port: ports.dynamodb, dataDir: path.join(dataDir, 'dynamodb'), onUnexpectedExit: log }),
      // Closing it saves every message it holds; the next start restores them before anything polls.
      startSqsEmulator({ port: ports.sqs, messagesFile: path.join(dataDir, 'sqs-messages.json'), log }),
    ]);
    stoppers.push(
      () => dynamodb.stop(),
      () => sqsServer.close(),
    );
    const functionsDynamoDbEndpoint = options.faults
      ? await startFaults(dynamodb.endpoint, options.faults, log, stoppers)
      : dynamodb.endpoint;

    // The handlers find the emulators through the SDK's own endpoint variables: their code is unchanged.
    Object.assign(process.env, {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: functionsDynamoDbEndpoint,
      AWS_ENDPOINT_URL_SQS: sqsServer.endpoint,
      AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${ports.s3}`,
      AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${ports.control}`,
      AWS_ENDPOINT_URL_EVENTBRIDGE: `http://127.0.0.1:${ports.control}`,
      S3_FORCE_PATH_STYLE: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      TABLE_NAME: tableName,
      BUCKET_NAME: bucket,
      CARD_PEPPER_FILE: pepperFile,
    });
    const clientConfig = { region: REGION, credentials: LOCAL_CREDENTIALS };
    const dynamoClient = new DynamoDBClient({ ...clientConfig, endpoint: dynamodb.endpoint });
    const sqs = new SQSClient({ ...clientConfig, endpoint: sqsServer.endpoint });
    const s3 = new S3Client({ ...clientConfig, endpoint: `http://127.0.0.1:${ports.s3}`, forcePathStyle: true });
    stoppers.push(async () => {
      for (const client of [dynamoClient, sqs, s3]) client.destroy();
    });

    const streamArn = await ensureTable(dynamoClient, tableName);
    const streams = new DynamoDBStreamsClient({ ...clientConfig, endpoint: dynamodb.endpoint });
    stoppers.push(async () => streams.destroy());
    const queues = await createQueues(sqs);
    const restored = await sqsServer.restoreSaved();
    if (restored > 0) log(`restored ${restored} queued message(s) kept from the last stop`);
    const syncTargets = Object.fromEntries(
      Object.entries(SYNC_SOURCES).map(([source, fn]) => [
        source,
        FUNCTIONS[fn].trigger.type === 'schedule'
          ? { type: 'rule', name: localMappingId(fn) }
          : { type: 'mapping', id: localMappingId(fn) },
      ]),
    );
    Object.assign(process.env, {
      FILE_EVENTS_QUEUE_URL: queues.fileEvents.url,
      MOMA_QUEUE_URL: queues.moma.url,
      FILE_EVENTS_DLQ_URL: queues.fileEvents.dlqUrl,
      MOMA_DLQ_URL: queues.moma.dlqUrl,
      SYNC_TARGETS: JSON.stringify(syncTargets),
      QUEUE_AGE_METRICS: 'none',
      NOTIFICATION_SINK_FILE: path.join(dataDir, 'notifications.ndjson'),
    });

    // S3 → SQS, as the bucket's notification configuration does in the cloud.
    const notify = (ref: ObjectRef) =>
      void sqs
        .send(new SendMessageCommand({ QueueUrl: queues.fileEvents.url, MessageBody: JSON.stringify(toS3Notification(ref)) }))
        .catch((err: Error) => log(`could not queue ${ref.key}: ${err.message}`));
    const s3Server = await startS3Emulator({
      port: ports.s3,
      directory: path.join(dataDir, 's3'),
      bucket,
      prefixes: Object.values(WATCHED_PREFIXES),
      onObjectCreated: notify,
    });
    stoppers.push(() => s3Server.close());

    const mappings: Mapping[] = [];
    const schedules = new Map<FunctionName, ReturnType<typeof scheduleMapping>>();
    const routes: HttpRoute[] = [];
    const onError = (name: string) => (err: Error) => log(`${name}: ${err.message}`);
    for (const [name, spec] of Object.entries(FUNCTIONS) as [FunctionName, (typeof FUNCTIONS)[FunctionName]][]) {
      const trigger = spec.trigger;
      // Each function is a pool of separately loaded handler instances, one invocation at a time each.
      if (trigger.type === 'sqs') {
        const queue = queues[trigger.queue];
        const fn = localFunction<SQSEvent, SQSBatchResponse | undefined>(name, spec, REGION);
        mappings.push(
          sqsMapping({
            name,
            spec: { ...spec, trigger },
            queue: { url: queue.url, arn: queue.arn, spec: QUEUES[trigger.queue] },
            sqs,
            region: REGION,
            fn,
            onError: onError(name),
          }),
        );
      } else if (trigger.type === 'schedule') {
        const fn = localFunction<ScheduledEvent, unknown>(name, spec, REGION);
        const schedule = scheduleMapping({ name, spec: { ...spec, trigger }, region: REGION, fn, onError: onError(name) });
        schedules.set(name, schedule);
        mappings.push(schedule);
      } else if (trigger.type === 'stream') {
        const fn = localFunction<DynamoDBStreamEvent, DynamoDBBatchResponse | undefined>(name, spec, REGION);
        mappings.push(
          streamMapping({
            name,
            spec: { ...spec, trigger },
            streamArn,
            streams,
            region: REGION,
            fn,
            checkpointFile: path.join(dataDir, `stream-${name}.json`),
            onError: onError(name),
          }),
        );
      } else {
        const fn = localFunction<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>(name, spec, REGION);
        for (const routeKey of trigger.routes) routes.push({ routeKey, fn });
      }
    }
    const gateway = await startHttpGateway({
      port: ports.api,
      token: adminToken,
      routes,
      maxBodyBytes: (type) => (type?.startsWith('text/csv') ? 10 * 2 ** 20 : 2 ** 20),
      bodyTimeoutMs: options.bodyTimeoutMs,
      log,
    });
    stoppers.push(() => gateway.close());

    await recoverUnfinishedFiles(DynamoDBDocumentClient.from(dynamoClient), tableName, bucket, s3, sqs, queues.fileEvents.url, log);
    const controlled = (Object.values(SYNC_SOURCES) as FunctionName[]).map((fn) => ({
      id: localMappingId(fn),
      kind: FUNCTIONS[fn].trigger.type === 'schedule' ? ('rule' as const) : ('mapping' as const),
      mapping: mappings.find((m) => m.name === fn)!,
    }));
    const controlPlane = await startControlPlane({
      port: ports.control,
      controlled,
      stateFile: path.join(dataDir, 'sync-state.json'),
      log,
    });
    stoppers.push(() => controlPlane.close());
    // Sync sources start as they were left (a stopped sync stays stopped); the rest always run.
    controlPlane.applySavedState();
    for (const mapping of mappings) if (!controlled.some((c) => c.mapping === mapping)) mapping.start();
    stoppers.push(async () => {
      await Promise.all(mappings.map((m) => m.stop({ graceful: false })));
    });

    const endpoints: LocalEndpoints = {
      adminApiUrl: gateway.url,
      adminToken,
      s3Endpoint: `http://127.0.0.1:${ports.s3}`,
      bucket,
      sqsEndpoint: sqsServer.endpoint,
      momaQueueUrl: queues.moma.url,
      fileEventsQueueUrl: queues.fileEvents.url,
      momaDlqUrl: queues.moma.dlqUrl,
      fileEventsDlqUrl: queues.fileEvents.dlqUrl,
      dynamodbEndpoint: dynamodb.endpoint,
      tableName,
      region: REGION,
      credentials: LOCAL_CREDENTIALS,
      dataDir,
      pid: process.pid,
    };
    const endpointsFile = path.join(stateDir, 'local.json');
    // Written whole, then renamed into place: whoever waits for this file never reads half of it.
    await writeFile(`${endpointsFile}.tmp`, JSON.stringify(endpoints, null, 2), { mode: 0o600 });
    await rename(`${endpointsFile}.tmp`, endpointsFile);
    stoppers.push(() => rm(endpointsFile, { force: true }));
    return {
      endpoints,
      mappings,
      runSchedule: (name) => schedules.get(name)?.runNow() ?? Promise.reject(new Error(`${name} has no schedule`)),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Puts the fault proxy in front of DynamoDB Local; returns the endpoint the functions are to use. */
async function startFaults(
  dynamodbEndpoint: string,
  faults: FaultOptions,
  log: (line: string) => void,
  stoppers: (() => Promise<void>)[],
): Promise<string> {
  const proxy = await startFaultProxy(dynamodbEndpoint, faults);
  log(`injecting transient faults into ${Math.round(faults.rate * 100)}% of the functions' DynamoDB requests (seed ${proxy.seed})`);
  stoppers.push(async () => {
    await proxy.close();
    log(`fault proxy: ${JSON.stringify(proxy.counts())}`);
  });
  return proxy.endpoint;
}

/** The local stand-in for a mapping's UUID or a rule's name. */
export const localMappingId = (fn: FunctionName) => `hi-vis-${fn}`;

async function ensureSecretFile(file: string, bytes: number): Promise<string> {
  if (!existsSync(file)) {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, randomBytes(bytes).toString('base64url'), { mode: 0o600 });
  }
  await chmod(file, 0o600);
  return file;
}

/** Creates the table on first start; returns its stream's ARN. */
async function ensureTable(client: DynamoDBClient, tableName: string): Promise<string> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table!.LatestStreamArn!;
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
    return (await client.send(new CreateTableCommand(tableDefinition(tableName)))).TableDescription!.LatestStreamArn!;
  }
}

/**
 * The SQS emulator keeps messages in memory, so a restart loses whatever was queued. Every worker of the
 * previous run is gone, so their file leases are void; then every file not finished is queued again,
 * the same safety net the cloud's 5-minute reconcile provides. Sales already awarded stay deduplicated.
 */
async function recoverUnfinishedFiles(
  db: DynamoDBDocumentClient,
  tableName: string,
  bucket: string,
  s3: S3Client,
  sqs: SQSClient,
  queueUrl: string,
  log: (line: string) => void,
) {
  const now = new Date();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'entity = :file AND #status = :processing',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':file': 'file', ':processing': 'processing' },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      await db.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { PK: item.PK, SK: item.SK },
          UpdateExpression: 'SET leaseExpiresAt = :now',
          ExpressionAttributeValues: { ':now': now.toISOString() },
        }),
      );
    }
    start = page.LastEvaluatedKey;
  } while (start);
  const objects = new S3ObjectStore(s3);
  const result = await reconcileFiles(bucket, Object.values(WATCHED_PREFIXES), 0, {
    listOlderThan: (b, prefix) => objects.listOlderThan(b, prefix, new Date(now.getTime() + 1_000)),
    files: new DynamoDbFileLedger(db, tableName),
    queue: new SqsFileEventQueue(sqs, queueUrl),
    now: new Date(now.getTime() + 1_000),
  });
  if (result.requeued.length > 0) log(`re-queued ${result.requeued.length} file(s) left unfinished by the previous run`);
}
