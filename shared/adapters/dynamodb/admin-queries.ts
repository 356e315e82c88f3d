import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GSI1, GSI3, indexKeys, withoutKeys } from './table-keys';

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface DayRange {
  from: string;
  to: string;
}

type Kind = Parameters<typeof indexKeys.byDay>[0];
type Key = Record<string, unknown>;

const encode = (cursor: object) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

export class InvalidCursorError extends Error {
  constructor() {
    super('cursor is not one this API returned');
  }
}

function decode<T>(cursor: string | undefined): T | undefined {
  if (!cursor) return undefined;
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as T;
  } catch {
    throw new InvalidCursorError();
  }
}

/** Days from `to` back to `from`, newest first (YYYY-MM-DD). */
export function daysBackwards(range: DayRange): string[] {
  const days: string[] = [];
  for (let d = new Date(`${range.to}T00:00:00Z`); d >= new Date(`${range.from}T00:00:00Z`); d.setUTCDate(d.getUTCDate() - 1)) days.push(d.toISOString().slice(0, 10));
  return days;
}

/** Newest-first listings for the admin API, without scans: day partitions of GSI3, or a customer's GSI1 partition. */
export class DynamoDbAdminQueries {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Walks the day partitions of one kind, newest first, until `limit` items are found. */
  async byDay(kind: Kind, range: DayRange, limit: number, cursor?: string, filter?: { machineId?: string }): Promise<Page<Key>> {
    const position = decode<{ day: string; key?: Key }>(cursor);
    const days = daysBackwards(range).filter((day) => !position || day <= position.day);
    const items: Key[] = [];
    let startKey = position?.key;
    for (const [i, day] of days.entries()) {
      do {
        const page = await this.db.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: GSI3,
            KeyConditionExpression: 'GSI3PK = :pk',
            ExpressionAttributeValues: { ':pk': indexKeys.byDay(kind, day), ...(filter?.machineId ? { ':machine': filter.machineId } : {}) },
            FilterExpression: filter?.machineId ? 'machineId = :machine' : undefined,
            ScanIndexForward: false,
            Limit: limit - items.length,
            ExclusiveStartKey: startKey,
          }),
        );
        items.push(...(page.Items ?? []).map(withoutKeys));
        startKey = page.LastEvaluatedKey;
        if (items.length >= limit) {
          if (startKey) return { items, nextCursor: encode({ day, key: startKey }) };
          const nextDay = days[i + 1];
          return { items, nextCursor: nextDay ? encode({ day: nextDay }) : undefined };
        }
      } while (startKey);
    }
    return { items };
  }

  /** A customer's sales, newest first, optionally within a date range. */
  async customerSales(userId: string, limit: number, cursor?: string, range?: DayRange): Promise<Page<Key>> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: GSI1,
        KeyConditionExpression: range ? 'GSI1PK = :pk AND GSI1SK BETWEEN :from AND :to' : 'GSI1PK = :pk',
        ExpressionAttributeValues: { ':pk': indexKeys.customerSales(userId), ...(range ? { ':from': range.from, ':to': `${range.to}T99` } : {}) },
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: decode<Key>(cursor),
      }),
    );
    return { items: (out.Items ?? []).map(withoutKeys), nextCursor: out.LastEvaluatedKey ? encode(out.LastEvaluatedKey) : undefined };
  }

  /** Items under one partition key whose sort key starts with a prefix (a sale's conflicts, a customer's cards). */
  async underPartition(pk: string, skPrefix: string): Promise<Key[]> {
    const out = await this.db.send(
      new QueryCommand({ TableName: this.tableName, KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)', ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix } }),
    );
    return (out.Items ?? []).map(withoutKeys);
  }
}
