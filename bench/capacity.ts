import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { currentInvocation } from '../local/lambda-runtime';
import { ItemImages } from './item-images';
import type { Item, TableIndex } from './pricing';
import { type Outcome, RequestPricer } from './request-cost';

export interface Failures {
  /** ConditionalCheckFailedException from a single-item write. */
  conditionalCheckFailed: number;
  transactionCanceled: number;
  /** The cancelled transactions' reasons, one count per item that had a reason other than None. */
  cancellationReasons: Record<string, number>;
  /** Any other error, by name. */
  errors: Record<string, number>;
}

export interface Usage {
  requests: number;
  byCommand: Record<string, number>;
  /** Invocations of the function that made at least one DynamoDB request. */
  invocations: number;
  /** Successful TransactWriteItems calls. */
  transactions: number;
  /** Sales written with status awarded (in any write), however many share a request. */
  awardedSales: number;
  /** ConsumedCapacity as DynamoDB Local reports it (it overcounts index writes and transactions). */
  local: { readUnits: number; writeUnits: number; writeUnitsByCommand: Record<string, number> };
  /** As real DynamoDB would charge, computed from the requests by the documented rules (bench/pricing.ts). */
  real: {
    readUnits: number;
    writeUnits: number;
    /** Part of writeUnits: the indexes' share. */
    indexWriteUnits: number;
    /** Part of writeUnits: charged for writes that failed their condition or whose transaction was cancelled. */
    failedWriteUnits: number;
    readUnitsByCommand: Record<string, number>;
    writeUnitsByCommand: Record<string, number>;
  };
  failures: Failures;
}

export const emptyUsage = (): Usage => ({
  requests: 0,
  byCommand: {},
  invocations: 0,
  transactions: 0,
  awardedSales: 0,
  local: { readUnits: 0, writeUnits: 0, writeUnitsByCommand: {} },
  real: { readUnits: 0, writeUnits: 0, indexWriteUnits: 0, failedWriteUnits: 0, readUnitsByCommand: {}, writeUnitsByCommand: {} },
  failures: { conditionalCheckFailed: 0, transactionCanceled: 0, cancellationReasons: {}, errors: {} },
});

/** An awarded sale item, as the ledger writes it (SK SALE, status awarded). */
export const isAwardedSale = (item: Item) => item.SK?.S === 'SALE' && item.status?.S === 'awarded';

type Numeric = { [key: string]: number | Numeric };

/**
 * Meters every DynamoDB request of the clients it is installed on, per function (`currentInvocation`; requests outside
 * any invocation count under the name given at install): requests, failures by kind, awarded sales, and capacity twice,
 * as DynamoDB Local reports it and as real DynamoDB would charge it.
 *
 * It sits on the raw client's middleware stack (which a document client shares) at the build step, after the document
 * client's marshalling, so it reads the request in AttributeValue form; responses may be in either form (see
 * isAttributeValueItem).
 */
export class CapacityMeter {
  readonly byFunction = new Map<string, Usage>();
  readonly images: ItemImages;
  private readonly pricer: RequestPricer;
  private readonly seenInvocations = new WeakSet<object>();
  /** The meter's own failures (it never fails a request): how many, and the first. */
  meterErrors = 0;
  firstMeterError: string | undefined;

  /** `indexes`: every metered table's global secondary indexes (the tables here all have the main table's layout). */
  constructor(readonly indexes: readonly TableIndex[]) {
    this.images = new ItemImages(indexes);
    this.pricer = new RequestPricer(this.images, () => indexes, isAwardedSale);
  }

