import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbAccountChanges } from '../../shared/adapters/dynamodb/account-changes';
import { DynamoDbCampaignBook } from '../../shared/adapters/dynamodb/campaign-book';
import { DynamoDbLoyaltyLedger } from '../../shared/adapters/dynamodb/loyalty-ledger';
import { indexKeys, keys } from '../../shared/adapters/dynamodb/table-keys';
import { reverseSale } from '../../shared/admin/sales';
import type { Campaign } from '../../shared/domain/campaigns';
import { DEFAULT_PROGRAM, type ProgramConfig } from '../../shared/domain/program';
import { AwardPacker } from '../../shared/ingest/award-packer';
import { CachedCampaignSource } from '../../shared/ingest/campaign-cache';
import { type IngestDeps, ingestRecord } from '../../shared/ingest/ingest-sale';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { momaSale } from '../support/moma';

let table: TestTable;
let book: DynamoDbCampaignBook;
const by = { id: 'op-1', name: 'ops@hivis.local' };
const origin = { kind: 'admin', action: 'test' } as const;

beforeAll(async () => {
  table = await createTestTable();
  book = new DynamoDbCampaignBook(table.db, table.tableName);
});
afterAll(async () => {
  await table.destroy();
});

const coffeeMornings = (id: string, overrides: Partial<Campaign> = {}): Campaign => ({
  id,
  version: 1,
  name: 'Double points on coffee at the lobby machines, weekdays 7–10',
  reward: { kind: 'multiplier', factor: 2 },
  when: { products: ['*coffee*'], machines: ['group:lobby'], daysOfWeek: [1, 2, 3, 4, 5], hours: { from: 7, to: 10 } },
  caps: { perCustomerPerDay: 60 },
  stacking: 'best_of',
  ...overrides,
});

function depsWith(program: ProgramConfig): IngestDeps {
  return {
    ...table.deps,
    program,
    ledger: new AwardPacker(new DynamoDbLoyaltyLedger(table.db, table.tableName, program.retention, program)),
    campaigns: new CachedCampaignSource(book, 0),
  };
}

/** The latest Monday 08:30 UTC that has passed: a sale the coffee-mornings campaign applies to, processed now. */
function lastMondayMorning(): Date {
  const at = new Date();
  at.setUTCHours(8, 30, 0, 0);
  while (at.getUTCDay() !== 1 || at.getTime() > Date.now()) at.setUTCDate(at.getUTCDate() - 1);
  return at;
}
const dayOf = (at: Date) => at.toISOString().slice(0, 10);

const profile = async (userId: string) =>
  (await table.db.send(new GetCommand({ TableName: table.tableName, Key: keys.customer(userId), ConsistentRead: true }))).Item!;
const sale = async (id: string) =>
  (await table.db.send(new GetCommand({ TableName: table.tableName, Key: keys.sale(id), ConsistentRead: true }))).Item!;

