import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LocalStackClient, waitFor } from '../../local/local-client';
import { momaSale } from '../support/moma';

let local: LocalStackClient;
beforeAll(() => {
  local = LocalStackClient.fromEnv();
});
afterAll(() => local.destroy());

test('sales that complete a punch card and cross a tier produce exactly those notifications, once', async () => {
  await local.admin('PUT', '/admin/users/ntf-gus', {
    name: 'Gus',
    pushEndpoint: 'arn:aws:sns:us-east-1:000000000000:endpoint/GCM/hi-vis/gus',
    marketingConsent: true,
  });
  await local.admin('POST', '/admin/users/ntf-gus/cards', { cardNumber: '4916 0000 0000 0007' });
  const today = new Date().toISOString().slice(0, 10);
  // Ten sales of 45 points: the tenth completes the punch card (+50), and 450 + 50 = 500 lifetime points is Silver.
  const sales = Array.from({ length: 10 }, (_, i) =>
    momaSale({
      transactionId: `NTF-${i + 1}`,
      cardNumber: '4916000000000007',
      amount: 450,
      // In the day's first seconds: never newer than a sale made now, whatever the hour.
      date: `${today}T00:00:${String(i).padStart(2, '0')}Z`,
    }),
  );
  await local.sendMomaBatch(sales.slice(0, 9));
  await waitFor(async () => (await local.customer('ntf-gus'))?.purchaseCount === 9, 'nine sales');
  // The tenth arrives by both paths, twice.
  await Promise.all([
    local.sendMomaBatch([sales[9], sales[9]]),
    local.putMomaFile('transactions/ntf-tenth.json', JSON.stringify(sales[9])),
  ]);
  await waitFor(
    async () => (await local.fileRecord('transactions/ntf-tenth.json'))?.status === 'processed',
    'the file copy of the tenth sale',
  );
  await waitFor(async () => (await local.queueDepth(local.endpoints.momaQueueUrl)) === 0, 'the queue to drain');
  expect(await local.customer('ntf-gus')).toMatchObject({ points: 500, tier: 'Silver', punchCardsCompleted: 1, purchaseCount: 10 });

  const mine = await waitFor(async () => {
    const page = await local.admin('GET', '/admin/notifications?limit=100');
    const items = page.body.items.filter((n: { userId?: string }) => n.userId === 'ntf-gus');
    return items.length >= 13 ? items : undefined;
  }, 'the notifications');
  await new Promise((r) => setTimeout(r, 1_000));
  const settled = (await local.admin('GET', '/admin/notifications?limit=100')).body.items.filter(
    (n: { userId?: string }) => n.userId === 'ntf-gus',
  );
  expect(settled).toHaveLength(mine.length);
  const kinds = settled.map((n: { eventType: string }) => n.eventType);
  expect(kinds.filter((k: string) => k === 'points_awarded')).toHaveLength(10);
  expect(
    settled
      .filter((n: { eventType: string }) => n.eventType !== 'points_awarded')
      .map((n: { eventId: string }) => n.eventId)
      .sort(),
  ).toEqual(['NTF-10:bonus_awarded', 'NTF-10:punch_card_completed', 'NTF-10:tier_upgraded']);
  expect(settled.find((n: { eventType: string }) => n.eventType === 'tier_upgraded')).toMatchObject({
    balanceAfter: 500,
    tier: 'Silver',
    status: 'published',
    channels: ['local-sink', 'push'],
  });

  const sink = readFileSync(path.join(local.endpoints.dataDir, 'notifications.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(sink.filter((n) => n.eventId === 'NTF-10:tier_upgraded')).toHaveLength(1);
  expect(JSON.stringify(sink)).not.toContain('4916000000000007');
});

test('a customer who did not consent gets the service messages of a sale, never its marketing message', async () => {
  const created = await local.admin('PUT', '/admin/users/ntf-ida', { name: 'Ida' });
  expect(created.body).toMatchObject({ marketingConsent: false, marketingConsentAt: null });
  await local.admin('POST', '/admin/users/ntf-ida/cards', { cardNumber: '4000 0566 5566 5556' });
  // $50: 500 points, a new tier (a service message) and points awarded (marketing).
  await local.sendMomaMessage(momaSale({ transactionId: 'NTF-IDA-1', cardNumber: '4000056655665556', amount: 5_000 }));
  const kinds = async () =>
    (await local.admin('GET', '/admin/notifications?limit=100')).body.items
      .filter((n: { userId?: string }) => n.userId === 'ntf-ida')
      .map((n: { eventType: string }) => n.eventType);
  await waitFor(async () => (await kinds()).includes('tier_upgraded') || undefined, "Ida's tier message");
  await new Promise((r) => setTimeout(r, 1_000));
  expect(await kinds()).toEqual(['tier_upgraded']);

  // Consent given later is dated; withdrawing it dates it again.
  const given = await local.admin('PUT', '/admin/users/ntf-ida', { name: 'Ida', marketingConsent: true });
  expect(given.body).toMatchObject({ marketingConsent: true, marketingConsentAt: expect.any(String) });
  const kept = await local.admin('PUT', '/admin/users/ntf-ida', { name: 'Ida B.' });
  expect(kept.body).toMatchObject({ marketingConsent: true, marketingConsentAt: given.body.marketingConsentAt });
});
