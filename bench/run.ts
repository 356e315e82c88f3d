import '../local/sdk-notice';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { LocalStackClient, waitFor } from '../local/local-client';
import { type LocalStack, startLocalStack } from '../local/local-stack';
import { dynamoDbClient } from '../shared/adapters/clients/dynamodb';
import { keys, TABLE_INDEXES } from '../shared/adapters/dynamodb/table-keys';
import type { FunctionName } from '../shared/topology';
import { customersFor, salesFor, toNdjson } from '../test/support/workload';
import { measureBundles } from './bundles';
import { CapacityMeter, type Usage } from './capacity';
import { type CeilingMeasurement, type CpuSplit, cpuSplit, measureCeiling, pipelineConcurrency, round } from './ceiling';
import { costPerMillion } from './cost';
import { measureIdle } from './idle';
import { type Item, itemSize, PRICES, PRICING_RULES } from './pricing';
import { cpuSeconds } from './process-cpu';
import { printTable } from './report';
import { StreamBacklog } from './stream-backlog';

const INGEST: FunctionName[] = ['ingestFile', 'ingestMessage'];
const STREAM: FunctionName[] = ['stats', 'notify'];
/** The functions a sale costs: the two ingest paths and the stream functions it sets off. */
const PER_SALE: FunctionName[] = [...INGEST, ...STREAM];

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};

