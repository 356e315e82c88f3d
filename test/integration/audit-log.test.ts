import { randomBytes, randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { CursorSigner } from '../../shared/adapters/dynamodb/admin-queries';
import { AuditEntryExistsError, auditTableDefinition, DynamoDbAuditLog } from '../../shared/adapters/dynamodb/audit-log';
import { InvalidCursorError } from '../../shared/admin/errors';
import { type AuditEntry, auditEntry } from '../../shared/audit/audit-trail';
import type { Principal } from '../../shared/auth/roles';

let client: DynamoDBClient;
let db: DynamoDBDocumentClient;
let tableName: string;
let log: DynamoDbAuditLog;

beforeAll(async () => {
  const endpoint = process.env.HIVIS_TEST_DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('HIVIS_TEST_DYNAMODB_ENDPOINT is not set: run integration tests through jest');
  client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  tableName = `hivis-audit-${randomUUID().slice(0, 8)}`;
  await client.send(new CreateTableCommand(auditTableDefinition(tableName)));
  log = new DynamoDbAuditLog(db, tableName, new CursorSigner(randomBytes(32)));
});
afterAll(async () => {
  await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
  client.destroy();
});

const admin: Principal = { kind: 'user', userId: 'sub-admin', username: 'sub-admin', email: 'admin@hivis.local', groups: ['admins'] };
const script: Principal = { kind: 'client', clientId: 'ops-client', scopes: ['admin/write'] };

function entry(at: string, principal: Principal, routeKey: string, path: Record<string, string>, status = 200): AuditEntry {
  return auditEntry({ routeKey, path, query: {}, requestId: `req-${at}`, status }, principal, new Date(at), randomUUID());
}

const seeded: AuditEntry[] = [];

test('entries are appended and never overwritten', async () => {
  const days = ['2026-11-28', '2026-11-29', '2026-11-30'];
  for (const [d, day] of days.entries()) {
    for (let i = 0; i < 4; i++) {
      const at = `${day}T0${i}:00:00.000Z`;
      const e =
        i % 2 === 0
          ? entry(at, admin, 'POST /admin/users/{userId}/adjustments', { userId: `u-${d}` })
          : entry(at, script, 'POST /admin/sync/stop', {});
      await log.append(e);
      seeded.push(e);
    }
  }
  const first = seeded[0]!;
  await expect(log.append({ ...first, outcome: 'failed', actorName: 'someone else' })).rejects.toBeInstanceOf(AuditEntryExistsError);
  const stored = (await db.send(new ScanCommand({ TableName: tableName }))).Items ?? [];
  expect(stored).toHaveLength(12);
  expect(stored.find((i) => i.auditId === first.auditId)).toMatchObject({ outcome: 'succeeded', actorName: 'admin@hivis.local' });
  expect(stored.every((i) => typeof i.expiresAt === 'number' && i.expiresAt > Date.parse(i.at as string) / 1000 + 365 * 86_400)).toBe(true);
});

test('listed newest first by day, by actor, by target and by action, page by page', async () => {
  const range = { from: '2026-11-28', to: '2026-11-30' };
  const collect = async (filter: Parameters<DynamoDbAuditLog['list']>[0], limit: number) => {
    const all: AuditEntry[] = [];
    let cursor: string | undefined;
    do {
      const page = await log.list(filter, limit, cursor);
      expect(page.items.length).toBeLessThanOrEqual(limit);
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return all;
  };
  const newestFirst = [...seeded].sort((a, b) => b.at.localeCompare(a.at));
  expect((await collect(range, 5)).map((e) => e.auditId)).toEqual(newestFirst.map((e) => e.auditId));
  expect((await collect({ ...range, actor: 'ops-client' }, 2)).map((e) => e.auditId)).toEqual(
    newestFirst.filter((e) => e.actorId === 'ops-client').map((e) => e.auditId),
  );
  expect((await collect({ ...range, target: 'customer:u-1' }, 1)).map((e) => e.auditId)).toEqual(
    newestFirst.filter((e) => e.target === 'customer:u-1').map((e) => e.auditId),
  );
  expect((await collect({ ...range, action: 'POST /admin/sync/stop' }, 4)).every((e) => e.action === 'POST /admin/sync/stop')).toBe(true);
  expect(await collect({ from: '2026-11-29', to: '2026-11-29', actor: 'sub-admin' }, 10)).toHaveLength(2);
});

test('a cursor of another listing or an altered one is refused', async () => {
  const range = { from: '2026-11-28', to: '2026-11-30' };
  const page = await log.list(range, 2);
  expect(page.nextCursor).toBeDefined();
  await expect(log.list({ ...range, actor: 'sub-admin' }, 2, page.nextCursor)).rejects.toBeInstanceOf(InvalidCursorError);
  await expect(log.list(range, 2, `${page.nextCursor!.slice(0, -2)}AA`)).rejects.toBeInstanceOf(InvalidCursorError);
});
