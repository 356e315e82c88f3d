import '../local/sdk-notice';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LocalStackClient, waitFor } from '../local/local-client';
import { startLocalStack } from '../local/local-stack';
import { customersFor, salesFor, toNdjson } from '../test/support/workload';

/**
 * The soak run (`npm run bench:soak`): one 50,000-record NDJSON file for 2,000 customers through the whole local
 * stack (S3 → file-events queue → ingest-file → DynamoDB Local, with stats and notify on the stream), checked for
 * exactly-once afterwards. A throughput measure, so it lives beside the benchmark rather than in `npm test`.
 */
async function main() {
  const { values } = parseArgs({
    options: { customers: { type: 'string', default: '2000' }, 'per-customer': { type: 'string', default: '25' } },
  });
  const customers = Number(values.customers);
  const perCustomer = Number(values['per-customer']);
  const records = customers * perCustomer;
  const log = (line: string) => console.error(`[soak] ${line}`);
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';

  const stateDir = mkdtempSync(path.join(tmpdir(), 'hivis-soak-'));
  const stack = await startLocalStack({ stateDir, fresh: true, log });
  const local = new LocalStackClient(stack.endpoints, stateDir);
  try {
    await local.addCustomers(customersFor('soak', customers));
    const body = toNdjson(salesFor('SOAK', customers, perCustomer, 250));
    const key = `transactions/soak-${records}.ndjson`;
    const started = Date.now();
    await local.putMomaFile(key, body);
    const record = await waitFor(
      async () => {
        const r = await local.fileRecord(key);
        return r?.status === 'processed' ? r : undefined;
      },
      `the ${records}-record file`,
      1_800_000,
      500,
    );
    const seconds = (Date.now() - started) / 1000;
    log(
      `${records}-record file (${(body.length / 2 ** 20).toFixed(1)} MiB) processed end to end in ${seconds.toFixed(1)} s: ${Math.round(records / seconds)} sales/s`,
    );

    const last = await local.customer(`soak-${customers - 1}`);
    const expectedPoints = perCustomer * 25 + Math.floor(perCustomer / 10) * 50;
    const problems = [
      record.records !== records && `records ${record.records}, expected ${records}`,
      record.awardedCount !== records && `awarded ${record.awardedCount}, expected ${records}`,
      (record.failedCount ?? 0) !== 0 && `failed ${record.failedCount}`,
      (last?.purchaseCount !== perCustomer || last?.points !== expectedPoints) &&
        `last customer ${JSON.stringify(last)}, expected ${perCustomer} purchases and ${expectedPoints} points`,
    ].filter(Boolean);
    if (problems.length > 0) throw new Error(`soak run broke exactly-once: ${problems.join('; ')}`);
    log('every sale awarded exactly once');
  } finally {
    local.destroy();
    await stack.stop();
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
