import { BatchGetCommand, type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SyncSource } from '../../topology';
import { buildUpdate } from './update-expression';

const key = (source: SyncSource) => ({ PK: `SOURCE#${source}`, SK: 'ACTIVITY' });

/** When each ingest path last did work, and the duplicates it saw: one write per batch, never per sale. */
export class DynamoDbSourceActivity {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async record(source: SyncSource, counts: { duplicates?: number } = {}): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key(source),
        ...buildUpdate({
          set: { entity: 'source-activity', lastProcessedAt: new Date().toISOString() },
          add: { batches: 1, duplicates: counts.duplicates ?? 0 },
        }),
      }),
    );
  }

  async readAll(sources: SyncSource[]): Promise<Record<string, { lastProcessedAt?: string; duplicates: number }>> {
    const out = await this.db.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: sources.map(key) } } }));
    const found = new Map((out.Responses?.[this.tableName] ?? []).map((item) => [String(item.PK).slice('SOURCE#'.length), item]));
    return Object.fromEntries(
      sources.map((s) => [
        s,
        { lastProcessedAt: found.get(s)?.lastProcessedAt as string | undefined, duplicates: Number(found.get(s)?.duplicates ?? 0) },
      ]),
    );
  }
}