  install(client: Pick<DynamoDBClient, 'middlewareStack'>, outsideInvocations = 'other') {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { ReturnConsumedCapacity?: string };
        if (!/^(DescribeTable|CreateTable|DeleteTable|ListTables)/.test(context.commandName ?? ''))
          input.ReturnConsumedCapacity ??= 'TOTAL';
        return next(args);
      },
      { step: 'initialize', name: 'hiVisCapacityRequest' },
    );
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const invocation = currentInvocation.getStore();
        let outcome: Outcome | undefined;
        try {
          const result = await next(args);
          outcome = { ok: true, output: result.output as Record<string, any> };
          return result;
        } catch (error) {
          outcome = { ok: false, error };
          throw error;
        } finally {
          try {
            const command = (context.commandName ?? 'Unknown').replace(/Command$/, '');
            this.record(invocation?.functionName ?? outsideInvocations, invocation, command, args.input as Record<string, any>, outcome!);
          } catch (err) {
            this.meterErrors += 1;
            this.firstMeterError ??= (err as Error).stack ?? String(err);
          }
        }
      },
      { step: 'build', name: 'hiVisCapacityMeter' },
    );
  }

  private record(fn: string, invocation: object | undefined, command: string, input: Record<string, any>, outcome: Outcome) {
    if (/^(DescribeTable|CreateTable|DeleteTable|ListTables|UpdateTimeToLive|DescribeTimeToLive)$/.test(command)) return;
    const usage = this.usageOf(fn);
    usage.requests += 1;
    usage.byCommand[command] = (usage.byCommand[command] ?? 0) + 1;
    if (invocation && !this.seenInvocations.has(invocation)) {
      this.seenInvocations.add(invocation);
      usage.invocations += 1;
    }
    if (outcome.ok) {
      if (command === 'TransactWriteItems') usage.transactions += 1;
      this.recordLocalUnits(usage, command, outcome.output.ConsumedCapacity);
    } else this.recordFailure(usage.failures, outcome.error);

    const cost = this.pricer.price(command, input, outcome);
    usage.awardedSales += cost.awardedSales;
    usage.real.readUnits += cost.readUnits;
    usage.real.writeUnits += cost.writeUnits;
    usage.real.indexWriteUnits += cost.indexWriteUnits;
    usage.real.failedWriteUnits += cost.failedWriteUnits;
    if (cost.readUnits) usage.real.readUnitsByCommand[command] = (usage.real.readUnitsByCommand[command] ?? 0) + cost.readUnits;
    if (cost.writeUnits) usage.real.writeUnitsByCommand[command] = (usage.real.writeUnitsByCommand[command] ?? 0) + cost.writeUnits;
  }

  private recordLocalUnits(usage: Usage, command: string, consumed: unknown) {
    const isRead = /^(Get|Query|Scan|BatchGet|TransactGet)/.test(command);
    for (const c of [consumed].flat().filter(Boolean) as {
      ReadCapacityUnits?: number;
      WriteCapacityUnits?: number;
      CapacityUnits?: number;
    }[]) {
      const read = c.ReadCapacityUnits ?? (c.WriteCapacityUnits === undefined && isRead ? (c.CapacityUnits ?? 0) : 0);
      const write = c.WriteCapacityUnits ?? (c.ReadCapacityUnits === undefined && !isRead ? (c.CapacityUnits ?? 0) : 0);
      usage.local.readUnits += read;
      usage.local.writeUnits += write;
      if (write) usage.local.writeUnitsByCommand[command] = (usage.local.writeUnitsByCommand[command] ?? 0) + write;
    }
  }

  private recordFailure(failures: Failures, error: any) {
    const name: string = error?.name ?? 'Error';
    if (name === 'ConditionalCheckFailedException') failures.conditionalCheckFailed += 1;
    else if (name === 'TransactionCanceledException') {
      failures.transactionCanceled += 1;
      for (const reason of (error.CancellationReasons ?? []) as { Code?: string }[]) {
        const code = reason.Code ?? 'None';
        if (code !== 'None') failures.cancellationReasons[code] = (failures.cancellationReasons[code] ?? 0) + 1;
      }
    } else failures.errors[name] = (failures.errors[name] ?? 0) + 1;
  }

  usageOf(fn: string): Usage {
    let usage = this.byFunction.get(fn);
    if (!usage) {
      usage = emptyUsage();
      this.byFunction.set(fn, usage);
    }
    return usage;
  }

  snapshot(): Record<string, Usage> {
    return Object.fromEntries([...this.byFunction.entries()].map(([k, v]) => [k, structuredClone(v)]));
  }

  /** What the functions named used between two snapshots, added together. */
  static diff(after: Record<string, Usage>, before: Record<string, Usage>, functions: readonly string[]): Usage {
    const total = emptyUsage();
    for (const fn of functions) {
      accumulate(total as unknown as Numeric, (after[fn] ?? emptyUsage()) as unknown as Numeric, 1);
      accumulate(total as unknown as Numeric, (before[fn] ?? emptyUsage()) as unknown as Numeric, -1);
    }
    return total;
  }

  /** Every function's use between two snapshots, one by one. */
  static diffByFunction(after: Record<string, Usage>, before: Record<string, Usage>): Record<string, Usage> {
    return Object.fromEntries(Object.keys(after).map((fn) => [fn, CapacityMeter.diff(after, before, [fn])]));
  }
}

function accumulate(target: Numeric, source: Numeric, sign: 1 | -1) {
  for (const [key, value] of Object.entries(source)) {
    if (typeof value === 'number') target[key] = ((target[key] as number | undefined) ?? 0) + sign * value;
    else {
      target[key] ??= {};
      accumulate(target[key] as Numeric, value, sign);
    }
  }
}
