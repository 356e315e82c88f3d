import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { daysBackwards } from '../../admin/days';
import { InvalidCursorError } from '../../admin/errors';
import { AUDIT_RETENTION_DAYS, type AuditEntry, type AuditFilter, type AuditLog, type AuditPage } from '../../audit/audit-trail';
import { type CursorSigner, walkDays } from './admin-queries';

/**
 * The audit table, apart from the loyalty table: the admin function may only put (conditionally) and query here,
 * so no code path can rewrite or delete an entry, and the table keeps its own retention.
 *
 * | key             | value                         |
 * |-----------------|-------------------------------|
 * | PK              | `DAY#<yyyy-mm-dd>`            |
 * | SK              | `<at>#<auditId>`              |
 * | ByActor         | actorId, SK                   |
 * | ByTarget        | target, SK                    |
 * | expiresAt (TTL) | at + AUDIT_RETENTION_DAYS     |
 */
export const AUDIT_INDEXES = [
  { indexName: 'ByActor', partitionKey: 'actorId', sortKey: 'SK' },
  { indexName: 'ByTarget', partitionKey: 'target', sortKey: 'SK' },
] as const;
export const AUDIT_TTL_ATTRIBUTE = 'expiresAt';

export function auditTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: ['PK', 'SK', 'actorId', 'target'].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: 'PK', KeyType: 'HASH' },
      { AttributeName: 'SK', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: AUDIT_INDEXES.map((i) => ({
      IndexName: i.indexName,
      KeySchema: [
        { AttributeName: i.partitionKey, KeyType: 'HASH' },
        { AttributeName: i.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    })),
  };
}

const dayKey = (day: string) => `DAY#${day}`;
const entrySchema = z.object({
  auditId: z.string(),
  at: z.string(),
  actorId: z.string(),
  actorName: z.string(),
  actorKind: z.enum(['user', 'client']),
  action: z.string(),
  target: z.string(),
  outcome: z.enum(['succeeded', 'refused', 'failed']),
  status: z.number(),
  requestId: z.string(),
  detail: z.string().optional(),
});
const keyShape = z.record(z.string(), z.string());
const position = z.object({ day: z.string().optional(), key: keyShape.optional() });

export class AuditEntryExistsError extends Error {
  constructor(auditId: string) {
    super(`audit entry ${auditId} already exists`);
    this.name = 'AuditEntryExistsError';
  }
}

export class DynamoDbAuditLog implements AuditLog {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly cursors: CursorSigner,
  ) {}

  async append(entry: AuditEntry): Promise<void> {
    const expiresAt = Math.floor(Date.parse(entry.at) / 1000) + AUDIT_RETENTION_DAYS * 86_400;
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { PK: dayKey(entry.at.slice(0, 10)), SK: `${entry.at}#${entry.auditId}`, ...entry, [AUDIT_TTL_ATTRIBUTE]: expiresAt },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') throw new AuditEntryExistsError(entry.auditId);
      throw err;
    }
  }

  async list(filter: AuditFilter, limit: number, cursor?: string): Promise<AuditPage> {
    const listing = JSON.stringify(['audit', filter.actor ?? null, filter.target ?? null, filter.action ?? null, filter.from, filter.to]);
    const at = cursor ? this.cursors.open(listing, cursor, position) : undefined;
    // An actor or a target has its own index partition, read between the range's ends; otherwise day by day.
    const index = filter.actor !== undefined ? AUDIT_INDEXES[0] : filter.target !== undefined ? AUDIT_INDEXES[1] : undefined;
    const filters: string[] = [];
    const values: Record<string, unknown> = {};
    if (filter.target !== undefined && index?.indexName !== 'ByTarget') {
      filters.push('target = :target');
      values[':target'] = filter.target;
    }
    if (filter.action !== undefined) {
      filters.push('#action = :action');
      values[':action'] = filter.action;
    }
    const common = {
      TableName: this.tableName,
      ScanIndexForward: false,
      FilterExpression: filters.length > 0 ? filters.join(' AND ') : undefined,
      ExpressionAttributeNames: filter.action !== undefined ? { '#action': 'action' } : undefined,
    };
    const entries = (page: { Items?: Record<string, unknown>[] }) =>
      (page.Items ?? []).flatMap((item) => {
        const parsed = entrySchema.safeParse(item);
        return parsed.success ? [parsed.data] : [];
      });
    if (index) {
      const items: AuditEntry[] = [];
      if (at?.day !== undefined) throw new InvalidCursorError('holds a position this listing cannot have');
      let startKey = at?.key;
      do {
        const page = await this.db.send(
          new QueryCommand({
            ...common,
            IndexName: index.indexName,
            KeyConditionExpression: '#partition = :partition AND SK BETWEEN :from AND :to',
            ExpressionAttributeNames: { ...common.ExpressionAttributeNames, '#partition': index.partitionKey },
            ExpressionAttributeValues: {
              ...values,
              ':partition': index.partitionKey === 'actorId' ? filter.actor : filter.target,
              ':from': filter.from,
              ':to': `${filter.to}~`,
            },
            Limit: limit - items.length,
            ExclusiveStartKey: startKey,
          }),
        );
        items.push(...entries(page));
        startKey = page.LastEvaluatedKey as Record<string, string> | undefined;
      } while (startKey && items.length < limit);
      return { items, nextCursor: startKey ? this.cursors.seal(listing, { key: startKey }) : undefined };
    }
    const days = daysBackwards({ from: filter.from, to: filter.to }).filter((day) => at?.day === undefined || day <= at.day);
    if (at && (at.day === undefined || at.day < filter.from || at.day > filter.to || (at.key && at.key.PK !== dayKey(at.day))))
      throw new InvalidCursorError('holds a position this listing cannot have');
    return walkDays({
      days,
      startKey: at?.key,
      limit,
      seal: (position) => this.cursors.seal(listing, position),
      query: async (day, startKey, room) => {
        const page = await this.db.send(
          new QueryCommand({
            ...common,
            KeyConditionExpression: 'PK = :pk',
            ExpressionAttributeValues: { ...values, ':pk': dayKey(day) },
            Limit: room,
            ExclusiveStartKey: startKey,
          }),
        );
        return { items: entries(page), lastKey: page.LastEvaluatedKey };
      },
    });
  }
}
