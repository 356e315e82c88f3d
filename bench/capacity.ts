import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { currentInvocation } from '../local/lambda-runtime';

export interface Usage {
  requests: number;
  readUnits: number;
  writeUnits: number;
  /** Successful TransactWriteItems calls: for the ingest functions, one per awarded sale. */
  transactions: number;
}

const empty = (): Usage => ({ requests: 0, readUnits: 0, writeUnits: 0, transactions: 0 });

/**
 * Asks DynamoDB for ConsumedCapacity (TOTAL) on every call the handlers make, and adds it up per function.
 * Installed on the handlers' shared client before the local stack loads them.
 */
export class CapacityMeter {
  readonly byFunction = new Map<string, Usage>();
  /** Write units by function and command, to see where a sale's cost goes. */
  readonly writeUnitsByCommand = new Map<string, number>();

  install(client: DynamoDBClient) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { ReturnConsumedCapacity?: string };
        const measurable = !['DescribeTable', 'CreateTable', 'ListTables'].includes(context.commandName?.replace(/Command$/, '') ?? '');
        if (measurable) input.ReturnConsumedCapacity ??= 'TOTAL';
        const result = await next(args);
        const usage = this.usageOf(currentInvocation.getStore()?.functionName ?? 'other');
        usage.requests += 1;
        const consumed = (result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
        const isRead = /^(Get|Query|Scan|BatchGet|TransactGet)/.test(context.commandName ?? '');
        for (const c of [consumed].flat().filter(Boolean) as {
          ReadCapacityUnits?: number;
          WriteCapacityUnits?: number;
          CapacityUnits?: number;
        }[]) {
          if (c.ReadCapacityUnits === undefined && c.WriteCapacityUnits === undefined) {
            if (isRead) usage.readUnits += c.CapacityUnits ?? 0;
            else usage.writeUnits += c.CapacityUnits ?? 0;
          } else {
            usage.readUnits += c.ReadCapacityUnits ?? 0;
            usage.writeUnits += c.WriteCapacityUnits ?? 0;
          }
        }
        if (context.commandName === 'TransactWriteItemsCommand') usage.transactions += 1;
        const fn = currentInvocation.getStore()?.functionName ?? 'other';
        const key = `${fn} ${context.commandName?.replace(/Command$/, '')}`;
        const units = [consumed]
          .flat()
          .filter(Boolean)
          .reduce(
            (sum: number, c) =>
              sum +
              ((c as { WriteCapacityUnits?: number }).WriteCapacityUnits ??
                (isRead ? 0 : ((c as { CapacityUnits?: number }).CapacityUnits ?? 0))),
            0,
          );
        this.writeUnitsByCommand.set(key, (this.writeUnitsByCommand.get(key) ?? 0) + units);
        return result;
      },
      { step: 'initialize', name: 'hiVisCapacityMeter' },
    );
  }

  usageOf(fn: string): Usage {
    let usage = this.byFunction.get(fn);
    if (!usage) {
      usage = empty();
      this.byFunction.set(fn, usage);
    }
    return usage;
  }

  snapshot(): Record<string, Usage> {
    return Object.fromEntries([...this.byFunction.entries()].map(([k, v]) => [k, { ...v }]));
  }

  static diff(after: Record<string, Usage>, before: Record<string, Usage>, functions: string[]): Usage {
    const total = empty();
    for (const fn of functions) {
      const a = after[fn] ?? empty();
      const b = before[fn] ?? empty();
      total.requests += a.requests - b.requests;
      total.readUnits += a.readUnits - b.readUnits;
      total.writeUnits += a.writeUnits - b.writeUnits;
      total.transactions += a.transactions - b.transactions;
    }
    return total;
  }
}
