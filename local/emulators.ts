import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SqsClient } from '../shared/adapters/aws/sqs';
import { S3Reader } from '../shared/adapters/s3/s3-reader';
import { toS3Notification } from '../shared/adapters/sqs/s3-notification';
import type { ObjectRef } from '../shared/ingest/ports';
import { WATCHED_PREFIXES } from '../shared/topology';
import { type RunningDynamoDb, startDynamoDbLocal } from './dynamodb-local';
import { type FaultOptions, startFaultProxy } from './fault-proxy';
import { startS3Emulator } from './s3-emulator';
import { type SqsEmulator, startSqsEmulator } from './sqs-emulator';
import type { Teardown } from './teardown';

export const REGION = 'us-east-1';
/** s3rver checks access keys and accepts this pair by default; the other emulators accept any. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export type LocalPorts = Record<'dynamodb' | 's3' | 'sqs' | 'api' | 'customerApi' | 'control' | 'cognito', number>;

export interface Emulators {
  dynamodb: RunningDynamoDb;
  sqsServer: SqsEmulator & { restoreSaved(): Promise<number> };
  s3Endpoint: string;
  /**
   * The stack's own clients (provisioning, recovery, the S3 notifications), never behind the fault proxy; `s3` and
   * `fileEvents` are the functions' small clients, for the shared adapters recovery uses.
   */
  clients: { dynamodb: DynamoDBClient; streams: DynamoDBStreamsClient; sqs: SQSClient; s3: S3Reader; fileEvents: SqsClient };
}

export interface EmulatorOptions {
  ports: LocalPorts;
  dataDir: string;
  faults?: FaultOptions;
  log(line: string): void;
}

/**
 * DynamoDB Local and the SQS emulator (the S3 emulator starts once the queue it notifies exists), with the fault
 * proxy in front of DynamoDB when asked; the functions' SDK clients are pointed at them.
 */
export async function startEmulators(options: EmulatorOptions, teardown: Teardown): Promise<Emulators> {
  const { ports, dataDir, log } = options;
  const [dynamodb, sqsServer] = await Promise.all([
    startDynamoDbLocal({ port: ports.dynamodb, dataDir: path.join(dataDir, 'dynamodb'), onUnexpectedExit: log }),
    // Closing it saves every message it holds; the next start restores them before anything polls.
    startSqsEmulator({ port: ports.sqs, messagesFile: path.join(dataDir, 'sqs-messages.json'), log }),
  ]);
  teardown.add(
    () => dynamodb.stop(),
    () => sqsServer.close(),
  );
  const functionsDynamoDbEndpoint = options.faults
    ? await startFaults(dynamodb.endpoint, options.faults, log, teardown)
    : dynamodb.endpoint;
  const s3Endpoint = `http://127.0.0.1:${ports.s3}`;

  // The handlers find the emulators through the SDK's own endpoint variables: their code is unchanged.
  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: functionsDynamoDbEndpoint,
    AWS_ENDPOINT_URL_SQS: sqsServer.endpoint,
    AWS_ENDPOINT_URL_S3: s3Endpoint,
    AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${ports.control}`,
    AWS_ENDPOINT_URL_EVENTBRIDGE: `http://127.0.0.1:${ports.control}`,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  const clientConfig = { region: REGION, credentials: LOCAL_CREDENTIALS };
  const clients = {
    dynamodb: new DynamoDBClient({ ...clientConfig, endpoint: dynamodb.endpoint }),
    streams: new DynamoDBStreamsClient({ ...clientConfig, endpoint: dynamodb.endpoint }),
    sqs: new SQSClient({ ...clientConfig, endpoint: sqsServer.endpoint }),
    s3: new S3Reader({ ...clientConfig, endpoint: s3Endpoint, forcePathStyle: true }),
    fileEvents: new SqsClient({ ...clientConfig, endpoint: sqsServer.endpoint }),
  };
  teardown.add(async () => {
    for (const client of [clients.dynamodb, clients.streams, clients.sqs]) client.destroy();
  });
  return { dynamodb, sqsServer, s3Endpoint, clients };
}

/** Puts the fault proxy in front of DynamoDB Local; returns the endpoint the functions are to use. */
async function startFaults(dynamodbEndpoint: string, faults: FaultOptions, log: (line: string) => void, teardown: Teardown) {
  const proxy = await startFaultProxy(dynamodbEndpoint, faults);
  log(`injecting transient faults into ${Math.round(faults.rate * 100)}% of the functions' DynamoDB requests (seed ${proxy.seed})`);
  teardown.add(async () => {
    await proxy.close();
    log(`fault proxy: ${JSON.stringify(proxy.counts())}`);
  });
  return proxy.endpoint;
}

/** The S3 emulator, announcing new objects under the watched prefixes on the file-events queue as the bucket does in the cloud. */
export async function startObjectStore(
  options: { port: number; dataDir: string; bucket: string; fileEventsQueueUrl: string; sqs: SQSClient; log(line: string): void },
  teardown: Teardown,
) {
  const notify = (ref: ObjectRef) =>
    void options.sqs
      .send(new SendMessageCommand({ QueueUrl: options.fileEventsQueueUrl, MessageBody: JSON.stringify(toS3Notification(ref)) }))
      .catch((err: Error) => options.log(`could not queue ${ref.key}: ${err.message}`));
  const s3Server = await startS3Emulator({
    port: options.port,
    directory: path.join(options.dataDir, 's3'),
    bucket: options.bucket,
    prefixes: Object.values(WATCHED_PREFIXES),
    onObjectCreated: notify,
  });
  teardown.add(() => s3Server.close());
}
