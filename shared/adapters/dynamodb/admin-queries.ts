import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { daysBackwards } from '../../admin/days';
import { InvalidCursorError } from '../../admin/errors';
import type { AdminQueries, DayListing, DayRange, Listed, Page } from '../../admin/ports';
import { type DayKind, type DayShard, dayShards, GSI1, GSI3, indexKeys, isShardedDayKind, withoutKeys } from './table-keys';

type Key = Record<string, unknown>;

/** The GSI3 day partition each listing walks. */
const DAY_PARTITION = {
  sales: 'SALE',
  unmatched: 'UNMATCHED',
  conflicts: 'CONFLICT',
  failures: 'FAILURE',
  notifications: 'NOTIFICATION',
} as const satisfies Record<DayListing, DayKind>;

/** Longer than any cursor this adapter issues (two index keys of bounded ids, base64url, and a signature). */
export const MAX_CURSOR_LENGTH = 2_048;

const keyPart = z.string().min(1).max(1_024);
const dayPart = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const dayPosition = z.strictObject({
  day: dayPart,
  // Within one day partition, DynamoDB's own position; across a day's shards, the sort key of the last item listed.
  key: z
    .union([z.strictObject({ PK: keyPart, SK: keyPart, GSI3PK: keyPart, GSI3SK: keyPart }), z.strictObject({ GSI3SK: keyPart })])
    .optional(),
});
const customerPosition = z.strictObject({ PK: keyPart, SK: keyPart, GSI1PK: keyPart, GSI1SK: keyPart });
const envelope = z.strictObject({ listing: z.string().regex(/^[A-Za-z0-9_-]{22}$/), position: z.unknown() });

/**
 * Pagination cursors that a client can hold but not forge: `<payload>.<signature>`, both base64url. The payload
 * names the listing it belongs to (a digest of kind, filters and range) and the position to resume from; the
 * signature is HMAC-SHA256 over the payload with a key only the admin function has. A cursor is accepted only
 * when its signature verifies, it names the listing being asked for, and its position has the listing's shape;
 * any other is refused with the admin slice's InvalidCursorError, which the API answers as a 400.
 */
export class CursorSigner {
  constructor(private readonly key: Buffer) {
    if (key.length < 32) throw new Error('the cursor key must be at least 32 bytes');
  }

  seal(listing: string, position: unknown): string {
    const payload = Buffer.from(JSON.stringify({ listing: listingDigest(listing), position })).toString('base64url');
    return `${payload}.${this.sign(payload)}`;
  }

  open<S extends z.ZodType>(listing: string, cursor: string, shape: S): z.output<S> {
    if (cursor.length > MAX_CURSOR_LENGTH) throw new InvalidCursorError(`must be at most ${MAX_CURSOR_LENGTH} characters`);
    const parts = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/.exec(cursor);
    if (!parts) throw new InvalidCursorError('is not a cursor this API returned (it must be the nextCursor of a previous page, unchanged)');
    const [, payload, signature] = parts as unknown as [string, string, string];
    const expected = Buffer.from(this.sign(payload));
    if (!timingSafeEqual(Buffer.from(signature), expected)) throw new InvalidCursorError('was altered or was not issued by this API');
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      throw new InvalidCursorError('is not a cursor this API returned');
    }
    const opened = envelope.safeParse(decoded);
    if (!opened.success) throw new InvalidCursorError('is not a cursor this API returned');
    if (opened.data.listing !== listingDigest(listing))
      throw new InvalidCursorError('belongs to another listing (other kind, filters or range): ask for the first page again');
    const position = shape.safeParse(opened.data.position);
    if (!position.success) throw new InvalidCursorError('holds a position this listing cannot have');
    return position.data;
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}

const listingDigest = (listing: string) => createHash('sha256').update(listing).digest('base64url').slice(0, 22);

/**
 * Reads day partitions newest first, from a cursor's position, until `limit` items are found; the cursor of the
 * next page names the day and, within it, the key to go on from.
 */
export async function walkDays<T>(options: {
  days: readonly string[];
  startKey?: Key;
  limit: number;
  query: (day: string, startKey: Key | undefined, room: number) => Promise<{ items: T[]; lastKey?: Key }>;
  seal: (position: { day: string; key?: Key }) => string;
}): Promise<{ items: T[]; nextCursor?: string }> {
  const items: T[] = [];
  let startKey = options.startKey;
  for (const [i, day] of options.days.entries()) {
    do {
      const page = await options.query(day, startKey, options.limit - items.length);
      items.push(...page.items);
      startKey = page.lastKey;
      if (items.length >= options.limit) {
        if (startKey) return { items, nextCursor: options.seal({ day, key: startKey }) };
        const nextDay = options.days[i + 1];
        return { items, nextCursor: nextDay ? options.seal({ day: nextDay }) : undefined };
      }
    } while (startKey);
  }
  return { items };
}

/** A resume position can only be one this listing issued for that day: its own partition's key, or a day's sort key. */
function keyFits(kind: DayKind, day: string, key: Record<string, string>): boolean {
  if (isShardedDayKind(kind)) return Object.keys(key).length === 1 && key.GSI3SK!.startsWith(day);
  return key.GSI3PK === indexKeys.dayPartitions(kind, day)[0];
}

