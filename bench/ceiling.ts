import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startDynamoDbLocal } from '../local/dynamodb-local';
import { REGION } from '../local/emulators';
import { addCustomer } from '../local/local-client';
import { freePort } from '../local/servers';
import { HmacCardHasher } from '../shared/adapters/card-hasher';
import { DynamoDbCustomerStore } from '../shared/adapters/dynamodb/customer-store';
import { DynamoDbLoyaltyLedger } from '../shared/adapters/dynamodb/loyalty-ledger';
import { tableDefinition } from '../shared/adapters/dynamodb/table-definition';
import { TABLE_INDEXES } from '../shared/adapters/dynamodb/table-keys';
import { planAward } from '../shared/domain/loyalty';
import { type MomaSale, validateMomaRecord } from '../shared/domain/moma-record';
import { DEFAULT_PROGRAM } from '../shared/domain/program';
import type { SaleOrigin } from '../shared/domain/sale';
import { FILE_RECORDS_IN_FLIGHT } from '../shared/ingest/ingest-file';
import { toSaleRecord } from '../shared/ingest/ingest-sale';
import { retryOptimistically } from '../shared/ingest/optimistic-retry';
import { systemClock } from '../shared/ingest/ports';
import { FUNCTIONS } from '../shared/topology';
import { cardNumberFor, customersFor } from '../test/support/workload';
import { CapacityMeter, type Usage } from './capacity';
import { cpuSeconds } from './process-cpu';

/** Records one file worker awards at once: ingest-file's default. */
export const FILE_AWARDS_IN_FLIGHT = FILE_RECORDS_IN_FLIGHT;

/**
 * The most awards the local pipeline has in flight: each file poller hands one file (batch size 1) to an invocation
 * that awards FILE_AWARDS_IN_FLIGHT of its records at once; each message poller hands a batch of messages to an
 * invocation that processes them all in parallel (powertools' BatchProcessor), one sale each in this workload.
 */
export function pipelineConcurrency() {
  const file = FUNCTIONS.ingestFile.trigger;
  const message = FUNCTIONS.ingestMessage.trigger;
  if (file.type !== 'sqs' || message.type !== 'sqs') throw new Error('the ingest functions are expected to be SQS-triggered');
  const files = file.localPollers * file.batchSize * FILE_AWARDS_IN_FLIGHT;
  const messages = message.localPollers * message.batchSize;
  return {
    concurrency: files + messages,
    arithmetic: `ingestFile ${file.localPollers} pollers × ${file.batchSize} file × ${FILE_AWARDS_IN_FLIGHT} records in flight + ingestMessage ${message.localPollers} pollers × ${message.batchSize} messages = ${files} + ${messages} = ${files + messages}`,
  };
}

export interface CeilingOptions {
  /**
   * Measure on this DynamoDB Local (diagnostics). By default each measurement starts a fresh DynamoDB Local of its own,
   * on disk as the stack's, and stops it afterwards: see measureCeiling.
   */
  endpoint?: string;
  /** before / after (the pipeline run): names the table and the sales. */
  label: string;
  customers: number;
  concurrency: number;
  warmupSeconds: number;
  windowSeconds: number;
  windows: number;
  /** Diagnostics only: a table without its stream (the ceiling proper has the pipeline table's stream). */
  withoutStream?: boolean;
  log?: (line: string) => void;
}

/** CPU seconds: this Node process, DynamoDB Local's JVM(s), the other child processes (cognito-local), and all. */
export interface CpuSplit {
  node: number;
  jvm: number;
  otherChildren: number;
  total: number;
}

export interface CeilingWindow {
  seconds: number;
  awards: number;
  awardsPerSec: number;
  /** Stale-account retries (the account changed between read and commit). */
  retries: number;
  /** CPU seconds used in the window, and per award. */
  cpuSeconds: CpuSplit;
  cpuSecondsPerAward: CpuSplit;
}

export interface CeilingMeasurement {
  label: string;
  /** Where it ran: a fresh DynamoDB Local of its own, or the endpoint given. */
  dynamodbLocal: string;
  customers: number;
  concurrency: number;
  warmup: CeilingWindow;
  windows: CeilingWindow[];
  medianPerSec: number;
  minPerSec: number;
  maxPerSec: number;
  /** max / min of the measured windows. */
  spread: number;
  /** Over all measured windows. */
  cpuSecondsPerAward: CpuSplit;
  /** DynamoDB use per award over the measured windows: requests, and units both ways. */
  perAward: { requests: number; realWriteUnits: number; realReadUnits: number; localWriteUnits: number; localReadUnits: number };
  failures: Usage['failures'];
}

