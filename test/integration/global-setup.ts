import { createServer } from 'node:net';
import { startDynamoDbLocal, type RunningDynamoDb } from '../../local/dynamodb-local';

declare global {
  var __HIVIS_DYNAMODB__: RunningDynamoDb | undefined;
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

/** One DynamoDB Local for the whole run (in memory); each test file creates its own table. */
export default async function globalSetup(): Promise<void> {
  const dynamodb = await startDynamoDbLocal({ port: await freePort() });
  globalThis.__HIVIS_DYNAMODB__ = dynamodb;
  process.env.HIVIS_TEST_DYNAMODB_ENDPOINT = dynamodb.endpoint;
}
