import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbAccountChanges } from '../../shared/adapters/dynamodb/account-changes';
import { DynamoDbCustomerErasure, DynamoDbCustomerRecords } from '../../shared/adapters/dynamodb/customer-privacy';
import { enrolCustomersForReview } from '../../shared/adapters/dynamodb/due-enrolment';
import { DynamoDbDueIndex, DynamoDbReviewLedger } from '../../shared/adapters/dynamodb/due-reviews';
import { GSI1, GSI3, indexKeys, keys } from '../../shared/adapters/dynamodb/table-keys';
import { DEFAULT_PROGRAM, type ProgramConfig, type TierName } from '../../shared/domain/program';
import type { ReviewLedger } from '../../shared/expiry/ports';
import { runDueReviews } from '../../shared/expiry/run-due-reviews';
import { createTestTable, type TestTable } from '../support/dynamodb';

const DAY = 86_400_000;
const NOW = new Date('2026-06-01T12:00:00.000Z');
const ago = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();
const PROGRAM: ProgramConfig = { ...DEFAULT_PROGRAM, expiry: { mode: 'age', days: 365, noticeDays: 14 } };

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(async () => {
  await table.destroy();
});
// Each case starts as a first run would: its customers are due on days an earlier case's run completed.
beforeEach(async () => {
  await table.db.send(new DeleteCommand({ TableName: table.tableName, Key: keys.dueRunCheckpoint() }));
});

/** A customer with awarded sales (as the award path stores them), its balance what they earned, due at `dueAt`. */
async function seedCustomer(userId: string, sales: { daysAgo: number; points: number }[], dueAt?: string, tier: TierName = 'Bronze') {
  await table.addCustomer(userId);
  for (const [i, sale] of sales.entries()) {
    const date = ago(sale.daysAgo);
    await table.db.send(
      new PutCommand({
        TableName: table.tableName,
        Item: {
          ...keys.sale(`${userId}-T${i}`),
          GSI1PK: indexKeys.customerSales(userId),
          GSI1SK: `${date}#${userId}-T${i}`,
          entity: 'sale',
          transactionId: `${userId}-T${i}`,
          status: 'awarded',
          userId,
          date,
          points: sale.points,
          awardedAt: date,
        },
      }),
    );
  }
  const points = sales.reduce((sum, s) => sum + s.points, 0);
  await table.db.send(
    new UpdateCommand({
      TableName: table.tableName,
      Key: keys.customer(userId),
      UpdateExpression: `SET points = :points, lifetimePoints = :points, tier = :tier, version = :version${dueAt ? ', GSI3PK = :pk, GSI3SK = :sk' : ''}`,
      ExpressionAttributeValues: {
        ':points': points,
        ':tier': tier,
        ':version': sales.length,
        ...(dueAt ? { ':pk': indexKeys.dueOn(dueAt), ':sk': `${dueAt}#${userId}` } : {}),
      },
    }),
  );
}

const runDeps = (program: ProgramConfig = PROGRAM, ledger: ReviewLedger = new DynamoDbReviewLedger(table.db, table.tableName)) => ({
  index: new DynamoDbDueIndex(table.db, table.tableName),
  ledger,
  program,
  now: NOW,
  timeLeftMs: () => 300_000,
});

const profile = async (userId: string) =>
  (await table.db.send(new GetCommand({ TableName: table.tableName, Key: keys.customer(userId), ConsistentRead: true }))).Item!;
const partition = async (userId: string, prefix: string) =>
  (
    await table.db.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.customer(userId).PK, ':prefix': prefix },
        ConsistentRead: true,
      }),
    )
  ).Items ?? [];