/**
 * The single-award ceiling: the real award, and nothing else, at the pipeline's concurrency, on a table made as the
 * pipeline's is (its indexes and its stream) with customers created as the pipeline's are. Each award builds the sale
 * record as ingest does (toSaleRecord, a real HMAC card hasher), reads the account (eventually consistent), plans the
 * award (planAward, the default program) and commits it in its own transaction (commitAward: one award, no packing);
 * a stale account is read again consistently and re-planned, with the pipeline's retry loop.
 *
 * Awards run continuously; a discarded warm-up window is followed by `windows` measured ones.
 *
 * Each measurement has a DynamoDB Local of its own, started fresh and stopped afterwards (the table is still deleted
 * afterwards, as nothing reads its stream). DynamoDB Local keeps a table's stream records after the table is deleted,
 * and every streamed write after them is slower for it. Measured with bench/dynamodb-local-streams.ts (this function,
 * three times in a row on one instance, a new table each time, deleted after): 170-200, then 25, then 15-20 awards/s,
 * JVM CPU per award 5, 39, 49 ms; in memory 170, 77, 54; without streams 175-245 every time; disabling the stream
 * or reading it to its end before the delete changed nothing. On the stack's DynamoDB Local a ceiling measured before
 * the pipeline slowed the pipeline from 177 to 19-32 sales/s, and one measured after it ran at 8-11 awards/s.
 */