async function main() {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
  const quick = values.quick!;
  const size = quick
    ? {
        customers: 200,
        sales: 2_000,
        messageLatencySamples: 15,
        fileLatencySamples: 3,
        ceiling: { warmupSeconds: 5, windowSeconds: 5, windows: 3 },
        largeFile: [100_000, 200_000],
      }
    : {
        customers: 2_000,
        sales: 20_000,
        messageLatencySamples: 50,
        fileLatencySamples: 10,
        ceiling: { warmupSeconds: 10, windowSeconds: 10, windows: 3 },
        largeFile: [100_000, 1_000_000],
      };
  const log = (line: string) => console.error(`[bench] ${line}`);
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';

  // On the handlers' shared client before the local stack loads them; the driver's client is metered as `bench`.
  const meter = new CapacityMeter(TABLE_INDEXES);
  meter.install(dynamoDbClient);
  const stateDir = mkdtempSync(path.join(tmpdir(), 'hivis-bench-'));
  const stack = await startLocalStack({ stateDir, fresh: true, log: (l) => log(l) });
  const local = new LocalStackClient(stack.endpoints, stateDir);
  meter.install(local.db, 'bench');
  const backlog = new StreamBacklog({
    endpoint: stack.endpoints.dynamodbEndpoint,
    region: stack.endpoints.region,
    tableName: stack.endpoints.tableName,
    dataDir: stack.endpoints.dataDir,
    functions: STREAM,
  });
  const inFlight = pipelineConcurrency();
  const results: Record<string, any> = {
    mode: quick ? 'quick' : 'full',
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGb: round(totalmem() / 2 ** 30, 1), node: process.version },
    startedAt: new Date().toISOString(),
  };
  // Each ceiling measurement on a DynamoDB Local of its own (see measureCeiling): the stack's would slow down after it.
  const ceiling = (label: string) =>
    measureCeiling({
      label,
      customers: size.customers,
      concurrency: inFlight.concurrency,
      log,
      ...size.ceiling,
    });
  try {
    // The ceiling before the pipeline runs, and again after it.
    log(`ceiling before the pipeline: ${inFlight.arithmetic} awards in flight`);
    const ceilingBefore = await ceiling('before');
    log(`ceiling before: ${ceilingBefore.windows.map((w) => w.awardsPerSec).join(', ')} awards/s`);

    const pipeline = await runPipeline(stack, local, meter, backlog, size, log);

    log('latency, on the quiet pipeline');
    const latency = await measureLatency(local, size);
    log(`latency: message p95 ${latency.messageP95Ms} ms, file p95 ${latency.fileP95Ms} ms`);

    // The pipeline at rest, so nothing else works meanwhile.
    await Promise.all(stack.mappings.map((m) => m.stop({ graceful: true })));
    log('ceiling after the pipeline');
    const ceilingAfter = await ceiling('after');
    log(`ceiling after: ${ceilingAfter.windows.map((w) => w.awardsPerSec).join(', ')} awards/s`);

    Object.assign(results, summarize(pipeline, ceilingBefore, ceilingAfter, inFlight, size.ceiling, quick));
    results.latency = { ...latency, goal: 'p95 under 500 ms for a message, under 3000 ms for a 100-record file' };
    results.capacity.meterErrors = { count: meter.meterErrors, first: meter.firstMeterError };
  } finally {
    backlog.destroy();
    local.destroy();
    await stack.stop();
  }

  log('large file: parsing and validation in a fresh process per size');
  results.largeFile = size.largeFile.map((records) => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'large-file.ts'), String(records), 'ndjson'], {
      encoding: 'utf8',
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    return JSON.parse(out.trim().split('\n').pop()!);
  });
  log('cold start: bundles and initialisation');
  const bundles = await measureBundles(quick ? 3 : 7);
  results.coldStart = {
    functions: bundles.map(({ largestInputsKb: _, ...b }) => b),
    goal: 'ingest and stream functions (ingestFile, ingestMessage, stats, notify): bundle under 350 KB and initialisation under 100 ms; adminApi: bundle under 500 KB; reconcile: no goal set',
  };
  log('idle: the local stack with nothing to do');
  results.idle = { ...(await measureIdle(10, quick ? 15 : 30)), goal: 'under 0.02 of a core in total (Node and DynamoDB Local)' };
  results.prices = PRICES;

  mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  writeFileSync(path.join(__dirname, 'results', 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  printTable(results);
}

interface PipelineRun {
  sales: number;
  customers: number;
  fileRecords: number;
  messageRecords: number;
  files: number;
  sentByBothPaths: number;
  /** Until every sale was awarded. */
  seconds: number;
  /** From the last award until the queues were empty and the stream functions had handled every change. */
  drainSeconds: number;
  cpuUntilAwarded: CpuSplit;
  cpuUntilDrained: CpuSplit;
  /** DynamoDB use per function, from the start until drained. */
  usage: Record<string, Usage>;
  storage: ReturnType<CapacityMeter['images']['storageByKind']>;
  imageCheck: Awaited<ReturnType<typeof checkImages>>;
  notifications: { records: number; publishes: number };
}

/**
 * The batch workload, files and messages at once, 10% of sales sent by both paths: timed until every sale is awarded,
 * metered until the queues are empty and the stream functions have handled every change it made.
 */
async function runPipeline(
  stack: LocalStack,
  local: LocalStackClient,
  meter: CapacityMeter,
  backlog: StreamBacklog,
  size: { customers: number; sales: number },
  log: (line: string) => void,
): Promise<PipelineRun> {
  log(`throughput: ${size.sales} sales for ${size.customers} customers`);
  await local.addCustomers(customersFor('bench', size.customers));
  const sales = salesFor('BENCH', size.customers, size.sales / size.customers, 275);
  const both = sales.filter((_, i) => i % 10 === 0);
  const fileRecords = [...sales.filter((_, i) => i % 2 === 0), ...both.filter((_, i) => i % 2 === 1)];
  const messageBodies = [...sales.filter((_, i) => i % 2 === 1), ...both.filter((_, i) => i % 2 === 0)];
  const fileChunks = chunk(fileRecords, 500);
  const sink = path.join(stack.endpoints.dataDir, 'notifications.ndjson');
  const sinkBefore = notificationLines(sink);

  const before = meter.snapshot();
  const cpuStart = cpuSeconds();
  const started = performance.now();
  await Promise.all([
    ...fileChunks.map((records, i) => local.putMomaFile(`transactions/bench-${i}.ndjson`, toNdjson(records))),
    sendAll(local, messageBodies),
  ]);
  await waitFor(
    async () => CapacityMeter.diff(meter.snapshot(), before, INGEST).awardedSales >= size.sales,
    'every sale awarded',
    30 * 60_000,
    100,
  );
  const seconds = (performance.now() - started) / 1000;
  const cpuAwarded = cpuSeconds();
  log(`pipeline: ${round(size.sales / seconds, 1)} sales/s; waiting for the stream functions`);

  await drain(local, meter, backlog);
  const drainSeconds = (performance.now() - started) / 1000 - seconds;
  const cpuDrained = cpuSeconds();
  const usage = CapacityMeter.diffByFunction(meter.snapshot(), before);
  log(`drained ${round(drainSeconds, 1)} s after the last award`);
  const sinkAfter = notificationLines(sink);
  return {
    sales: size.sales,
    customers: size.customers,
    fileRecords: fileRecords.length,
    messageRecords: messageBodies.length,
    files: fileChunks.length,
    sentByBothPaths: both.length,
    seconds,
    drainSeconds,
    cpuUntilAwarded: cpuSplit(cpuStart, cpuAwarded),
    cpuUntilDrained: cpuSplit(cpuStart, cpuDrained),
    usage,
    storage: meter.images.storageByKind(stack.endpoints.tableName, TABLE_INDEXES),
    imageCheck: await checkImages(stack, meter),
    notifications: { records: sinkAfter.records - sinkBefore.records, publishes: sinkAfter.publishes - sinkBefore.publishes },
  };
}

/**
 * Waits until the queues are empty (nothing waiting, nothing in flight), the stream functions' request counts have
 * stood still for two seconds, and then the stream pollers have no backlog: every stream record is behind the
 * checkpoint its poller saves once the function has handled it. The backlog is read only once the cheap signs say
 * done, so reading the stream does not compete with the pollers while they catch up.
 */
async function drain(local: LocalStackClient, meter: CapacityMeter, backlog: StreamBacklog) {
  const streamRequests = () => STREAM.map((fn) => meter.usageOf(fn).requests).join(',');
  let last = '';
  let stillSince = Date.now();
  await waitFor(
    async () => {
      const depths = await Promise.all([
        local.queueDepth(local.endpoints.momaQueueUrl),
        local.queueDepth(local.endpoints.fileEventsQueueUrl),
      ]);
      const now = streamRequests();
      if (now !== last || depths.some((d) => d > 0)) {
        last = now;
        stillSince = Date.now();
        return false;
      }
      if (Date.now() - stillSince < 2_000) return false;
      const behind = Object.values(await backlog.count()).reduce((a, b) => a + b, 0);
      if (behind === 0) return true;
      stillSince = Date.now();
      return false;
    },
    'the queues to drain and the stream functions to catch up',
    10 * 60_000,
    250,
  );
}

/**
 * How well the meter knows the items it priced: a sample of what it remembers, evenly spread over each kind's items,
 * read back whole with an unmetered client, its remembered size against the real one.
 */
async function checkImages(stack: LocalStack, meter: CapacityMeter, perKind = 20) {
  const client = new DynamoDBClient({
    endpoint: stack.endpoints.dynamodbEndpoint,
    region: stack.endpoints.region,
    credentials: stack.endpoints.credentials,
  });
  const all: Record<string, { pk: string; sk: string; size: number }[]> = {};
  for (const image of meter.images.of(stack.endpoints.tableName)) {
    const kind = (image.keys.PK ?? '').split('#')[0]!;
    all[kind] ??= [];
    all[kind].push({ pk: image.keys.PK!, sk: image.keys.SK!, size: image.size });
  }
  const taken = Object.fromEntries(
    Object.entries(all).map(([kind, list]) => {
      const step = Math.max(1, Math.floor(list.length / perKind));
      return [kind, list.filter((_, i) => i % step === 0).slice(0, perKind)];
    }),
  );
  const byKind: Record<string, { sampled: number; meanBytes: number; meanAbsErrorBytes: number; maxAbsErrorBytes: number }> = {};
  try {
    for (const [kind, list] of Object.entries(taken)) {
      const errors: number[] = [];
      let total = 0;
      for (const { pk, sk, size } of list) {
        const out = await client.send(new GetItemCommand({ TableName: stack.endpoints.tableName, Key: { PK: { S: pk }, SK: { S: sk } } }));
        const actual = itemSize(out.Item as Item | undefined);
        total += actual;
        errors.push(Math.abs(actual - size));
      }
      byKind[kind] = {
        sampled: list.length,
        meanBytes: round(total / list.length, 1),
        meanAbsErrorBytes: round(errors.reduce((a, b) => a + b, 0) / list.length, 1),
        maxAbsErrorBytes: Math.max(...errors),
      };
    }
  } finally {
    client.destroy();
  }
  return byKind;
}

/** Notifications the local sink holds: one line each; publishes are the SNS calls they stand for (topic, push). */
function notificationLines(file: string) {
  if (!existsSync(file)) return { records: 0, publishes: 0 };
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  let publishes = 0;
  for (const line of lines) {
    const channels = (JSON.parse(line) as { channels?: string[] }).channels ?? ['local-sink'];
    publishes += channels.length;
  }
  return { records: lines.length, publishes };
}

/** Every figure of the run, as written to latest.json: throughput against the ceiling, CPU, capacity, cost. */
function summarize(
  p: PipelineRun,
  before: CeilingMeasurement,
  after: CeilingMeasurement,
  inFlight: ReturnType<typeof pipelineConcurrency>,
  ceilingSize: { warmupSeconds: number; windowSeconds: number; windows: number },
  quick: boolean,
) {
  const pipelineSalesPerSec = p.sales / p.seconds;
  // The conservative ceiling: the higher of the two medians.
  const basis = after.medianPerSec >= before.medianPerSec ? after : before;
  const perSale = (split: CpuSplit) => ({
    node: round(split.node / p.sales, 6),
    jvm: round(split.jvm / p.sales, 6),
    total: round(split.total / p.sales, 6),
  });
  const pipelineCpu = perSale(p.cpuUntilDrained);
  // The conservative CPU ratio: against the ceiling that used less CPU per award.
  const cpuBasis = after.cpuSecondsPerAward.total <= before.cpuSecondsPerAward.total ? after : before;
  const ratioOf = (a: number, b: number) => round(a / Math.max(1e-12, b), 2);

  const use = (fns: readonly string[]) => CapacityMeter.diff(p.usage, {}, fns);
  const ingest = use(INGEST);
  const all = use(PER_SALE);
  const file = use(['ingestFile']);
  const message = use(['ingestMessage']);
  const path = (u: Usage, records: number) => ({
    records,
    awarded: u.awardedSales,
    requests: u.requests,
    requestsPerSale: round(u.requests / records, 3),
    realWriteUnitsPerSale: round(u.real.writeUnits / records, 3),
    realReadUnitsPerSale: round(u.real.readUnits / records, 3),
    byCommandPerSale: Object.fromEntries(Object.entries(u.byCommand).map(([k, v]) => [k, round(v / records, 3)])),
  });
  const units = (u: Usage) => ({
    realWriteUnits: round(u.real.writeUnits / p.sales, 3),
    realReadUnits: round(u.real.readUnits / p.sales, 3),
    realIndexWriteUnits: round(u.real.indexWriteUnits / p.sales, 3),
    realFailedWriteUnits: round(u.real.failedWriteUnits / p.sales, 3),
    localWriteUnits: round(u.local.writeUnits / p.sales, 3),
    localReadUnits: round(u.local.readUnits / p.sales, 3),
    requests: round(u.requests / p.sales, 3),
  });
  const functions = Object.fromEntries(
    PER_SALE.map((fn) => [fn, { invocations: p.usage[fn]?.invocations ?? 0, requests: p.usage[fn]?.requests ?? 0 }]),
  );

  return {
    ceiling: {
      concurrency: inFlight.concurrency,
      concurrencyArithmetic: inFlight.arithmetic,
      windows: `${ceilingSize.windows} windows of ${ceilingSize.windowSeconds} s after a discarded ${ceilingSize.warmupSeconds} s warm-up${quick ? ' (quick mode: 5 s windows; full runs use 10 s)' : ''}`,
      before,
      after,
      conservativeMedianPerSec: basis.medianPerSec,
      basis: basis.label,
    },
    throughput: {
      sales: p.sales,
      customers: p.customers,
      fileRecords: p.fileRecords,
      messageRecords: p.messageRecords,
      files: p.files,
      sentByBothPaths: p.sentByBothPaths,
      seconds: round(p.seconds, 1),
      pipelineSalesPerSec: round(pipelineSalesPerSec, 1),
      ceilingSalesPerSec: basis.medianPerSec,
      ceilingBasis: `the ${basis.label}-pipeline ceiling's median (the higher of before ${before.medianPerSec} and after ${after.medianPerSec})`,
      ratio: round(pipelineSalesPerSec / basis.medianPerSec, 2),
      streamFunctionsCaughtUpAfterSeconds: round(p.drainSeconds, 1),
      goal: 'ratio >= 1.0',
    },
    cpu: {
      pipelineUntilAwarded: { seconds: round(p.seconds, 1), perSale: perSale(p.cpuUntilAwarded) },
      pipelineUntilDrained: { seconds: round(p.seconds + p.drainSeconds, 1), perSale: pipelineCpu },
      ceilingBefore: before.cpuSecondsPerAward,
      ceilingAfter: after.cpuSecondsPerAward,
      ratio: {
        node: ratioOf(pipelineCpu.node, cpuBasis.cpuSecondsPerAward.node),
        jvm: ratioOf(pipelineCpu.jvm, cpuBasis.cpuSecondsPerAward.jvm),
        total: ratioOf(pipelineCpu.total, cpuBasis.cpuSecondsPerAward.total),
        ceiling: cpuBasis.label,
        basis: `pipeline until every change was handled (ingest, stats, notify) over the ${cpuBasis.label}-pipeline ceiling, the one with less CPU per award`,
      },
      note: "CPU seconds per sale (per award for the ceilings). Node is this whole process: the functions, the S3, SQS and Cognito emulators, the benchmark's driver and meter. JVM is DynamoDB Local's Java processes: during a ceiling its own instance and the stack's idle one. Other children (cognito-local) count in the total only. The ceiling's Node share is the award code, its client and the idle stack.",
    },
    capacity: {
      pricingRules: PRICING_RULES,
      perSale: { ingest: units(ingest), ingestStatsNotify: units(all) },
      perSaleByFunction: Object.fromEntries(PER_SALE.map((fn) => [fn, units(use([fn]))])),
      byPath: { file: path(file, p.fileRecords), message: path(message, p.messageRecords) },
      byFunction: p.usage,
      storageByKind: p.storage,
      itemSizeCheck: p.imageCheck,
      goals:
        'requests per sale (ingest function alone): file path <= 1.2, message path <= 2.2; real write units per sale (ingest + stats + notify) <= 8, read units <= 1',
      note: "local units are DynamoDB Local's ConsumedCapacity (it charges the award transaction 16 with index keys); real units are computed from the requests by pricingRules. Per sale: per distinct sale of the workload; per path: per record delivered by that path (duplicates included).",
    },
    notifications: p.notifications,
    cost: costPerMillion({
      sales: p.sales,
      writeUnitsPerSale: all.real.writeUnits / p.sales,
      readUnitsPerSale: all.real.readUnits / p.sales,
      storage: p.storage,
      nodeCpuSecondsPerSale: p.cpuUntilDrained.node / p.sales,
      functions,
      messageRecords: p.messageRecords,
      files: p.files,
      publishes: p.notifications.publishes,
    }),
  };
}

function chunk<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}

