import { randomBytes } from 'node:crypto';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbAccountChanges } from '../../shared/adapters/dynamodb/account-changes';
import { CursorSigner } from '../../shared/adapters/dynamodb/admin-queries';
import { DynamoDbCustomerErasure, DynamoDbCustomerRecords } from '../../shared/adapters/dynamodb/customer-privacy';
import { DynamoDbRedemptions } from '../../shared/adapters/dynamodb/redemptions';
import { GSI1, GSI3, indexKeys, keys } from '../../shared/adapters/dynamodb/table-keys';
import { AdminError } from '../../shared/admin/errors';
import { type RedemptionDeps, redeemReward, reverseRedemption } from '../../shared/admin/redemptions';
import { REDEMPTION_CODE_FORMAT } from '../../shared/domain/redemption';
import { systemClock } from '../../shared/ingest/ports';
import { createTestTable, type TestTable } from '../support/dynamodb';

/**
 * Redemptions on DynamoDB Local, through the real adapters: the transaction of redemption and account standing, its
 * guards under concurrency (never below zero, one redemption per key), reversal, the signed listing, and erasure.
 */

const OPERATOR = { id: 'sub-admin', name: 'admin@hivis.local' };

let table: TestTable;
let redemptions: DynamoDbRedemptions;
let deps: RedemptionDeps;

beforeAll(async () => {
  table = await createTestTable();
  redemptions = new DynamoDbRedemptions(table.db, table.tableName, new CursorSigner(randomBytes(32)));
  deps = { ...table.deps, customers: table.customers, redemptions, clock: systemClock };
});
afterAll(async () => {
  await table.destroy();
});

/** A customer with this balance, as an adjustment would leave it. */
async function customerWith(userId: string, points: number) {
  await table.customers.upsertCustomer({ userId, name: userId });
  await table.db.send(
    new UpdateCommand({
      TableName: table.tableName,
      Key: keys.customer(userId),
      UpdateExpression: 'SET points = :points ADD version :one',
      ExpressionAttributeValues: { ':points': points, ':one': 1 },
    }),
  );
}

const balanceOf = async (userId: string) => (await table.customers.getCustomer(userId))?.points;
const statusOf = (err: unknown) => (err instanceof AdminError ? err.status : err);