describe('campaigns against DynamoDB Local', () => {
  test('versions: a change replaces only the open latest version, once, however many operators save at once', async () => {
    const id = 'cmp-00000000000000a1';
    expect(await book.save(coffeeMornings(id), '2025-01-01T00:00:00Z', by, '2025-01-01T00:00:00Z')).toBe('saved');
    expect(await book.save(coffeeMornings(id), '2025-01-01T00:00:00Z', by, '2025-01-01T00:00:00Z')).toBe('conflict');
    const results = await Promise.all(
      [3, 4, 5, 6, 7].map((factor) =>
        book.save(coffeeMornings(id, { version: 2, reward: { kind: 'multiplier', factor } }), '2025-02-01T00:00:00Z', by, 'now'),
      ),
    );
    expect(results.filter((r) => r === 'saved')).toHaveLength(1);
    expect(await book.end(id, 1, '2025-03-01T00:00:00Z', by)).toBe('conflict');
    expect(await book.end(id, 2, '2025-03-01T00:00:00Z', by)).toBe('ended');
    expect(await book.end(id, 2, '2025-03-02T00:00:00Z', by)).toBe('conflict');
    // An item that is no campaign version (dates that are not instants, a foreign id) never reaches an award.
    await table.db.send(
      new PutCommand({
        TableName: table.tableName,
        Item: {
          ...keys.campaignVersion(id, 3),
          campaign: { ...coffeeMornings(id), version: 3 },
          validFrom: 'garbage',
          savedAt: 'x',
          savedBy: 'x',
        },
      }),
    );
    const versions = (await book.versions()).filter((v) => v.campaign.id === id);
    expect(versions.map((v) => [v.campaign.version, v.validFrom, v.validTo])).toEqual([
      [1, '2025-01-01T00:00:00Z', '2025-02-01T00:00:00Z'],
      [2, '2025-02-01T00:00:00Z', '2025-03-01T00:00:00Z'],
    ]);
  });

  test('concurrent matching sales of one customer never earn past the daily cap; a refund takes back exactly its campaign points', async () => {
    const id = 'cmp-00000000000000b2';
    const monday = lastMondayMorning();
    await book.save(coffeeMornings(id), '2025-05-01T00:00:00Z', by, '2025-05-01T00:00:00Z');
    await table.addCustomer('cap-customer', '4000 0566 5566 5556');
    const program: ProgramConfig = { ...DEFAULT_PROGRAM, machineGroups: { lobby: ['VEND-001', 'VEND-002'] } };
    const deps = depsWith(program);
    // A Monday 08:30 UTC: 35 purchase points each, and the campaign doubles them up to 60 a day.
    const ids = Array.from({ length: 8 }, (_, i) => `TXN-CAP-${i}`);
    const outcomes = await Promise.all(
      ids.map((transactionId, i) =>
        ingestRecord(
          momaSale({
            transactionId,
            date: new Date(monday.getTime() + i * 1_000).toISOString(),
            cardNumber: '4000056655665556',
            machineId: `VEND-00${1 + (i % 2)}`,
          }),
          origin,
          transactionId,
          deps,
        ),
      ),
    );
    expect(outcomes).toEqual(ids.map(() => 'awarded'));
    const sales = await Promise.all(ids.map(sale));
    const campaignPoints = sales.reduce((sum, s) => sum + Number(s.campaignPoints ?? 0), 0);
    expect(campaignPoints).toBe(60);
    for (const s of sales.filter((s) => s.campaignPoints))
      expect(s.campaigns).toEqual([{ campaignId: id, version: 1, points: s.campaignPoints, daily: true }]);
    const account = await profile('cap-customer');
    expect(account.points).toBe(8 * 35 + 60);
    expect(account.campaignUsage[id]).toMatchObject({ points: 60, days: { [dayOf(monday)]: 60 } });

    // Refund a sale that earned campaign points: the customer gets its room under the cap back.
    const refunded = sales.find((s) => Number(s.campaignPoints) > 0)!;
    const reversal = await reverseSale(String(refunded.transactionId), 'refund', by, {
      ...deps,
      sales: table.sales,
      changes: new DynamoDbAccountChanges(table.db, table.tableName),
    });
    expect(reversal.reversed).toBe(true);
    const after = await profile('cap-customer');
    expect(after.points).toBe(8 * 35 + 60 - 35 - Number(refunded.campaignPoints));
    expect(after.campaignUsage[id].points).toBe(60 - Number(refunded.campaignPoints));
    expect(after.campaignUsage[id].days[dayOf(monday)]).toBe(60 - Number(refunded.campaignPoints));

    // A sale outside the hours earns the program's points alone.
    await ingestRecord(
      momaSale({
        transactionId: 'TXN-CAP-LATE',
        date: new Date(monday.getTime() + 90 * 60_000).toISOString(),
        cardNumber: '4000056655665556',
      }),
      origin,
      'late',
      deps,
    );
    expect(await sale('TXN-CAP-LATE')).toMatchObject({ points: 35 });
    expect(await sale('TXN-CAP-LATE')).not.toHaveProperty('campaigns');
  });

  test('with expiry on, the first award puts the customer on the scheduled run’s day (never a past one); later awards leave it', async () => {
    await table.addCustomer('due-customer', '5105 1051 0510 5100');
    const program: ProgramConfig = { ...DEFAULT_PROGRAM, expiry: { mode: 'inactivity', days: 180, noticeDays: 14 } };
    const deps = depsWith(program);
    const at = (transactionId: string, date: string) =>
      ingestRecord(momaSale({ transactionId, date, cardNumber: '5105105105105100' }), origin, transactionId, deps);
    const yesterday = new Date(Date.now() - 86_400_000);
    await at('TXN-DUE-1', yesterday.toISOString());
    const first = await profile('due-customer');
    const due = new Date(yesterday.getTime() + (180 - 14) * 86_400_000).toISOString();
    expect(first.GSI3PK).toBe(indexKeys.dueOn(due));
    expect(first.GSI3SK).toBe(`${due}#due-customer`);
    await at('TXN-DUE-2', new Date().toISOString());
    expect((await profile('due-customer')).GSI3SK).toBe(first.GSI3SK);

    // A sale from an old file, whose first due day has passed, is looked at from now on.
    await table.addCustomer('late-customer', '3530 1113 3330 0000');
    const before = Date.now();
    await ingestRecord(
      momaSale({ transactionId: 'TXN-DUE-OLD', date: '2025-01-01T12:00:00Z', cardNumber: '3530111333300000' }),
      origin,
      'old',
      deps,
    );
    const late = await profile('late-customer');
    expect(Date.parse(String(late.GSI3SK).split('#')[0]!)).toBeGreaterThanOrEqual(before);
  });
});