async function sendAll(local: LocalStackClient, bodies: unknown[]) {
  const batches = chunk(bodies, 10);
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = next++; i < batches.length; i = next++) await local.sendMomaBatch(batches[i]!);
    }),
  );
}

async function measureLatency(local: LocalStackClient, size: { messageLatencySamples: number; fileLatencySamples: number }) {
  const messageMs: number[] = [];
  for (let i = 0; i < size.messageLatencySamples; i++) {
    const userId = `bench-${i}`;
    const before = (await local.customer(userId))!.purchaseCount;
    const started = Date.now();
    await local.sendMomaMessage({
      transactionId: `LAT-MSG-${i}`,
      date: new Date().toISOString(),
      amount: 100,
      cardNumber: customersFor('bench', i + 1)[i]!.cardNumber,
      product: 'Tea',
      machineId: 'VEND-LAT',
    });
    await waitFor(async () => (await local.customer(userId))!.purchaseCount > before, 'the message to be awarded', 60_000, 10);
    messageMs.push(Date.now() - started);
  }
  const fileMs: number[] = [];
  const customers = customersFor('bench', 100);
  for (let f = 0; f < size.fileLatencySamples; f++) {
    const counts = await purchaseCounts(
      local,
      customers.map((c) => c.userId),
    );
    const records = customers.map((c, i) => ({
      transactionId: `LAT-FILE-${f}-${i}`,
      date: new Date().toISOString(),
      amount: 100,
      cardNumber: c.cardNumber,
      product: 'Tea',
      machineId: 'VEND-LAT',
    }));
    const started = Date.now();
    await local.putMomaFile(`transactions/latency-${f}.json`, JSON.stringify(records));
    await waitFor(
      async () => {
        const now = await purchaseCounts(
          local,
          customers.map((c) => c.userId),
        );
        return customers.every((c) => now.get(c.userId)! > counts.get(c.userId)!);
      },
      'the 100-record file to be awarded',
      120_000,
      20,
    );
    fileMs.push(Date.now() - started);
  }
  return {
    messageSamples: messageMs.length,
    messageP50Ms: percentile(messageMs, 50),
    messageP95Ms: percentile(messageMs, 95),
    fileSamples: fileMs.length,
    fileP50Ms: percentile(fileMs, 50),
    fileP95Ms: percentile(fileMs, 95),
  };
}

async function purchaseCounts(local: LocalStackClient, userIds: string[]) {
  const out = await local.db.send(
    new BatchGetCommand({
      RequestItems: { [local.endpoints.tableName]: { Keys: userIds.map(keys.customer), ProjectionExpression: 'userId, purchaseCount' } },
    }),
  );
  return new Map((out.Responses?.[local.endpoints.tableName] ?? []).map((i) => [String(i.userId), Number(i.purchaseCount)]));
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(`benchmark failed: ${err.stack ?? err.message}`);
    process.exit(1);
  });
}