export async function measureCeiling(options: CeilingOptions): Promise<CeilingMeasurement> {
  if (options.endpoint) return measureOn(options.endpoint, options, options.endpoint);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hivis-ceiling-'));
  const own = await startDynamoDbLocal({ port: await freePort(), dataDir, onUnexpectedExit: options.log });
  try {
    return await measureOn(own.endpoint, options, 'a fresh DynamoDB Local of its own (same jar, flags and on-disk database as the stack)');
  } finally {
    await own.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function measureOn(endpoint: string, options: CeilingOptions, where: string): Promise<CeilingMeasurement> {
  const log = options.log ?? (() => undefined);
  const client = new DynamoDBClient({
    endpoint,
    region: REGION,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const meter = new CapacityMeter(TABLE_INDEXES);
  meter.install(client, 'ceiling');
  // As the functions' document client (shared/adapters/clients/dynamodb.ts) is configured.
  const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false } });
  const table = `bench-ceiling-${options.label}-${Date.now()}`;
  const definition = tableDefinition(table);
  await client.send(new CreateTableCommand(options.withoutStream ? { ...definition, StreamSpecification: undefined } : definition));
  try {
    const hasher = new HmacCardHasher(randomBytes(32).toString('hex'));
    const customers = customersFor('ceiling', options.customers);
    const store = new DynamoDbCustomerStore(db, table);
    await inParallel(16, customers, (c) => addCustomer(store, hasher, c.userId, c.cardNumber));
    log(`ceiling ${options.label}: ${customers.length} customers created; ${options.concurrency} awards in flight`);

    const ledger = new DynamoDbLoyaltyLedger(db, table);
    const deps = { hasher, clock: systemClock };
    const prefix = `CEIL${options.label.toUpperCase()}`;
    let next = 0;
    let awards = 0;
    let retries = 0;
    let stop = false;
    let failure: unknown;
    const award = async (i: number) => {
      const customer = customers[i % customers.length]!;
      const sale = ceilingSale(prefix, i, customers.length);
      // Half the sales as a file's records, half as messages: the `source` they carry is as long as the pipeline's.
      const origin: SaleOrigin =
        i % 2 === 0
          ? {
              kind: 's3',
              bucket: 'hi-vis-moma-data',
              key: `transactions/${prefix}-${Math.floor(i / 500)}.ndjson`,
              index: i % 500,
              line: (i % 500) + 1,
            }
          : { kind: 'sqs', queue: 'hi-vis-notifications', messageId: randomUUID(), index: 0 };
      const record = toSaleRecord(sale, origin, deps);
      const outcome = await retryOptimistically(async (attempt) => {
        const account = await ledger.getAccount(customer.userId, { consistent: attempt > 1 });
        if (!account) throw new Error(`ceiling customer ${customer.userId} has no account`);
        const result = await ledger.commitAward(record, planAward(account, record.amountCents, DEFAULT_PROGRAM));
        if (result.kind === 'committed') return { kind: 'done' as const, value: undefined };
        if (result.kind === 'exists') throw new Error(`ceiling sale ${record.transactionId} exists already`);
        retries += 1;
        return { kind: 'retry' as const, reason: result.reason };
      });
      if (outcome.kind === 'gave_up') throw new Error(`ceiling sale ${record.transactionId}: gave up after ${outcome.attempts} attempts`);
      awards += 1;
    };
    const workers = Array.from({ length: options.concurrency }, async () => {
      while (!stop) {
        try {
          await award(next++);
        } catch (err) {
          failure ??= err;
          stop = true;
        }
      }
    });

    const sample = () => ({ at: performance.now(), awards, retries, cpu: cpuSeconds(), usage: meter.snapshot() });
    const first = sample();
    let previous = first;
    const windows: CeilingWindow[] = [];
    let measuredFrom = first;
    for (let w = 0; w <= options.windows && !stop; w++) {
      await new Promise((r) => setTimeout(r, (w === 0 ? options.warmupSeconds : options.windowSeconds) * 1000));
      const now = sample();
      windows.push(windowBetween(previous, now));
      if (w === 0) measuredFrom = now;
      previous = now;
    }
    stop = true;
    await Promise.all(workers);
    if (failure) throw failure;

    const [warmup, ...measured] = windows as [CeilingWindow, ...CeilingWindow[]];
    const rates = measured.map((w) => w.awardsPerSec);
    const all = windowBetween(measuredFrom, previous);
    const usage = CapacityMeter.diff(previous.usage, measuredFrom.usage, ['ceiling']);
    const per = (n: number) => round(n / Math.max(1, all.awards), 3);
    return {
      label: options.label,
      dynamodbLocal: where,
      customers: customers.length,
      concurrency: options.concurrency,
      warmup,
      windows: measured,
      medianPerSec: round(median(rates), 1),
      minPerSec: round(Math.min(...rates), 1),
      maxPerSec: round(Math.max(...rates), 1),
      spread: round(Math.max(...rates) / Math.max(1e-9, Math.min(...rates)), 2),
      cpuSecondsPerAward: all.cpuSecondsPerAward,
      perAward: {
        requests: per(usage.requests),
        realWriteUnits: per(usage.real.writeUnits),
        realReadUnits: per(usage.real.readUnits),
        localWriteUnits: per(usage.local.writeUnits),
        localReadUnits: per(usage.local.readUnits),
      },
      failures: usage.failures,
    };
  } finally {
    await client.send(new DeleteTableCommand({ TableName: table })).catch((err: Error) => log(`could not delete ${table}: ${err.message}`));
    client.destroy();
  }
}

/** The sale `salesFor` (test/support/workload.ts) makes for this customer and round, as the pipeline's: validated as ingest validates it. */
function ceilingSale(prefix: string, i: number, customers: number): MomaSale {
  const c = i % customers;
  const pass = Math.floor(i / customers);
  const validation = validateMomaRecord({
    transactionId: `${prefix}-${c}-${pass}`,
    date: new Date(Date.UTC(2025, 0, 1, 8) + pass * 60_000 + c * 1_000).toISOString(),
    amount: 275,
    cardNumber: cardNumberFor(c),
    product: 'Large Coffee',
    machineId: `VEND-${c % 25}`,
  });
  if (!validation.ok) throw new Error(`the ceiling's sale does not validate: ${JSON.stringify(validation.errors)}`);
  return validation.sale;
}

function windowBetween(
  a: { at: number; awards: number; retries: number; cpu: ReturnType<typeof cpuSeconds> },
  b: { at: number; awards: number; retries: number; cpu: ReturnType<typeof cpuSeconds> },
): CeilingWindow {
  const seconds = (b.at - a.at) / 1000;
  const awards = b.awards - a.awards;
  const cpu = cpuSplit(a.cpu, b.cpu);
  const per = (n: number) => round(n / Math.max(1, awards), 6);
  return {
    seconds: round(seconds, 2),
    awards,
    awardsPerSec: round(awards / seconds, 1),
    retries: b.retries - a.retries,
    cpuSeconds: {
      node: round(cpu.node, 3),
      jvm: round(cpu.jvm, 3),
      otherChildren: round(cpu.otherChildren, 3),
      total: round(cpu.total, 3),
    },
    cpuSecondsPerAward: { node: per(cpu.node), jvm: per(cpu.jvm), otherChildren: per(cpu.otherChildren), total: per(cpu.total) },
  };
}

/** CPU seconds between two readings, split as CpuSplit. */
export function cpuSplit(before: ReturnType<typeof cpuSeconds>, after: ReturnType<typeof cpuSeconds>): CpuSplit {
  const node = after.node - before.node;
  const children = after.children - before.children;
  const jvm = after.jvm - before.jvm;
  return { node, jvm, otherChildren: children - jvm, total: node + children };
}

async function inParallel<T>(concurrency: number, items: readonly T[], task: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < items.length; i = next++) await task(items[i]!);
    }),
  );
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