/** Newest-first listings for the admin API, without scans: day partitions of GSI3, or a customer's GSI1 partition. */
export class DynamoDbAdminQueries implements AdminQueries {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly cursors: CursorSigner,
  ) {}

  /** Walks the day partitions of one kind, newest first, until `limit` items are found. */
  async byDay(listed: DayListing, range: DayRange, limit: number, cursor?: string, filter?: { machineId?: string }): Promise<Page<Listed>> {
    const kind = DAY_PARTITION[listed];
    const listing = JSON.stringify(['byDay', kind, range.from, range.to, filter?.machineId ?? null]);
    const position = cursor ? this.cursors.open(listing, cursor, dayPosition) : undefined;
    if (
      position &&
      (position.day < range.from || position.day > range.to || (position.key && !keyFits(kind, position.day, position.key)))
    ) {
      throw new InvalidCursorError('holds a position this listing cannot have');
    }
    const days = daysBackwards(range).filter((day) => !position || day <= position.day);
    const machine = filter?.machineId;
    return walkDays({
      days,
      startKey: position?.key,
      limit,
      seal: (at) => this.cursors.seal(listing, at),
      query: (day, startKey, room) =>
        isShardedDayKind(kind)
          ? this.newestOfShards(dayShards(kind, day), startKey?.GSI3SK as string | undefined, room, machine)
          : this.newestOf(indexKeys.dayPartitions(kind, day)[0]!, startKey, room, machine),
    });
  }

  /** One page of a day partition, newest first, from DynamoDB's position. */
  private async newestOf(partition: string, startKey: Key | undefined, room: number, machineId?: string) {
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: GSI3,
        KeyConditionExpression: 'GSI3PK = :pk',
        ExpressionAttributeValues: { ':pk': partition, ...(machineId ? { ':machine': machineId } : {}) },
        FilterExpression: machineId ? 'machineId = :machine' : undefined,
        ScanIndexForward: false,
        Limit: room,
        ExclusiveStartKey: startKey,
      }),
    );
    return { items: (page.Items ?? []).map(withoutKeys), lastKey: page.LastEvaluatedKey };
  }

  /**
   * The newest `room` items of a day across its shards, older than `before` (a sort key, unique per item for the
   * sharded kinds): each shard gives its newest `room`, and the merge keeps the newest of all.
   */
  private async newestOfShards(shards: readonly DayShard[], before: string | undefined, room: number, machineId?: string) {
    const read = await Promise.all(
      shards.map(async (shard) => {
        const items: { sortKey: string; item: Record<string, unknown> }[] = [];
        let startKey: Key | undefined;
        do {
          const page = await this.db.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: shard.indexName,
              KeyConditionExpression: before ? '#pk = :pk AND #sk < :before' : '#pk = :pk',
              ExpressionAttributeNames: { '#pk': shard.partitionKey, ...(before ? { '#sk': shard.sortKey } : {}) },
              ExpressionAttributeValues: {
                ':pk': shard.partition,
                ...(before ? { ':before': before } : {}),
                ...(machineId ? { ':machine': machineId } : {}),
              },
              FilterExpression: machineId ? 'machineId = :machine' : undefined,
              ScanIndexForward: false,
              Limit: room,
              ExclusiveStartKey: startKey,
            }),
          );
          items.push(...(page.Items ?? []).map((item) => ({ sortKey: String(item[shard.sortKey]), item })));
          startKey = page.LastEvaluatedKey;
        } while (startKey && items.length < room);
        return {
          items,
          more: startKey !== undefined || items.length > room,
        };
      }),
    );
    // Newest first in DynamoDB's own order of keys (UTF-8 bytes), which the `<` of the next page's condition follows.
    const merged = read.flatMap((shard) => shard.items).sort((a, b) => Buffer.compare(Buffer.from(b.sortKey), Buffer.from(a.sortKey)));
    const taken = merged.slice(0, room);
    const more = merged.length > room || read.some((shard) => shard.more);
    return {
      items: taken.map(({ item }) => withoutKeys(item)),
      // Named GSI3SK whatever the shard's own sort key: the sharded kinds' sort keys share one format (<at>#<id>).
      lastKey: more && taken.length > 0 ? { GSI3SK: taken.at(-1)!.sortKey } : undefined,
    };
  }

  /** A customer's sales, newest first, optionally within a date range. */
  async customerSales(userId: string, limit: number, cursor?: string, range?: DayRange): Promise<Page<Listed>> {
    const listing = JSON.stringify(['customerSales', userId, range?.from ?? null, range?.to ?? null]);
    const startKey = cursor ? this.cursors.open(listing, cursor, customerPosition) : undefined;
    if (startKey && startKey.GSI1PK !== indexKeys.customerSales(userId))
      throw new InvalidCursorError('holds a position this listing cannot have');
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: GSI1,
        KeyConditionExpression: range ? 'GSI1PK = :pk AND GSI1SK BETWEEN :from AND :to' : 'GSI1PK = :pk',
        ExpressionAttributeValues: {
          ':pk': indexKeys.customerSales(userId),
          ...(range ? { ':from': range.from, ':to': `${range.to}T99` } : {}),
        },
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
    );
    return {
      items: (out.Items ?? []).map(withoutKeys),
      nextCursor: out.LastEvaluatedKey ? this.cursors.seal(listing, out.LastEvaluatedKey) : undefined,
    };
  }
}