describe('redemptions on DynamoDB Local', () => {
  test('a redemption is stored with its movement and day index keys, and takes its points in the same transaction', async () => {
    await customerWith('rd-ann', 1_000);
    const result = await redeemReward('rd-ann', { rewardId: 'free-vend', idempotencyKey: 'ann-1' }, OPERATOR, deps);
    expect(result).toMatchObject({ redeemed: true, balance: 700, redemption: { status: 'issued', points: 300, balanceAfter: 700 } });
    expect(result.redemption.code).toMatch(REDEMPTION_CODE_FORMAT);
    expect(await balanceOf('rd-ann')).toBe(700);

    const moves = await table.db.send(
      new QueryCommand({
        TableName: table.tableName,
        IndexName: GSI1,
        KeyConditionExpression: 'GSI1PK = :pk',
        ExpressionAttributeValues: { ':pk': indexKeys.customerMoves('rd-ann') },
      }),
    );
    expect(moves.Items).toEqual([
      expect.objectContaining({
        SK: 'REDEMPTION#ann-1',
        GSI1SK: `${result.redemption.createdAt}#REDEMPTION#ann-1`,
        GSI3PK: `REDEMPTION#${result.redemption.createdAt.slice(0, 10)}`,
        GSI3SK: `${result.redemption.createdAt}#rd-ann`,
      }),
    ]);
    const byDay = await table.db.send(
      new QueryCommand({
        TableName: table.tableName,
        IndexName: GSI3,
        KeyConditionExpression: 'GSI3PK = :pk',
        ExpressionAttributeValues: { ':pk': `REDEMPTION#${result.redemption.createdAt.slice(0, 10)}` },
      }),
    );
    expect(byDay.Items?.map((i) => i.userId)).toContain('rd-ann');
  });

  test('20 concurrent redemptions of 300 on a balance of 1000: exactly 3 succeed, the balance is 100, the rest are refused as short', async () => {
    await customerWith('rd-race', 1_000);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => redeemReward('rd-race', { rewardId: 'free-vend', idempotencyKey: `race-${i}` }, OPERATOR, deps)),
    );
    const succeeded = results.filter((r) => r.status === 'fulfilled');
    expect(succeeded).toHaveLength(3);
    expect(results.filter((r) => r.status === 'rejected').map((r) => statusOf(r.reason))).toEqual(Array(17).fill(409));
    expect(await balanceOf('rd-race')).toBe(100);
    const listed = await redemptions.list('rd-race', 100);
    expect(listed.items).toHaveLength(3);
    expect(new Set(listed.items.map((r) => r.balanceAfter))).toEqual(new Set([700, 400, 100]));
  });

  test('the same key sent 10 times at once redeems once; every answer is that one redemption', async () => {
    await customerWith('rd-twice', 1_000);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => redeemReward('rd-twice', { rewardId: 'credit-5', idempotencyKey: 'double-click' }, OPERATOR, deps)),
    );
    expect(answers.filter((a) => a.redeemed)).toHaveLength(1);
    expect(new Set(answers.map((a) => a.redemption.code)).size).toBe(1);
    expect(await balanceOf('rd-twice')).toBe(500);
    expect((await redemptions.list('rd-twice', 100)).items).toHaveLength(1);
  });

  test('the balance guard holds even against a writer that ignores versions', async () => {
    await customerWith('rd-guard', 400);
    const account = (await table.deps.ledger.getAccount('rd-guard', { consistent: true }))!;
    // Another writer takes points without moving the version (as no writer of this system does): the version matches,
    // but the stored balance no longer covers the plan made on the old one.
    await table.db.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: keys.customer('rd-guard'),
        UpdateExpression: 'SET points = :p',
        ExpressionAttributeValues: { ':p': 100 },
      }),
    );
    const reward = table.deps.program.rewards[0]!;
    const commit = await redemptions.redeem(
      { userId: 'rd-guard', idempotencyKey: 'g-1', reward, code: 'AAAA-BBBB', madeBy: OPERATOR, at: new Date().toISOString() },
      account,
      { ...account, points: account.points - reward.points, version: account.version + 1 },
    );
    expect(commit).toEqual({ kind: 'stale' });
    expect(await balanceOf('rd-guard')).toBe(100);
    expect(await redemptions.get('rd-guard', 'g-1')).toBeUndefined();
  });

  test('a reversal gives the points back once; concurrent reversals of one redemption: one succeeds, the others are 409', async () => {
    await customerWith('rd-back', 600);
    await redeemReward('rd-back', { rewardId: 'credit-5', idempotencyKey: 'back-1' }, OPERATOR, deps);
    expect(await balanceOf('rd-back')).toBe(100);
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => reverseRedemption('rd-back', 'back-1', 'refund', OPERATOR, deps)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => statusOf(r.reason))).toEqual(Array(4).fill(409));
    expect(await balanceOf('rd-back')).toBe(600);
    expect(await redemptions.get('rd-back', 'back-1')).toMatchObject({
      status: 'reversed',
      reversalReason: 'refund',
      reversedBy: OPERATOR.name,
    });
  });

  test('the listing is newest first, skips adjustments in the same movements, and pages with signed cursors', async () => {
    await customerWith('rd-pages', 10_000);
    const changes = new DynamoDbAccountChanges(table.db, table.tableName);
    for (let i = 0; i < 7; i++) {
      await redeemReward('rd-pages', { rewardId: 'free-vend', idempotencyKey: `page-${i}` }, OPERATOR, deps);
      await changes.adjust({ userId: 'rd-pages', idempotencyKey: `adj-${i}`, points: 1, reason: 'goodwill', madeBy: OPERATOR });
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await redemptions.list('rd-pages', 3, cursor);
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((r) => String(r.redemptionId)));
      expect(page.items.every((r) => r.entity === 'redemption' && !('PK' in r) && !('GSI1PK' in r))).toBe(true);
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(['page-6', 'page-5', 'page-4', 'page-3', 'page-2', 'page-1', 'page-0']);
    const first = await redemptions.list('rd-pages', 3);
    await expect(redemptions.list('rd-ann', 3, first.nextCursor)).rejects.toThrow('belongs to another listing');
    await expect(redemptions.list('rd-pages', 3, `${first.nextCursor}x`)).rejects.toThrow('cursor');

    // The adjustments are in the customer's movements too, by when they were made.
    const moves = await table.db.send(
      new QueryCommand({
        TableName: table.tableName,
        IndexName: GSI1,
        KeyConditionExpression: 'GSI1PK = :pk',
        ExpressionAttributeValues: { ':pk': indexKeys.customerMoves('rd-pages') },
        ScanIndexForward: false,
      }),
    );
    expect(moves.Items?.filter((m) => m.entity === 'adjustment')).toHaveLength(7);
    expect(moves.Items?.filter((m) => m.entity === 'redemption')).toHaveLength(7);
    expect(moves.Items?.find((m) => m.SK === 'ADJUSTMENT#adj-6')).toMatchObject({
      reason: 'goodwill',
      GSI1SK: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z#ADJUSTMENT#adj-6$/),
    });
  });

  test('an erasure moves redemptions and adjustments to the pseudonym, in its movements, with nothing of the customer left', async () => {
    await customerWith('rd-erase', 1_000);
    const changes = new DynamoDbAccountChanges(table.db, table.tableName);
    await changes.adjust({ userId: 'rd-erase', idempotencyKey: 'rd-erase-adj', points: 50, reason: 'goodwill', madeBy: OPERATOR });
    await redeemReward('rd-erase', { rewardId: 'free-vend', idempotencyKey: 'rd-erase-visit' }, OPERATOR, deps);
    const records = new DynamoDbCustomerRecords(table.db, table.tableName);
    expect(await records.redemptions('rd-erase')).toEqual([expect.objectContaining({ redemptionId: 'rd-erase-visit', points: 300 })]);

    const erasure = new DynamoDbCustomerErasure(table.db, table.tableName);
    const start = await erasure.start('rd-erase', new Date().toISOString());
    if (start.state !== 'erasing') throw new Error(`expected an erasure to start, got ${start.state}`);
    // Redeeming while the erasure runs is refused: the account is no account any more.
    await expect(redeemReward('rd-erase', { rewardId: 'free-vend', idempotencyKey: 'late' }, OPERATOR, deps)).rejects.toMatchObject({
      status: 410,
    });
    const [moved, again] = await Promise.all([
      erasure.moveRedemptions('rd-erase', start.pseudonym),
      erasure.moveRedemptions('rd-erase', start.pseudonym),
    ]);
    expect(moved + again).toBe(1);
    expect(await erasure.moveAdjustments('rd-erase', start.pseudonym)).toBe(1);
    expect(await records.redemptions('rd-erase')).toEqual([]);

    const movedItems = await table.db.send(
      new QueryCommand({
        TableName: table.tableName,
        IndexName: GSI1,
        KeyConditionExpression: 'GSI1PK = :pk',
        ExpressionAttributeValues: { ':pk': indexKeys.customerMoves(start.pseudonym) },
        ConsistentRead: false,
      }),
    );
    expect(movedItems.Items?.map((i) => i.entity).sort()).toEqual(['adjustment', 'redemption']);
    for (const item of movedItems.Items ?? []) {
      expect(JSON.stringify(item)).not.toContain('rd-erase');
      expect(item).toMatchObject({ userId: start.pseudonym, PK: `CUSTOMER#${start.pseudonym}` });
    }
    expect(movedItems.Items?.find((i) => i.entity === 'redemption')).toMatchObject({
      pseudonymous: true,
      points: 300,
      status: 'issued',
      GSI3SK: expect.stringMatching(new RegExp(`#${start.pseudonym}$`)),
    });
    const stillIndexed = await table.db.send(
      new QueryCommand({
        TableName: table.tableName,
        IndexName: GSI1,
        KeyConditionExpression: 'GSI1PK = :pk',
        ExpressionAttributeValues: { ':pk': indexKeys.customerMoves('rd-erase') },
      }),
    );
    expect(stillIndexed.Items).toEqual([]);
  });
});
