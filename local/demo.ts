import './sdk-notice';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { LocalStackClient, waitFor } from './local-client';
import { type LocalEndpoints, type LocalStack, startLocalStack } from './local-stack';

const STATE_DIR = process.env.HIVIS_STATE_DIR ?? '.hivis';

/** Uses the running local stack (`npm start`), or starts one for the length of the demo. */
async function connect(): Promise<{ client: LocalStackClient; started?: LocalStack }> {
  const file = path.join(STATE_DIR, 'local.json');
  if (existsSync(file)) {
    const endpoints = JSON.parse(readFileSync(file, 'utf8')) as LocalEndpoints;
    const reachable = await fetch(endpoints.adminApiUrl).then(
      () => true,
      () => false,
    );
    if (reachable) return { client: new LocalStackClient(endpoints, STATE_DIR) };
  }
  console.log('No local stack is running: starting one for this demo (npm start keeps one running).');
  const started = await startLocalStack({ stateDir: STATE_DIR, log: (line) => console.error(`[local] ${line}`) });
  return { client: new LocalStackClient(started.endpoints, STATE_DIR), started };
}

async function main() {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  const { client, started } = await connect();
  const run = Date.now().toString(36).toUpperCase();
  const customers = [
    { userId: 'demo-alice', name: 'Alice', card: '4111 1111 1111 1111' },
    { userId: 'demo-bob', name: 'Bob', card: '5500 0000 0000 0004' },
    // Carol's card ends in the same four digits as Bob's: a sale reported by last four alone is ambiguous.
    { userId: 'demo-carol', name: 'Carol', card: '4000 0566 5566 0004' },
  ];
  for (const c of customers) await client.addCustomer(c.userId, c.card);
  console.log(`Customers: ${customers.map((c) => `${c.name} (card ending ${c.card.slice(-4)})`).join(', ')}`);

  const campaign = await client.admin('POST', '/admin/campaigns', {
    name: `Coffee bonus ${run}: 20 extra points per coffee at VEND-001`,
    reward: { kind: 'bonus', points: 20 },
    when: { products: ['*coffee*'], machines: ['VEND-001'] },
    caps: { perCustomerPerDay: 100 },
  });
  const { validFrom } = (campaign.body as { current: { validFrom: string } }).current;
  console.log(`Campaign: 20 extra points per coffee at VEND-001, at most 100 a day per customer, in force from ${validFrom}`);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(validFrom) - Date.now()) + 100));

  const sale = (n: number, card: string, amount: number, product = 'Large Coffee') => ({
    transactionId: `DEMO-${run}-${n}`,
    date: new Date().toISOString(),
    amount,
    cardNumber: card,
    product,
    machineId: 'VEND-001',
  });
  const fileSales = [
    ...Array.from({ length: 10 }, (_, i) => sale(i + 1, '4111111111111111', 350)),
    sale(11, '5500000000000004', 1_999, 'Sandwich'),
    sale(12, '0004', 250, 'Water'),
    sale(13, '6011 0009 9013 9424', 400, 'Chips'),
  ];
  const key = `transactions/demo-${run}.json`;
  await client.putMomaFile(key, JSON.stringify({ transactions: fileSales }));
  console.log(`Uploaded s3://${client.endpoints.bucket}/${key} with ${fileSales.length} sales`);

  await client.sendMomaBatch([
    sale(14, '4000056655660004', 5_000, 'Gift box'),
    fileSales[0]!, // the same sale again, by the real-time path: a duplicate
    { ...sale(15, '4111111111111111', -100), product: 'Refund?' },
    '{ this is not json',
  ]);
  console.log('Sent 4 real-time messages: one new sale, one duplicate, one invalid amount, one unreadable body');

  await waitFor(async () => (await client.fileRecord(key))?.status === 'processed', 'the demo file', 60_000);
  await waitFor(async () => (await client.queueDepth(client.endpoints.momaQueueUrl)) === 0, 'the real-time queue', 60_000);

  console.log('\nBalances');
  for (const c of customers) {
    const account = await client.customer(c.userId);
    console.log(
      `  ${c.name.padEnd(6)} ${String(account?.points).padStart(6)} points  lifetime ${String(account?.lifetimePoints).padStart(6)}  tier ${String(account?.tier).padEnd(8)} punch cards completed ${account?.punchCardsCompleted}  purchases ${account?.purchaseCount}`,
    );
  }
  const redeemed = await client.admin('POST', '/admin/users/demo-alice/redemptions', {
    rewardId: 'free-vend',
    idempotencyKey: `demo-${run}`,
  });
  const redemption = redeemed.body as { redemption?: { code: string; rewardName: string }; balance?: number; message?: string };
  console.log(
    redemption.redemption
      ? `\nAlice redeemed ${redemption.redemption.rewardName}: code ${redemption.redemption.code}, balance now ${redemption.balance}`
      : `\nAlice could not redeem a free vend: ${redemption.message}`,
  );
  console.log(
    `\nFile: ${JSON.stringify(await client.fileRecord(key), ['status', 'records', 'awardedCount', 'duplicateCount', 'unmatchedCount', 'failedCount'])}`,
  );

  const table = client.endpoints.tableName;
  const unmatched =
    (
      await client.db.send(
        new ScanCommand({
          TableName: table,
          FilterExpression: '#s = :u AND begins_with(transactionId, :run)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':u': 'unmatched', ':run': `DEMO-${run}` },
        }),
      )
    ).Items ?? [];
  console.log('\nUnmatched sales (held for review)');
  for (const u of unmatched)
    console.log(`  ${u.transactionId}  $${(Number(u.amountCents) / 100).toFixed(2)}  card ending ${u.cardLast4}  ${u.unmatchedReason}`);

  const failures = (await client.failuresFrom('')).filter((f) => String(f.lastSeenAt) >= new Date(Number.parseInt(run, 36)).toISOString());
  console.log('\nFailures (stored with their reasons)');
  for (const f of failures) console.log(`  ${f.source}: ${f.reason}`);

  if (!started)
    console.log(
      `\nAlice's own view, as the loyalty app reads it:\n  curl -s -H "Authorization: Bearer $(npm run -s token -- --customer)" ${client.endpoints.customerApiUrl}/customer/me`,
    );

  client.destroy();
  await started?.stop();
}

main().catch((err: Error) => {
  console.error(`Demo failed: ${err.message}`);
  process.exit(1);
});
