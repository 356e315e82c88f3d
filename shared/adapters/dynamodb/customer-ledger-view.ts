import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { CustomerLedgerView, HistoryEntry, HistoryPage } from '../../customer/ports';
import type { CursorSigner } from './admin-queries';
import { GSI1, indexKeys, keys, withoutKeys } from './table-keys';

const keyPart = z.string().min(1).max(1_024);
/** Where a page ended: the sort key of its last entry and the partition it came from (which settles a tie of sort keys). */
const historyPosition = z.strictObject({ before: keyPart, from: z.enum(['sales', 'moves']) });
type Position = z.output<typeof historyPosition>;

type Partition = HistoryEntry['partition'];
/** On equal sort keys the sales partition's entry comes first: the order the resume conditions below follow. */
const TIE_ORDER: Record<Partition, number> = { sales: 0, moves: 1 };

/** Newest first in DynamoDB's own order of keys (UTF-8 bytes), which the `<` of the next page's condition follows. */
const newestFirst = (a: HistoryEntry, b: HistoryEntry) =>
  Buffer.compare(Buffer.from(b.sortKey), Buffer.from(a.sortKey)) || TIE_ORDER[a.partition] - TIE_ORDER[b.partition];

/**
 * One customer's account and history for the customers' API, with GetItem and Query only. The history is two GSI1
 * partitions merged newest first (the customer's sales, and their other movements); a page's cursor is signed and
 * names this customer's history, so a cursor of another customer, or an altered one, is refused.
 */
export class DynamoDbCustomerLedgerView implements CustomerLedgerView {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly cursors: CursorSigner,
  ) {}

  async account(userId: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.customer(userId) }));
    return out.Item ? withoutKeys(out.Item) : undefined;
  }

  async history(userId: string, limit: number, cursor?: string): Promise<HistoryPage> {
    const listing = JSON.stringify(['customerHistory', userId]);
    const position = cursor ? this.cursors.open(listing, cursor, historyPosition) : undefined;
    const partitions: { name: Partition; key: string }[] = [
      { name: 'sales', key: indexKeys.customerSales(userId) },
      { name: 'moves', key: indexKeys.customerMoves(userId) },
    ];
    const read = await Promise.all(partitions.map((partition) => this.newestOf(partition.name, partition.key, position, limit)));
    const merged = read.flatMap((r) => r.entries).sort(newestFirst);
    const taken = merged.slice(0, limit);
    const more = merged.length > limit || read.some((r) => r.more);
    const last = taken.at(-1);
    return {
      entries: taken,
      nextCursor: more && last ? this.cursors.seal(listing, { before: last.sortKey, from: last.partition } satisfies Position) : undefined,
    };
  }

  /** The newest `room` entries of one partition after the position (and one more, to tell whether more are left). */
  private async newestOf(partition: Partition, key: string, position: Position | undefined, room: number) {
    // The entries with the position's own sort key that come after it: the other partition's, when it sorts later on a tie.
    const inclusive = position !== undefined && TIE_ORDER[partition] > TIE_ORDER[position.from];
    const entries: HistoryEntry[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: GSI1,
          KeyConditionExpression: position ? `GSI1PK = :pk AND GSI1SK ${inclusive ? '<=' : '<'} :before` : 'GSI1PK = :pk',
          ExpressionAttributeValues: { ':pk': key, ...(position ? { ':before': position.before } : {}) },
          ScanIndexForward: false,
          Limit: room + 1 - entries.length,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) entries.push({ partition, sortKey: String(item.GSI1SK), item: withoutKeys(item) });
      startKey = page.LastEvaluatedKey;
    } while (startKey && entries.length <= room);
    return { entries, more: startKey !== undefined || entries.length > room };
  }
}
