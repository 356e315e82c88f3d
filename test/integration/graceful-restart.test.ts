import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalStackClient, waitFor } from '../../local/local-client';
import { type LocalStackProcess, spawnLocalStack } from '../support/local-stack-process';
import { momaSale } from '../support/moma';

let stack: LocalStackProcess | undefined;
let local: LocalStackClient | undefined;
afterAll(async () => {
  local?.destroy();
  await stack?.stop();
});

async function start(stateDir: string, args: string[] = []) {
  local?.destroy();
  stack = await spawnLocalStack(stateDir, args);
  local = new LocalStackClient(stack.endpoints, stateDir);
  return local;
}

async function gracefulStop() {
  local?.destroy();
  local = undefined;
  await stack!.stop();
  const output = stack!.output();
  stack = undefined;
  return output;
}

const pointsOf = async (client: LocalStackClient, userId: string) => (await client.customer(userId))?.points ?? 0;

test('a sale message and a file sent while sync is stopped are awarded after a graceful restart and sync start; a damaged sync state starts sync stopped', async () => {
  // A stack of its own: this test stops and restarts it.
  const stateDir = mkdtempSync(path.join(tmpdir(), 'hivis-graceful-'));
  let client = await start(stateDir, ['--fresh']);
  await client.addCustomer('gr-ann', '4111 1111 1111 2001');
  expect((await client.admin('POST', '/admin/sync/stop')).status).toBe(200);

  await client.sendMomaMessage(momaSale({ transactionId: 'GR-MSG-1', cardNumber: '4111111111112001', amount: 1_000 }));
  await client.putMomaFile(
    'transactions/gr-file.json',
    JSON.stringify([momaSale({ transactionId: 'GR-FILE-1', cardNumber: '4111111111112001', amount: 500 })]),
  );
  await waitFor(async () => (await client.queueDepth(client.endpoints.fileEventsQueueUrl)) === 1, 'the file event to be queued');
  expect(await client.queueDepth(client.endpoints.momaQueueUrl)).toBe(1);

  // Ctrl-C: the queues' messages are saved on the way out.
  const firstRun = await gracefulStop();
  expect(firstRun).toMatch(/saved 2 queued message\(s\) for the next start/);
  expect(existsSync(path.join(stateDir, 'data', 'sqs-messages.json'))).toBe(true);

  client = await start(stateDir);
  expect(stack!.output()).toMatch(/restored 2 queued message\(s\)/);
  // Still stopped, as it was left, and both messages wait (the file's may also be queued again by start-up recovery).
  expect((await client.admin('GET', '/admin/sync/status')).body.state).toBe('stopped');
  expect(await client.queueDepth(client.endpoints.momaQueueUrl)).toBe(1);
  expect(await pointsOf(client, 'gr-ann')).toBe(0);

  expect((await client.admin('POST', '/admin/sync/start')).status).toBe(200);
  await waitFor(async () => (await pointsOf(client, 'gr-ann')) === 150, 'both sales to be awarded');
  expect(await client.customer('gr-ann')).toMatchObject({ points: 150, purchaseCount: 2 });
  await waitFor(
    async () =>
      (await client.queueDepth(client.endpoints.momaQueueUrl)) === 0 &&
      (await client.queueDepth(client.endpoints.fileEventsQueueUrl)) === 0,
    'the queues to drain',
  );
  expect(await client.queueDepth(client.endpoints.momaDlqUrl)).toBe(0);

  // A damaged sync state file: one line, sync stopped, and a way to start it.
  await gracefulStop();
  writeFileSync(path.join(stateDir, 'data', 'sync-state.json'), '["hi-vis-ingest');
  client = await start(stateDir);
  const notices = stack!
    .output()
    .split('\n')
    .filter((line) => line.includes('sync-state.json'));
  expect(notices).toEqual([expect.stringMatching(/sync starts stopped; start it with POST \/admin\/sync\/start$/)]);
  expect((await client.admin('GET', '/admin/sync/status')).body.state).toBe('stopped');

  await client.sendMomaMessage(momaSale({ transactionId: 'GR-MSG-2', cardNumber: '4111111111112001', amount: 200 }));
  expect((await client.admin('POST', '/admin/sync/start')).status).toBe(200);
  await waitFor(async () => (await pointsOf(client, 'gr-ann')) === 170, 'the sale sent after the damaged start');
  // Nothing awarded twice across the restarts.
  expect(await client.customer('gr-ann')).toMatchObject({ points: 170, purchaseCount: 3 });
}, 120_000);
