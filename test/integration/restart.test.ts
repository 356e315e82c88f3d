import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalStackClient, waitFor } from '../../local/local-client';
import { type LocalStackProcess, spawnLocalStack } from '../support/local-stack-process';
import { customersFor, salesFor, toNdjson } from '../support/workload';

const CUSTOMERS = 40;
const PER_CUSTOMER = 80;

let stack: LocalStackProcess | undefined;
afterAll(async () => stack?.stop());

test('the local stack killed in the middle of a large file and restarted awards every sale exactly once', async () => {
  // A stack of its own: this test kills it.
  const stateDir = mkdtempSync(path.join(tmpdir(), 'hivis-restart-'));
  stack = await spawnLocalStack(stateDir, ['--fresh']);
  let local = new LocalStackClient(stack.endpoints, stateDir);
  await local.addCustomers(customersFor('rs', CUSTOMERS));
  const key = 'transactions/restart-day.ndjson';
  await local.putMomaFile(key, toNdjson(salesFor('RS', CUSTOMERS, PER_CUSTOMER)));

  // Kill it (SIGKILL: no cleanup at all) once the file is well under way.
  const progress = await waitFor(
    async () => {
      const record = await local.fileRecord(key);
      return record && Number(record.nextIndex) >= 1_000 ? record : undefined;
    },
    'the file to be under way',
    60_000,
    50,
  );
  await stack.kill();
  local.destroy();
  expect(progress.status).toBe('processing');

  stack = await spawnLocalStack(stateDir);
  local = new LocalStackClient(stack.endpoints, stateDir);
  const done = await waitFor(
    async () => {
      const record = await local.fileRecord(key);
      return record?.status === 'processed' ? record : undefined;
    },
    'the file to finish after the restart',
    180_000,
    250,
  );

  expect(done).toMatchObject({ records: CUSTOMERS * PER_CUSTOMER, attempts: expect.any(Number) });
  expect(Number(done.attempts)).toBeGreaterThanOrEqual(2);
  expect(await local.countSales('RS-')).toBe(CUSTOMERS * PER_CUSTOMER);
  // Every customer: 80 purchases of 10 points and 8 punch cards of 50, nothing lost and nothing twice.
  for (const { userId } of customersFor('rs', CUSTOMERS)) {
    expect(await local.customer(userId)).toMatchObject({
      purchaseCount: PER_CUSTOMER,
      points: PER_CUSTOMER * 10 + (PER_CUSTOMER / 10) * 50,
    });
  }
  local.destroy();
}, 300_000);
