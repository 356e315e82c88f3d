import type { ProgramConfig } from '../domain/program';
import type { CampaignSource, Clock } from '../ingest/ports';

/** One stored movement of a customer's history, as the table holds it: which history partition, its sort key, the item. */
export interface HistoryEntry {
  /** `sales`: the customer's sales (by sale date); `moves`: redemptions, adjustments, expiries, tier changes. */
  partition: 'sales' | 'moves';
  /** `<ISO time>#…`: the history's order, newest first across both partitions. */
  sortKey: string;
  item: Record<string, unknown>;
}

export interface HistoryPage {
  entries: HistoryEntry[];
  /** Signed and bound to this customer's history; absent on the last page. */
  nextCursor?: string;
}

/** What the customers' API reads of one customer: never anything of another. */
export interface CustomerLedgerView {
  /** The customer's profile item (an erased customer's tombstone included); undefined when there is none. */
  account(userId: string): Promise<Record<string, unknown> | undefined>;
  /** The customer's history newest first, from a cursor this method issued for the same customer (InvalidCursorError otherwise). */
  history(userId: string, limit: number, cursor?: string): Promise<HistoryPage>;
}

export interface CustomerDeps {
  ledger: CustomerLedgerView;
  program: ProgramConfig;
  clock: Clock;
  /** The campaigns (cached), for their names and card sizes; without it campaigns are shown by id. */
  campaigns?: CampaignSource;
}
