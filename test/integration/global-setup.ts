import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type LocalStackProcess, spawnLocalStack } from '../support/local-stack-process';

declare global {
  var __HIVIS_LOCAL_STACK__: LocalStackProcess | undefined;
}

/**
 * One local stack (`npm start`, on free ports, with its state in a temporary folder) for the whole run. Tests
 * drive it with the AWS SDK as Moma would; the DynamoDB-only tests create their own tables on its DynamoDB Local.
 */
export default async function globalSetup(): Promise<void> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'hivis-it-'));
  const started = Date.now();
  const stack = await spawnLocalStack(stateDir, ['--fresh']);
  console.log(`\nlocal stack ready in ${Date.now() - started} ms (${stateDir})`);
  globalThis.__HIVIS_LOCAL_STACK__ = stack;
  process.env.HIVIS_LOCAL_STATE_DIR = stateDir;
  process.env.HIVIS_TEST_DYNAMODB_ENDPOINT = stack.endpoints.dynamodbEndpoint;
}
