type Row = [name: string, value: string, verdict: string];

/** "meets <goal>" or "MISSES <goal>". */
const verdict = (ok: boolean, goal: string) => `${ok ? 'meets' : 'MISSES'} ${goal}`;

const BUNDLE_GOALS: Record<string, { kb: number; initMs?: number }> = {
  ingestFile: { kb: 350, initMs: 100 },
  ingestMessage: { kb: 350, initMs: 100 },
  stats: { kb: 350, initMs: 100 },
  notify: { kb: 350, initMs: 100 },
  adminApi: { kb: 500 },
};

const cpu = (c: { node: number; jvm: number; total: number }) =>
  `${(c.node * 1000).toFixed(2)} / ${(c.jvm * 1000).toFixed(2)} / ${(c.total * 1000).toFixed(2)} ms`;

function ceilingRows(label: string, c: any): Row[] {
  return [
    [
      `ceiling ${label} the pipeline: windows, awards/s`,
      `${c.windows.map((w: any) => w.awardsPerSec).join(', ')}`,
      `median ${c.medianPerSec}, spread ${c.minPerSec}–${c.maxPerSec} (max/min ${c.spread})`,
    ],
    [
      `  CPU per award (Node / JVM / total)`,
      cpu(c.cpuSecondsPerAward),
      `${c.perAward.requests} requests, ${c.perAward.realWriteUnits} WRU, ${c.perAward.realReadUnits} RRU per award`,
    ],
  ];
}

/** The benchmark's table: every figure with a goal says whether it meets it. */
export function printTable(results: Record<string, any>) {
  const t = results.throughput;
  const cl = results.ceiling;
  const cp = results.cpu;
  const cap = results.capacity;
  const l = results.latency;
  const file = cap.byPath.file;
  const message = cap.byPath.message;
  const real = cap.perSale.ingestStatsNotify;
  const cost = results.cost;
  const failures = Object.entries(cap.byFunction as Record<string, any>)
    .filter(([fn]) => ['ingestFile', 'ingestMessage', 'stats', 'notify'].includes(fn))
    .map(([fn, u]): Row => {
      const reasons = Object.entries(u.failures.cancellationReasons as Record<string, number>).map(([code, n]) => `${code} ${n}`);
      const others = Object.entries(u.failures.errors as Record<string, number>).map(([name, n]) => `${name} ${n}`);
      return [
        `  failed requests, ${fn}`,
        `${u.failures.conditionalCheckFailed} conditional, ${u.failures.transactionCanceled} cancelled`,
        [reasons.length ? `reasons: ${reasons.join(', ')}` : '', others.join(', ')].filter(Boolean).join('; '),
      ];
    });

  const rows: Row[] = [
    [
      `pipeline: ${t.sales} sales (files + messages, ${t.sentByBothPaths} by both)`,
      `${t.pipelineSalesPerSec} sales/s`,
      `streams caught up ${t.streamFunctionsCaughtUpAfterSeconds} s after`,
    ],
    [`  CPU per sale (Node / JVM / total)`, cpu(cp.pipelineUntilDrained.perSale), 'until every change was handled'],
    [`  CPU per sale until the last award`, cpu(cp.pipelineUntilAwarded.perSale), ''],
    ...ceilingRows('before', cl.before),
    ...ceilingRows('after', cl.after),
    [`ratio: pipeline / ceiling (${cl.basis}'s median, the higher)`, String(t.ratio), verdict(t.ratio >= 1, '>= 1.0')],
    [
      `CPU per sale, pipeline / ceiling (${cp.ratio.ceiling}: less CPU per award)`,
      `${cp.ratio.total}`,
      `Node ${cp.ratio.node}, JVM ${cp.ratio.jvm}`,
    ],
    ['requests per sale, file path (ingestFile)', String(file.requestsPerSale), verdict(file.requestsPerSale <= 1.2, '<= 1.2')],
    ['requests per sale, message path (ingestMessage)', String(message.requestsPerSale), verdict(message.requestsPerSale <= 2.2, '<= 2.2')],
    ['write units per sale, real (ingest+stats+notify)', String(real.realWriteUnits), verdict(real.realWriteUnits <= 8, '<= 8')],
    ['read units per sale, real (ingest+stats+notify)', String(real.realReadUnits), verdict(real.realReadUnits <= 1, '<= 1')],
    [
      '  write units by function',
      Object.entries(cap.perSaleByFunction as Record<string, any>)
        .map(([fn, u]) => `${fn} ${u.realWriteUnits}`)
        .join(', '),
      `indexes ${real.realIndexWriteUnits}, failed writes ${real.realFailedWriteUnits} (cancelled packs charged in full: an upper bound)`,
    ],
    [
      '  as DynamoDB Local reports: write / read',
      `${real.localWriteUnits} / ${real.localReadUnits}`,
      'no goal (its ConsumedCapacity is not what DynamoDB charges)',
    ],
    ...failures,
    ['message latency p50 / p95 ms', `${l.messageP50Ms} / ${l.messageP95Ms}`, verdict(l.messageP95Ms < 500, 'p95 < 500')],
    ['100-record file latency p50 / p95 ms', `${l.fileP50Ms} / ${l.fileP95Ms}`, verdict(l.fileP95Ms < 3000, 'p95 < 3000')],
    ...results.largeFile.map(
      (f: any): Row => [
        `large file ${f.records} records: rec/s, peak RSS MB`,
        `${f.recordsPerSec}, ${f.peakRssMb}`,
        verdict(f.peakRssMb < 300, '< 300 MB'),
      ],
    ),
    ...results.coldStart.functions.map((f: any): Row => {
      const goal = BUNDLE_GOALS[f.function];
      const name = `${f.function}: bundle KB, init ms`;
      if (!goal) return [name, `${f.bundleKb}, ${f.initMs}`, 'no goal set'];
      const sizeOk = f.bundleKb < goal.kb;
      const initOk = goal.initMs === undefined || f.initMs < goal.initMs;
      const text = `< ${goal.kb} KB${goal.initMs ? `, < ${goal.initMs} ms` : ''}`;
      return [name, `${f.bundleKb}, ${f.initMs}`, verdict(sizeOk && initOk, text)];
    }),
    [
      'idle local stack, share of a core (Node + JVM + other)',
      `${results.idle.nodeCore} + ${results.idle.dynamoDbLocalCore} + ${results.idle.otherChildrenCore}`,
      verdict(results.idle.totalCore < 0.02, '< 0.02'),
    ],
    ['$ per million sales, all in', String(cost.dollarsPerMillionSales), verdict(cost.dollarsPerMillionSales <= 6, '<= $6')],
    ...Object.entries(cost.breakdown as Record<string, number>).map(([k, v]): Row => [`  ${k}`, `$${v}`, '']),
  ];
  const nameWidth = Math.max(...rows.map((r) => r[0].length));
  const valueWidth = Math.min(30, Math.max(...rows.map((r) => r[1].length)));
  console.log(`\nHi-Vis Loyalty benchmark (${results.mode}, ${results.machine.cpus} cores, ${results.machine.node})`);
  console.log(`ceiling: the real single award at ${cl.concurrency} in flight (${cl.concurrencyArithmetic}); ${cl.windows}\n`);
  for (const [name, value, v] of rows) console.log(`${name.padEnd(nameWidth)}  ${value.padEnd(valueWidth)}  ${v}`.trimEnd());
  console.log(`\nDynamoDB storage: each further month a million sales stay costs $${cost.dynamodbStorageEachFurtherMonth} more`);
  console.log('written to bench/results/latest.json');
}
