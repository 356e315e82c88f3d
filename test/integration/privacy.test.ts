import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { LocalStackClient, waitFor } from '../../local/local-client';
import { momaSale } from '../support/moma';

let local: LocalStackClient;
beforeAll(() => {
  local = LocalStackClient.fromEnv();
});
afterAll(() => local.destroy());

const EVE = 'prv-eve';
const CARD = '6011 0009 9013 9424';
const SECOND_CARD = '3566 0020 2036 0505';
const PERSONAL = {
  name: 'Evangeline Erasmus-Quill',
  email: 'evangeline.quill@example.com',
  pushEndpoint: 'arn:aws:sns:eu-west-1:1:quill-phone',
};
/** Days no other test sells on, so the statistics of these days are this test's alone. */
const SALE_DAYS = { from: '2023-03-14', to: '2023-03-16' };

async function scanTable(tableName = local.endpoints.tableName) {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await local.db.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start, ConsistentRead: true }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

async function exportAll(userId: string) {
  const parts: Record<string, any>[] = [];
  let cursor: string | undefined;
  do {
    const part = await local.admin('GET', `/admin/users/${userId}/export${cursor ? `?cursor=${cursor}` : ''}`);
    expect(part.status).toBe(200);
    parts.push(part.body);
    cursor = part.body.nextCursor;
  } while (cursor);
  return parts;
}

const statsOf = async () => (await local.admin('GET', `/admin/stats?from=${SALE_DAYS.from}&to=${SALE_DAYS.to}`)).body;
const salesCounted = (stats: Record<string, any>) => (stats.byDay as { sales: number }[]).reduce((sum, day) => sum + day.sales, 0);

