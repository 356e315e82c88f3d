import { FILE_RECORDS_IN_FLIGHT } from '../shared/ingest/ingest-file';
import { FUNCTIONS, type FunctionName } from '../shared/topology';
import { round } from './ceiling';
import { PRICES } from './pricing';

/** Per-kind storage the run left in the table (bench/item-images.ts storageByKind). */
export type StorageByKind = Record<string, { items: number; bytes: number; storageBytes: number }>;

/** How long each kind of item caused by sales is kept (shared/domain/retention.ts); Infinity: as long as the account. */
const RETENTION_DAYS_BY_KIND: Record<string, number> = {
  SALE: Number.POSITIVE_INFINITY,
  STATS: Number.POSITIVE_INFINITY,
  NOTIFICATION: 30,
  STATSBATCH: 7,
  FILE: 400,
  FAILURE: 90,
};
/** Items made by the operators (customers and their cards), not by sales. */
const NOT_PER_SALE = new Set(['CUSTOMER']);

/** One vCPU at 1,769 MB: below it a function gets memory/1769 of a core, so CPU-bound work lasts cpu × 1769/memory. */
const MB_PER_VCPU = 1_769;
/** Assumed latency of one DynamoDB request from Lambda, and of one SNS publish (not measurable against the emulators). */
const DYNAMODB_REQUEST_MS = 5;
const SNS_PUBLISH_MS = 15;
/** Sales a function works on at once within one invocation (ingest-file's records in flight, a message batch's 10; streams in order). */
const IN_FLIGHT: Partial<Record<FunctionName, number>> = { ingestFile: FILE_RECORDS_IN_FLIGHT, ingestMessage: 10, stats: 1, notify: 1 };

export interface CostInputs {
  sales: number;
  /** Real (computed) units of ingest, stats and notify, per sale. */
  writeUnitsPerSale: number;
  readUnitsPerSale: number;
  storage: StorageByKind;
  /** Node's CPU seconds per sale over the pipeline run until every change was handled. */
  nodeCpuSecondsPerSale: number;
  /** Per function: invocations and DynamoDB requests in the run. */
  functions: Partial<Record<FunctionName, { invocations: number; requests: number }>>;
  messageRecords: number;
  files: number;
  /** SNS publishes (topic and push) the notify function made. */
  publishes: number;
}

/**
 * Dollars per million sales, all in, from the run's measured figures and list prices (bench/pricing.ts PRICES). Each
 * line says what it rests on in `assumptions`.
 */
