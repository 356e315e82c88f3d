import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalStackClient, waitFor } from '../../local/local-client';
import { spawnLocalStack, type LocalStackProcess } from '../support/local-stack-process';
import { customersFor, salesFor, toNdjson } from '../support/workload';

const CUSTOMERS = 2_000;
const PER_CUSTOMER = 25;

// A stack of its own: 50,000 awards leave a long stream backlog (stats, notifications) that must not slow other tests.
let stack: LocalStackProcess;
let local: LocalStackClient;
beforeAll(async () => {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'hivis-large-'));
  stack = await spawnLocalStack(stateDir, ['--fresh']);
  local = new LocalStackClient(stack.endpoints, stateDir);
}, 60_000);
afterAll(async () => {
  local.destroy();
  await stack.stop();
});

test('a 50,000-record file is processed end to end', async () => {
  await local.addCustomers(customersFor('lf', CUSTOMERS));
  const body = toNdjson(salesFor('LF', CUSTOMERS, PER_CUSTOMER, 250));
  const key = 'transactions/large-50k.ndjson';

  const started = Date.now();
  await local.putMomaFile(key, body);
  const record = await waitFor(async () => {
    const r = await local.fileRecord(key);
    return r?.status === 'processed' ? r : undefined;
  }, 'the 50,000-record file', 900_000, 500);
  const seconds = (Date.now() - started) / 1000;

  console.log(`50,000-record file (${(body.length / 2 ** 20).toFixed(1)} MiB) processed end to end in ${seconds.toFixed(1)} s: ${Math.round(50_000 / seconds)} sales/s`);
  expect(record).toMatchObject({ records: 50_000, awardedCount: 50_000 });
  expect(record.failedCount ?? 0).toBe(0);
  expect(await local.customer('lf-1999')).toMatchObject({ purchaseCount: PER_CUSTOMER, points: PER_CUSTOMER * 25 + 2 * 50 });
}, 1_000_000);
