import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { StatsReader } from '../../admin/ports';
import type { ReviewCounts, StatsDelta } from '../../domain/stats';
import type { FigureRow } from '../../domain/stats-report';
import { buildUpdate } from './update-expression';

/** The sort key of a day's review counts; every other item of the day is a machine-and-product figure. */
const TOTAL = 'TOTAL';
/** A transaction holds at most 100 items; one is the batch marker. */
const DELTAS_PER_TRANSACTION = 99;
const MARKER_TTL_SECONDS = 7 * 86_400;

export const statsKeys = {
  day: (day: string) => `STATS#${day}`,
  figures: (machineId: string, product: string) => `MACHINE#${machineId}#PRODUCT#${product}`,
};

/**
 * Per-day statistics items, written once per stream batch. Each write carries a marker for the batch in the
 * same transaction, so a batch the stream delivers again is not counted twice.
 */
export class DynamoDbStatsStore implements StatsReader {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async apply(batchId: string, deltas: StatsDelta[]): Promise<'applied' | 'already_applied'> {
    const expiresAt = Math.floor(Date.now() / 1000) + MARKER_TTL_SECONDS;
    let outcome: 'applied' | 'already_applied' = 'applied';
    for (let i = 0, part = 0; i < deltas.length; i += DELTAS_PER_TRANSACTION, part++) {
      const chunk = deltas.slice(i, i + DELTAS_PER_TRANSACTION);
      try {
        await this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.tableName,
                  Item: { PK: `STATSBATCH#${batchId}`, SK: `PART#${part}`, entity: 'stats-batch', expiresAt },
                  ConditionExpression: 'attribute_not_exists(PK)',
                },
              },
              ...chunk.map((delta) => ({ Update: { TableName: this.tableName, ...this.update(delta) } })),
            ],
          }),
        );
      } catch (err) {
        if (err instanceof TransactionCanceledException && err.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') {
          outcome = 'already_applied';
          continue;
        }
        throw err;
      }
    }
    return outcome;
  }

  private update(delta: StatsDelta) {
    if (delta.kind === 'sales') {
      return {
        Key: { PK: statsKeys.day(delta.day), SK: statsKeys.figures(delta.machineId, delta.product) },
        ...buildUpdate({
          set: { entity: 'stats', day: delta.day, machineId: delta.machineId, product: delta.product },
          add: { ...delta.figures },
        }),
      };
    }
    return {
      Key: { PK: statsKeys.day(delta.day), SK: TOTAL },
      ...buildUpdate({ set: { entity: 'stats', day: delta.day }, add: delta.counts as Record<string, number> }),
    };
  }

  /** A day's review counts (or the all-time ones, under ALL_TIME); empty before anything was counted. */
  async totals(day: string): Promise<Partial<ReviewCounts>> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { PK: statsKeys.day(day), SK: TOTAL } }));
    return (out.Item ?? {}) as Partial<ReviewCounts>;
  }

  /** A day's sales figures, one row per machine and product (the day's review counts left out). */
  async salesFigures(day: string): Promise<FigureRow[]> {
    return (await this.dayItems(day))
      .filter((item) => item.SK !== TOTAL)
      .map((item) => ({
        machineId: String(item.machineId),
        product: String(item.product),
        sales: Number(item.sales ?? 0),
        amountCents: Number(item.amountCents ?? 0),
        points: Number(item.points ?? 0),
      }));
  }

  private async dayItems(day: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': statsKeys.day(day) },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }
}