describe('GDPR export and erasure on the local stack', () => {
  test('an erased customer is nowhere in the table, the books still add up, and the card no longer matches', async () => {
    expect((await local.admin('PUT', `/admin/users/${EVE}`, { ...PERSONAL, marketingConsent: true })).status).toBe(201);
    for (const card of [CARD, SECOND_CARD])
      expect((await local.admin('POST', `/admin/users/${EVE}/cards`, { cardNumber: card })).status).toBe(201);
    const sales = [
      momaSale({ transactionId: 'PRV-1', cardNumber: CARD, amount: 450, date: '2023-03-14T09:00:00Z' }),
      momaSale({ transactionId: 'PRV-2', cardNumber: SECOND_CARD, amount: 300, date: '2023-03-15T09:00:00Z' }),
      momaSale({ transactionId: 'PRV-3', cardNumber: CARD, amount: 990, date: '2023-03-15T12:00:00Z' }),
    ];
    await local.sendMomaBatch(sales);
    await waitFor(async () => (await local.customer(EVE))?.purchaseCount === 3, 'the three sales to be awarded');
    // A second, different delivery of PRV-1 (a conflict), an adjustment and a reversal: all of it is Eve's.
    await local.sendMomaMessage({ ...sales[0], amount: 999 });
    await waitFor(async () => (await local.admin('GET', '/admin/transactions/PRV-1')).body.conflicts?.length === 1, 'the conflict');
    const adjustment = { points: 25, reason: 'Refund of a jammed can', idempotencyKey: 'prv-eve-1' };
    expect((await local.admin('POST', `/admin/users/${EVE}/adjustments`, adjustment)).status).toBe(201);
    expect((await local.admin('POST', '/admin/transactions/PRV-2/reverse', { reason: 'Machine refunded it' })).status).toBe(200);
    const account = await local.customer(EVE);
    await waitFor(async () => salesCounted(await statsOf()) === 2, 'the statistics of the awarded and reversed sales');

    // The card hashes Eve's data is held under, to look for them after the erasure.
    const eveItems = (await scanTable()).filter((item) => JSON.stringify(item).includes(EVE));
    const hashes = eveItems.flatMap((item) => [item.GSI1PK, item.GSI2PK, item.cardFullHash, item.cardLast4Hash]);
    const cardHashes = [...new Set(hashes.filter((h): h is string => typeof h === 'string' && /[0-9a-f]{32}/.test(h)))].map((h) =>
      h.replace(/^CARD(HASH|4)#/, ''),
    );
    expect(cardHashes.length).toBeGreaterThanOrEqual(4);

    const exported = await exportAll(EVE);
    const document = JSON.stringify(exported);
    expect(exported.map((p) => p.section)).toEqual(expect.arrayContaining(['profile', 'sales', 'notifications', 'audit']));
    expect(exported[0]).toMatchObject({
      profile: { name: PERSONAL.name, email: PERSONAL.email, pushEndpoint: PERSONAL.pushEndpoint, points: account!.points },
      cards: expect.arrayContaining([expect.objectContaining({ last4: '9424' }), expect.objectContaining({ last4: '0505' })]),
      consents: [expect.objectContaining({ purpose: 'marketing messages', given: true, at: expect.any(String) })],
      adjustments: [expect.objectContaining({ points: 25, reason: adjustment.reason })],
    });
    const exportedSales = exported.filter((p) => p.section === 'sales').flatMap((p) => p.items);
    expect(exportedSales.map((s) => [s.transactionId, s.status]).sort()).toEqual([
      ['PRV-1', 'awarded'],
      ['PRV-2', 'reversed'],
      ['PRV-3', 'awarded'],
    ]);
    expect(exported.filter((p) => p.section === 'notifications').flatMap((p) => p.items).length).toBeGreaterThanOrEqual(3);
    expect(
      exported
        .filter((p) => p.section === 'audit')
        .flatMap((p) => p.items)
        .map((e) => e.action),
    ).toEqual(expect.arrayContaining(['PUT /admin/users/{userId}', 'POST /admin/users/{userId}/adjustments']));
    for (const hash of cardHashes) expect(document).not.toContain(hash);
    expect(document).not.toMatch(/Hash"|6011000990139424|3566002020360505/);

    const before = await statsOf();
    expect((await local.admin('POST', `/admin/users/${EVE}/erase`, {})).body.errors).toEqual([
      { field: 'body.reason', rule: 'is required and must be a string' },
    ]);
    const erased = await local.admin('POST', `/admin/users/${EVE}/erase`, { reason: 'Customer asked to be forgotten (ticket 4411)' });
    expect(erased).toMatchObject({ status: 200, body: { erased: true, complete: true, moved: { sales: 3, adjustments: 1 } } });

    const table = JSON.stringify(await scanTable());
    for (const personal of Object.values(PERSONAL)) expect(table).not.toContain(personal);
    for (const hash of cardHashes) expect(table).not.toContain(hash);
    const remaining = (await scanTable()).filter((item) => JSON.stringify(item).includes(EVE));
    expect(remaining).toEqual([expect.objectContaining({ PK: `CUSTOMER#${EVE}`, SK: 'PROFILE', entity: 'erased-customer' })]);
    expect(Object.keys(remaining[0]!).sort()).toEqual(['PK', 'SK', 'entity', 'erasedAt', 'userId', 'version']);

    // The books: the same sales, points and balance, now under a pseudonym nothing maps back to Eve.
    const pseudonym = String((await local.sale('PRV-1'))?.userId);
    expect(pseudonym).toMatch(/^anon-[0-9a-f-]{36}$/);
    expect(await local.customer(pseudonym)).toMatchObject({
      points: account!.points,
      tier: account!.tier,
      purchaseCount: account!.purchaseCount,
    });
    expect((await local.sale('PRV-2'))?.userId).toBe(pseudonym);

    // A later sale on the erased card is unmatched, not re-linked; the figures of the earlier sales are unchanged.
    await local.sendMomaMessage(momaSale({ transactionId: 'PRV-4', cardNumber: CARD, amount: 200, date: '2023-03-16T09:00:00Z' }));
    await waitFor(async () => (await local.sale('PRV-4'))?.status === 'unmatched', 'the sale on the erased card to be held');
    // The stream's consumers have seen every write of the erasure before the held sale; give them a moment more.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await statsOf()).toEqual(before);

    // Gone for every route; a second erasure changes nothing.
    expect((await local.admin('GET', `/admin/users/${EVE}`)).status).toBe(410);
    expect((await local.admin('PUT', `/admin/users/${EVE}`, { name: 'Eve' })).status).toBe(410);
    expect((await local.admin('POST', `/admin/users/${EVE}/cards`, { cardNumber: CARD })).status).toBe(410);
    expect((await local.admin('POST', '/admin/unmatched/PRV-4/assign', { userId: EVE })).status).toBe(410);
    expect(await local.admin('POST', `/admin/users/${EVE}/erase`, { reason: 'again' })).toMatchObject({
      status: 200,
      body: { erased: true, alreadyErased: true },
    });

    // The erasure is audited (who, when, why) without what was erased.
    const audit = await local.admin(
      'GET',
      `/admin/audit?target=customer:${EVE}&action=${encodeURIComponent('POST /admin/users/{userId}/erase')}`,
    );
    expect(audit.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ outcome: 'succeeded', actorName: expect.any(String), detail: expect.stringContaining('ticket 4411') }),
      ]),
    );
    const auditTable = JSON.stringify(await scanTable(local.endpoints.auditTableName));
    for (const personal of Object.values(PERSONAL)) expect(auditTable).not.toContain(personal);
  });

  test('an export cursor that was tampered with is a 400 naming the cursor', async () => {
    await local.admin('PUT', '/admin/users/prv-fay', { name: 'Fay' });
    const tampered = Buffer.from(JSON.stringify({ section: 'everything' })).toString('base64url');
    for (const cursor of [tampered, 'not a cursor', 'x'.repeat(4_000)]) {
      const answer = await local.admin('GET', `/admin/users/prv-fay/export?cursor=${encodeURIComponent(cursor)}`);
      expect([cursor.slice(0, 20), answer.status, answer.body.errors?.[0]?.field]).toEqual([cursor.slice(0, 20), 400, 'query.cursor']);
    }
    expect((await local.admin('GET', '/admin/users/prv-nobody/export')).status).toBe(404);
    expect((await local.admin('POST', '/admin/users/prv-nobody/erase', { reason: 'x' })).status).toBe(404);
  });
});