describe('the scheduled expiry and requalification run, on DynamoDB Local', () => {
  test('reads only the due customers, and expires once however often and however many runs go at once', async () => {
    await seedCustomer(
      'exp-due',
      [
        { daysAgo: 400, points: 100 },
        { daysAgo: 100, points: 40 },
      ],
      ago(30),
    );
    await seedCustomer('exp-later', [{ daysAgo: 400, points: 10 }], new Date(NOW.getTime() + 10 * DAY).toISOString());
    await seedCustomer('exp-unindexed', [{ daysAgo: 400, points: 10 }]);
    const send = jest.spyOn(table.db, 'send');

    const [first, second] = await Promise.all([runDueReviews(runDeps()), runDueReviews(runDeps())]);

    const commands = send.mock.calls.map(([command]) => command as { constructor: { name: string }; input: Record<string, any> });
    expect(commands.some((c) => c.constructor.name === 'ScanCommand')).toBe(false);
    const histories = commands
      .filter((c) => c.constructor.name === 'QueryCommand' && c.input.IndexName === GSI1)
      .map((c) => c.input.ExpressionAttributeValues[':pk']);
    expect(new Set(histories)).toEqual(new Set([indexKeys.customerSales('exp-due')]));
    send.mockRestore();

    expect(first.expired.points + second.expired.points).toBe(100);
    const again = await runDueReviews(runDeps());
    expect(again.expired.points).toBe(0);
    const expiries = await partition('exp-due', 'EXPIRY#');
    expect(expiries).toEqual([
      expect.objectContaining({
        entity: 'expiry',
        points: 100,
        balanceAfter: 40,
        at: new Date(Date.parse(ago(400)) + 365 * DAY).toISOString(),
        reason: `points earned on or before ${ago(400).slice(0, 10)} expired after 365 days`,
        GSI1PK: indexKeys.customerMoves('exp-due'),
      }),
    ]);
    // Next: the notice of the 40 points, 14 days before they expire.
    expect(await profile('exp-due')).toMatchObject({
      points: 40,
      version: 3,
      GSI3SK: `${new Date(Date.parse(ago(100)) + (365 - 14) * DAY).toISOString()}#exp-due`,
    });
    expect(await profile('exp-later')).toMatchObject({ points: 10, version: 1 });
    // A data subject's export shows the expiry.
    const records = new DynamoDbCustomerRecords(table.db, table.tableName);
    expect((await records.accountEvents('exp-due')).expiries).toEqual([expect.objectContaining({ entity: 'expiry', points: 100 })]);
  });

  test('a redemption landing between the read and the write: the version guard refuses the write, the retry expires what is left', async () => {
    await seedCustomer('exp-race', [{ daysAgo: 400, points: 100 }], ago(5));
    const real = new DynamoDbReviewLedger(table.db, table.tableName);
    const changes = new DynamoDbAccountChanges(table.db, table.tableName);
    let landed = false;
    const racing: ReviewLedger = {
      load: (userId) => real.load(userId),
      notice: (userId, notice, now) => real.notice(userId, notice, now),
      reschedule: (...args) => real.reschedule(...args),
      async apply(before, after, plan, now) {
        if (!landed) {
          landed = true;
          await changes.adjust({
            userId: before.userId,
            idempotencyKey: 'race-1',
            points: -80,
            reason: 'spent',
            madeBy: { id: 'op', name: 'Operator' },
          });
        }
        return real.apply(before, after, plan, now);
      },
    };
    const result = await runDueReviews(runDeps(PROGRAM, racing));
    expect(result.expired.points).toBe(20);
    expect(await profile('exp-race')).toMatchObject({ points: 0 });
    expect(await partition('exp-race', 'EXPIRY#')).toEqual([expect.objectContaining({ points: 20, balanceAfter: 0 })]);
  });

  test('a notice of points about to expire is written once', async () => {
    await seedCustomer('exp-notice', [{ daysAgo: 360, points: 25 }], ago(2));
    await runDueReviews(runDeps());
    await table.db.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: keys.customer('exp-notice'),
        UpdateExpression: 'SET GSI3PK = :pk, GSI3SK = :sk',
        ExpressionAttributeValues: { ':pk': indexKeys.dueOn(ago(1)), ':sk': `${ago(1)}#exp-notice` },
      }),
    );
    await runDueReviews(runDeps());
    const notices = await partition('exp-notice', 'NOTICE#');
    expect(notices).toEqual([
      expect.objectContaining({
        entity: 'notice',
        notice: 'points_expiring',
        userId: 'exp-notice',
        points: 25,
        firstExpiryAt: new Date(Date.parse(ago(360)) + 365 * DAY).toISOString(),
      }),
    ]);
  });

  test('a downgrade follows the policy, with its entry in the history', async () => {
    const program: ProgramConfig = { ...DEFAULT_PROGRAM, requalification: { windowMonths: 12, downgrade: 'one_down', noticeDays: 0 } };
    await seedCustomer(
      'req-gold',
      [
        { daysAgo: 500, points: 2_100 },
        { daysAgo: 20, points: 100 },
      ],
      ago(1),
      'Gold',
    );
    await runDueReviews(runDeps(program));
    expect(await profile('req-gold')).toMatchObject({ tier: 'Silver', points: 2_200, version: 3 });
    expect(await partition('req-gold', 'TIER#')).toEqual([
      expect.objectContaining({
        entity: 'tier_change',
        from: 'Gold',
        to: 'Silver',
        pointsInWindow: 100,
        GSI1PK: indexKeys.customerMoves('req-gold'),
      }),
    ]);
    const next = await profile('req-gold');
    expect(next.nextReviewAt).toBe(new Date(NOW.getTime() + 30 * DAY).toISOString());
    expect(next.GSI3SK).toBe(`${next.nextReviewAt}#req-gold`);
  });

  test('erasure: the customer leaves the due days, its expiries move to the pseudonym, its notices go', async () => {
    await seedCustomer(
      'exp-erased',
      [
        { daysAgo: 400, points: 10 },
        { daysAgo: 360, points: 5 },
      ],
      ago(1),
    );
    await runDueReviews(runDeps());
    expect(await partition('exp-erased', 'NOTICE#')).toHaveLength(1);
    const erasure = new DynamoDbCustomerErasure(table.db, table.tableName);
    const started = await erasure.start('exp-erased', NOW.toISOString());
    if (started.state !== 'erasing') throw new Error(started.state);
    expect(await profile('exp-erased')).not.toHaveProperty('GSI3PK');
    expect(await erasure.finish('exp-erased', started.pseudonym, NOW.toISOString())).toBe(true);

    expect(await profile('exp-erased')).not.toHaveProperty('GSI3PK');
    expect(await partition('exp-erased', 'EXPIRY#')).toEqual([]);
    expect(await partition('exp-erased', 'NOTICE#')).toEqual([]);
    expect(await partition(started.pseudonym, 'EXPIRY#')).toEqual([
      expect.objectContaining({
        userId: started.pseudonym,
        points: 10,
        GSI1PK: indexKeys.customerMoves(started.pseudonym),
        pseudonymous: true,
      }),
    ]);
    const due = await table.db.send(
      new QueryCommand({
        TableName: table.tableName,
        IndexName: GSI3,
        KeyConditionExpression: 'GSI3PK = :pk',
        FilterExpression: 'userId = :user',
        ExpressionAttributeValues: { ':pk': indexKeys.dueOn(new Date(NOW.getTime() + 5 * DAY).toISOString()), ':user': 'exp-erased' },
      }),
    );
    expect(due.Items).toEqual([]);
  });

  test('switching a policy on for a table with customers: the one-off enrolment puts those holding points on today’s run, once', async () => {
    await seedCustomer('enrol-holder', [{ daysAgo: 30, points: 50 }]);
    await seedCustomer('enrol-gold', [], undefined, 'Gold');
    await seedCustomer('enrol-empty', []);
    await seedCustomer('enrol-scheduled', [{ daysAgo: 30, points: 50 }], ago(-10));
    const dueAt = NOW.toISOString();
    const first = await enrolCustomersForReview(table.db, table.tableName, { dueAt, lowestTier: 'Bronze', segments: 3 });
    expect(first.enrolled).toBeGreaterThanOrEqual(2);
    for (const userId of ['enrol-holder', 'enrol-gold'])
      expect(await profile(userId)).toMatchObject({ GSI3PK: indexKeys.dueOn(dueAt), GSI3SK: `${dueAt}#${userId}` });
    expect(await profile('enrol-empty')).not.toHaveProperty('GSI3PK');
    expect((await profile('enrol-scheduled')).GSI3SK).toBe(`${ago(-10)}#enrol-scheduled`);
    expect(await enrolCustomersForReview(table.db, table.tableName, { dueAt, lowestTier: 'Bronze' })).toEqual({ seen: 0, enrolled: 0 });
  });

  test('points given back after an expiry (a reversed redemption) expire too, as an entry of their own; the customer is back on the run', async () => {
    await seedCustomer('exp-twice', [{ daysAgo: 400, points: 100 }], ago(1));
    const redemption = {
      ...keys.redemption('exp-twice', 'k1'),
      entity: 'redemption',
      userId: 'exp-twice',
      points: 60,
      createdAt: ago(300),
    };
    await table.db.send(new PutCommand({ TableName: table.tableName, Item: { ...redemption, status: 'issued' } }));
    await table.db.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: keys.customer('exp-twice'),
        UpdateExpression: 'SET points = :points, version = version + :one',
        ExpressionAttributeValues: { ':points': 40, ':one': 1 },
      }),
    );
    expect((await runDueReviews(runDeps())).expired.points).toBeGreaterThanOrEqual(40);
    expect(await profile('exp-twice')).toMatchObject({ points: 0 });

    // The redemption is reversed: its 60 points come back, already past their expiry.
    await table.db.send(new PutCommand({ TableName: table.tableName, Item: { ...redemption, status: 'reversed' } }));
    await table.db.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: keys.customer('exp-twice'),
        UpdateExpression: 'SET points = :points, version = version + :one, GSI3PK = :pk, GSI3SK = :sk',
        ExpressionAttributeValues: { ':points': 60, ':one': 1, ':pk': indexKeys.dueOn(ago(0.1)), ':sk': `${ago(0.1)}#exp-twice` },
      }),
    );
    await runDueReviews(runDeps());
    const expiries = await partition('exp-twice', 'EXPIRY#');
    expect(expiries.map((e) => e.points).sort()).toEqual([40, 60]);
    expect(await profile('exp-twice')).toMatchObject({ points: 0 });

    // Points an admin adds while the run is on put a customer who is on no day back on it.
    const changes = new DynamoDbAccountChanges(table.db, table.tableName, PROGRAM);
    await table.db.send(
      new UpdateCommand({ TableName: table.tableName, Key: keys.customer('exp-twice'), UpdateExpression: 'REMOVE GSI3PK, GSI3SK' }),
    );
    await changes.adjust({
      userId: 'exp-twice',
      idempotencyKey: 'goodwill',
      points: 25,
      reason: 'goodwill',
      madeBy: { id: 'op', name: 'op' },
    });
    expect((await profile('exp-twice')).GSI3PK).toMatch(/^DUE#/);
  });
});
