import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { LocalStackClient, waitFor } from '../../local/local-client';
import { type LocalStackProcess, spawnLocalStack } from '../support/local-stack-process';
import { momaSale } from '../support/moma';

const MESSAGES = 200;
const FAULT_RATE = 0.05;
const CARD = '4111 1111 1111 3001';

let stack: LocalStackProcess | undefined;
let local: LocalStackClient | undefined;
afterAll(async () => {
  local?.destroy();
  await stack?.stop();
});

/** 10 points per dollar, and 50 bonus points for every 10th purchase (the default program; multipliers 1.0). */
const expectedPoints = (amounts: number[]) =>
  amounts.reduce((sum, cents) => sum + Math.floor((cents * 10) / 100), 0) + Math.floor(amounts.length / 10) * 50;

async function failureItems(client: LocalStackClient) {
  const out = await client.db.send(
    new ScanCommand({
      TableName: client.endpoints.tableName,
      FilterExpression: 'entity = :f',
      ExpressionAttributeValues: { ':f': 'failure' },
    }),
  );
  return out.Items ?? [];
}

test(`${MESSAGES} single-sale messages for one customer, with ${FAULT_RATE * 100}% of DynamoDB requests failing transiently: every sale awarded exactly once, none vanished`, async () => {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'hivis-hot-'));
  // A stack of its own, whose functions meet throttling, 500s and dropped connections (before and after a write).
  stack = await spawnLocalStack(stateDir, ['--fresh', '--inject-faults', String(FAULT_RATE)]);
  local = new LocalStackClient(stack.endpoints, stateDir);
  const client = local;
  await client.addCustomer('hot-ann', CARD);

  const amounts = Array.from({ length: MESSAGES }, (_, i) => 100 + (i % 7) * 10);
  const sales = amounts.map((amount, i) => momaSale({ transactionId: `HOT-${String(i).padStart(4, '0')}`, cardNumber: CARD, amount }));
  const batches = Array.from({ length: MESSAGES / 10 }, (_, b) => sales.slice(b * 10, b * 10 + 10));
  for (let i = 0; i < batches.length; i += 4) await Promise.all(batches.slice(i, i + 4).map((batch) => client.sendMomaBatch(batch)));

  const sent = Date.now();
  await waitFor(
    async () => (await client.countSales('HOT-')) === MESSAGES && (await client.queueDepth(client.endpoints.momaQueueUrl)) === 0,
    `all ${MESSAGES} sales awarded and the queue drained`,
    90_000,
    500,
  );

  console.log(`${MESSAGES} hot-customer sales awarded in ${Date.now() - sent} ms`);
  expect(await client.customer('hot-ann')).toMatchObject({ purchaseCount: MESSAGES, points: expectedPoints(amounts) });
  expect(await client.queueDepth(client.endpoints.momaDlqUrl)).toBe(0);
  const parked = await client.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: client.endpoints.momaDlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
  );
  expect(parked.Messages ?? []).toEqual([]);
  // A transient fault is never mistaken for bad input.
  expect(await failureItems(client)).toEqual([]);

  // The faults really happened, of every kind.
  local.destroy();
  local = undefined;
  await stack.stop();
  const counts = JSON.parse(/fault proxy: (\{.*\})/.exec(stack.output())?.[1] ?? '{}') as Record<string, number>;
  stack = undefined;
  for (const kind of ['throttling', 'server-error', 'drop-before', 'drop-after']) expect(counts[kind]).toBeGreaterThan(0);
}, 150_000);