export function costPerMillion(m: CostInputs) {
  const million = 1_000_000;
  const perSale = (n: number) => n / m.sales;

  const dynamodbRequests =
    m.writeUnitsPerSale * PRICES.dynamodbPerMillionWriteUnits + m.readUnitsPerSale * PRICES.dynamodbPerMillionReadUnits;

  // Storage: what the sales left in the table, for their first month (an item kept less long pays its share).
  let firstMonthBytes = 0;
  let everyMonthBytes = 0;
  for (const [kind, { storageBytes }] of Object.entries(m.storage)) {
    if (NOT_PER_SALE.has(kind)) continue;
    const days = RETENTION_DAYS_BY_KIND[kind] ?? Number.POSITIVE_INFINITY;
    firstMonthBytes += storageBytes * Math.min(1, days / 30);
    if (days === Number.POSITIVE_INFINITY) everyMonthBytes += storageBytes;
  }
  const gbMonth = (bytes: number) => (perSale(bytes) * million) / 2 ** 30;
  const storageFirstMonth = gbMonth(firstMonthBytes) * PRICES.dynamodbStoragePerGbMonth;
  const storageEachFurtherMonth = gbMonth(everyMonthBytes) * PRICES.dynamodbStoragePerGbMonth;

  // Lambda. Compute: the Node process's CPU per sale (an upper bound on the functions' own: it also runs the S3, SQS and
  // Cognito emulators, the benchmark's driver and the meter) as CPU-bound duration at memory/1769 of a core, which is
  // cpu × 1769/1024 GB-seconds whatever the memory (below 1,769 MB). Waiting: DynamoDB and SNS round trips at the
  // assumed latencies, shared by the sales an invocation works on at once, at each function's memory.
  const computeGbSeconds = (m.nodeCpuSecondsPerSale * MB_PER_VCPU) / 1024;
  let waitGbSeconds = 0;
  let invocations = 0;
  for (const [fn, use] of Object.entries(m.functions) as [FunctionName, { invocations: number; requests: number }][]) {
    const waitMs = perSale(use.requests) * DYNAMODB_REQUEST_MS + (fn === 'notify' ? perSale(m.publishes) * SNS_PUBLISH_MS : 0);
    waitGbSeconds += ((waitMs / (IN_FLIGHT[fn] ?? 1)) * FUNCTIONS[fn].memoryMb) / 1024 / 1000;
    invocations += perSale(use.invocations);
  }
  const lambdaCompute = computeGbSeconds * million * PRICES.lambdaPerGbSecondArm64;
  const lambdaWait = waitGbSeconds * million * PRICES.lambdaPerGbSecondArm64;
  const lambdaRequests = invocations * PRICES.lambdaPerMillionRequests;

  // SQS: a message-path sale shares one send, one receive and one delete with the 9 others of its batch; a file
  // brings one S3 event notification (sent, received, deleted).
  const sqsRequestsPerSale = (perSale(m.messageRecords) * 3) / 10 + perSale(m.files) * 3;
  const sqs = sqsRequestsPerSale * PRICES.sqsPerMillionRequests;
  const s3 = perSale(m.files) * million * (PRICES.s3PerThousandPuts / 1000 + PRICES.s3PerThousandGets / 1000);
  const sns = perSale(m.publishes) * PRICES.snsPerMillionPublishes;

  const breakdown = {
    dynamodbRequests: round(dynamodbRequests, 3),
    dynamodbStorageFirstMonth: round(storageFirstMonth, 3),
    lambdaCompute: round(lambdaCompute, 3),
    lambdaWait: round(lambdaWait, 3),
    lambdaRequests: round(lambdaRequests, 3),
    sqs: round(sqs, 3),
    s3: round(s3, 3),
    sns: round(sns, 3),
  };
  const total = dynamodbRequests + storageFirstMonth + lambdaCompute + lambdaWait + lambdaRequests + sqs + s3 + sns;
  return {
    dollarsPerMillionSales: round(total),
    breakdown,
    dynamodbStorageEachFurtherMonth: round(storageEachFurtherMonth, 3),
    perSale: {
      writeUnits: round(m.writeUnitsPerSale, 3),
      readUnits: round(m.readUnitsPerSale, 3),
      storageBytesFirstMonth: round(perSale(firstMonthBytes), 1),
      storageBytesKept: round(perSale(everyMonthBytes), 1),
      lambdaGbSeconds: round(computeGbSeconds + waitGbSeconds, 6),
      lambdaInvocations: round(invocations, 4),
      sqsRequests: round(sqsRequestsPerSale, 4),
      s3Files: round(perSale(m.files), 5),
      snsPublishes: round(perSale(m.publishes), 3),
    },
    goal: 'at most $6 per million sales, all in',
    assumptions: [
      'DynamoDB: on-demand, the real (computed) write and read units of ingest, stats and notify per sale (bench/pricing.ts rules); stream reads by Lambda triggers are free.',
      `DynamoDB storage: the items the sales left (sales and their GSI1/GSI3 entries, notifications, stats, file records, stats batch markers; not customers), item size plus 100 bytes per item and per index entry, for their first month: notifications are kept 30 days, stats batch markers 7, file records 400, sales and stats as long as the account (salesDays null). Each further month a million sales stay costs $${round(storageEachFurtherMonth, 3)} more.`,
      `Lambda compute: Node's measured CPU seconds per sale (the whole local stack's Node process: an upper bound on the functions' CPU) as CPU-bound duration at memory/${MB_PER_VCPU} of a vCPU, i.e. ${round(MB_PER_VCPU / 1024, 3)} GB-s per CPU-second at any memory below ${MB_PER_VCPU} MB.`,
      `Lambda waiting (not measurable here): ${DYNAMODB_REQUEST_MS} ms per DynamoDB request and ${SNS_PUBLISH_MS} ms per SNS publish, divided by the sales an invocation works on at once (ingest-file ${FILE_RECORDS_IN_FLIGHT}, ingest-message 10, stats and notify 1), at each function's memory. Requests: the measured invocations per sale (those that made a DynamoDB request).`,
      'SQS: per message-path sale 3 requests shared by a batch of 10 (send, receive, delete); per file its S3 event notification (3 requests). Long polls that find nothing are a fixed cost (a few per poller a minute), not per sale.',
      'S3: one PUT and one GET per file (500 records here). SNS: the publishes measured from the notify function (topic, and push where the customer has an endpoint).',
      'Prices: us-east-1 list prices (DynamoDB on demand since the November 2024 reduction), no free tiers.',
    ],
  };
}
