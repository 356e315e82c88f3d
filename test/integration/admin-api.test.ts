import { CreateQueueCommand, DeleteMessageCommand, DeleteQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { LocalStackClient, waitFor } from '../../local/local-client';
import { momaSale } from '../support/moma';

let local: LocalStackClient;
beforeAll(() => {
  local = LocalStackClient.fromEnv();
});
afterAll(async () => {
  await local.admin('POST', '/admin/sync/start');
  local.destroy();
});

const CARD = '4111 2222 3333 4444';
/**
 * Today, for dates of test sales: always in its first seconds, so no test sale is newer than one made now (the
 * console's latest sales list the newest, whatever the time of day the tests run).
 */
const today = () => new Date().toISOString().slice(0, 10);

describe('admin API on the local stack', () => {
  test('every route rejects a missing or wrong token with 401 and no detail', async () => {
    for (const [method, route] of [
      ['GET', '/admin/sync/status'],
      ['POST', '/admin/sync/stop'],
      ['GET', '/admin/users/anyone'],
      ['POST', '/admin/import'],
      ['GET', '/admin/nope'],
    ] as const) {
      expect(await local.admin(method, route, undefined, { token: null })).toEqual({ status: 401, body: { message: 'Unauthorized' } });
      expect((await local.admin(method, route, undefined, { token: 'wrong-token' })).status).toBe(401);
    }
  });

  test('unknown routes are 404, payloads over the limit 413', async () => {
    expect((await local.admin('GET', '/admin/nope')).status).toBe(404);
    expect((await local.admin('POST', '/admin/users/x/adjustments', 'x'.repeat(1_100_000))).status).toBe(413);
  });

  test('customers: create, read, link a card, adjust points once per key', async () => {
    const created = await local.admin('PUT', '/admin/users/adm-ann', { name: 'Ann', email: 'ann@example.com' });
    expect(created).toMatchObject({
      status: 201,
      body: { userId: 'adm-ann', points: 0, tier: 'Bronze', punchCard: { punches: 0, of: 10 } },
    });
    expect((await local.admin('PUT', '/admin/users/adm-ann', { name: 'Ann B.' })).status).toBe(200);
    expect((await local.admin('PUT', '/admin/users/adm-ann', { email: 'not-an-email' })).body).toEqual({
      message: 'invalid request',
      errors: [{ field: 'body.email', rule: 'must be an email address' }],
    });

    const linked = await local.admin('POST', '/admin/users/adm-ann/cards', { cardNumber: CARD });
    expect(linked).toMatchObject({ status: 201, body: { card: { last4: '4444', cardId: expect.stringMatching(/^[0-9a-f]{16}$/) } } });
    expect(JSON.stringify(linked.body)).not.toContain('4111');
    expect((await local.admin('POST', '/admin/users/adm-ann/cards', { cardNumber: '12' })).body.errors[0].field).toBe('cardNumber');
    expect((await local.admin('POST', '/admin/users/adm-nobody/cards', { cardNumber: CARD })).status).toBe(404);

    const adjustment = { points: 120, reason: 'Goodwill for a jammed machine', idempotencyKey: 'ticket-981' };
    expect(await local.admin('POST', '/admin/users/adm-ann/adjustments', adjustment)).toMatchObject({
      status: 201,
      body: { applied: true, balance: 120 },
    });
    expect(await local.admin('POST', '/admin/users/adm-ann/adjustments', adjustment)).toMatchObject({
      status: 200,
      body: { applied: false, balance: 120 },
    });
    expect((await local.admin('POST', '/admin/users/adm-ann/adjustments', { ...adjustment, points: 999 })).status).toBe(409);
    expect(
      (await local.admin('POST', '/admin/users/adm-ann/adjustments', { ...adjustment, points: 0, idempotencyKey: 'k2' })).body.errors,
    ).toEqual([{ field: 'body.points', rule: 'must not be 0' }]);

    const customer = await local.admin('GET', '/admin/users/adm-ann');
    expect(customer.body).toMatchObject({ name: 'Ann B.', points: 120, cards: [{ last4: '4444' }] });
    expect((await local.admin('GET', '/admin/users/adm-nobody')).status).toBe(404);

    const cardId = linked.body.card.cardId as string;
    expect((await local.admin('DELETE', `/admin/users/adm-ann/cards/${cardId}`)).body).toEqual({
      userId: 'adm-ann',
      cardId,
      removed: true,
    });
    expect((await local.admin('DELETE', `/admin/users/adm-ann/cards/${cardId}`)).status).toBe(404);
    expect((await local.admin('DELETE', '/admin/users/adm-ann/cards/not-an-id')).status).toBe(400);
  });

  test('sync stop pauses both paths; a sale sent while stopped is awarded after start', async () => {
    await local.admin('PUT', '/admin/users/adm-ben', { name: 'Ben' });
    await local.admin('POST', '/admin/users/adm-ben/cards', { cardNumber: '5105 1051 0510 5100' });

    try {
      expect((await local.admin('POST', '/admin/sync/stop')).body).toEqual({
        state: 'stopped',
        sources: { files: 'stopped', messages: 'stopped', reconcile: 'stopped' },
      });
      expect((await local.admin('POST', '/admin/sync/stop')).body.state).toBe('stopped');
      await local.sendMomaMessage(momaSale({ transactionId: 'ADM-WHILE-STOPPED', cardNumber: '5105105105105100', amount: 800 }));
      await new Promise((r) => setTimeout(r, 1_500));
      expect((await local.customer('adm-ben'))?.points).toBe(0);
      const status = await local.admin('GET', '/admin/sync/status');
      expect(status.body).toMatchObject({
        state: 'stopped',
        queues: expect.arrayContaining([expect.objectContaining({ name: 'moma', waiting: 1 })]),
      });
    } finally {
      expect((await local.admin('POST', '/admin/sync/start')).body.state).toBe('running');
    }
    await waitFor(async () => (await local.customer('adm-ben'))?.points === 80, 'the sale sent while stopped');
    const after = await waitFor(async () => {
      const s = await local.admin('GET', '/admin/sync/status');
      return s.body.sources.messages.lastProcessedAt ? s : undefined;
    }, 'the messages source to report activity');
    expect(after.body).toMatchObject({
      state: 'running',
      counts: { transactionsAwarded: expect.any(Number), pointsAwarded: expect.any(Number) },
    });
  });

  test('sync start re-queues at once a file that arrived but was never processed (its notification lost)', async () => {
    await local.admin('PUT', '/admin/users/adm-gus', { name: 'Gus' });
    await local.admin('POST', '/admin/users/adm-gus/cards', { cardNumber: '3782 822463 10005' });
    try {
      expect((await local.admin('POST', '/admin/sync/stop')).body.state).toBe('stopped');
      await local.putMomaFile(
        'transactions/adm-lost-notification.json',
        JSON.stringify([
          momaSale({ transactionId: 'ADM-LOST-1', cardNumber: '378282246310005', amount: 900, date: `${today()}T00:00:12Z` }),
        ]),
      );
      // The notification arrives, and is lost (received and deleted by no worker): only the file is left.
      const lost = await waitFor(
        async () =>
          (
            await local.sqs.send(
              new ReceiveMessageCommand({ QueueUrl: local.endpoints.fileEventsQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
            )
          ).Messages,
        'the file notification',
      );
      for (const message of lost)
        await local.sqs.send(
          new DeleteMessageCommand({ QueueUrl: local.endpoints.fileEventsQueueUrl, ReceiptHandle: message.ReceiptHandle! }),
        );
    } finally {
      const started = await local.admin('POST', '/admin/sync/start');
      expect(started.body).toMatchObject({ state: 'running', requeueComplete: true, requeuedFiles: expect.any(Number) });
      expect(started.body.requeuedFiles).toBeGreaterThanOrEqual(1);
    }
    await waitFor(async () => (await local.customer('adm-gus'))?.points === 90, 'the sale of the re-queued file');
  });

  test('test connection reports which check failed and how to fix it', async () => {
    expect((await local.admin('POST', '/admin/sync/test')).body.checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);
    await local.sqs.send(new DeleteQueueCommand({ QueueUrl: local.endpoints.fileEventsDlqUrl }));
    try {
      const result = await local.admin('POST', '/admin/sync/test');
      expect(result.body.ok).toBe(false);
      const failed = result.body.checks.filter((c: { ok: boolean }) => !c.ok);
      expect(failed).toEqual([{ name: 'queue:fileEventsDlq', ok: false, detail: expect.stringContaining('The queue does not exist') }]);
    } finally {
      await local.sqs.send(new CreateQueueCommand({ QueueName: 'hi-vis-file-events-dlq' }));
    }
  });

  test('CSV import: good rows awarded, bad rows failures, a second import awards nothing twice', async () => {
    await local.admin('PUT', '/admin/users/adm-cid', { name: 'Cid' });
    await local.admin('POST', '/admin/users/adm-cid/cards', { cardNumber: '3530 1113 3330 0000' });
    const csv = [
      'transactionId,date,amount,cardNumber,product,machineId',
      `ADM-CSV-1,${today()}T00:00:09Z,450,3530111333300000,Coffee,VEND-9`,
      `ADM-CSV-2,${today()}T00:00:09.500Z,abc,3530111333300000,Coffee,VEND-9`,
      `ADM-CSV-3,${today()}T00:00:09.750Z,250,9999,Tea,VEND-9`,
      `ADM-CSV-4,not-a-date,250,3530111333300000,Tea,VEND-9`,
    ].join('\n');

    const first = await local.admin('POST', '/admin/import', csv, { contentType: 'text/csv' });
    expect(first).toMatchObject({ status: 200, body: { rows: 4, awarded: 1, unmatched: 1, failed: 2, duplicate: 0 } });
    const again = await local.admin('POST', '/admin/import', csv, { contentType: 'text/csv' });
    expect(again.body).toMatchObject({ awarded: 0, duplicate: 2, failed: 2 });
    expect((await local.customer('adm-cid'))?.points).toBe(45);
    expect((await local.admin('POST', '/admin/import', 'a,b\n1,2', { contentType: 'text/csv' })).body.errors[0].rule).toMatch(
      /^invalid CSV header: expected the columns transactionId,date,amount,cardNumber,product,machineId; found a,b/,
    );
  });

  test('transactions: list with filters, read one, reverse once', async () => {
    await local.admin('PUT', '/admin/users/adm-dee', { name: 'Dee' });
    await local.admin('POST', '/admin/users/adm-dee/cards', { cardNumber: '6011 1111 1111 1117' });
    for (let i = 1; i <= 3; i++)
      await local.sendMomaMessage(
        momaSale({
          transactionId: `ADM-TX-${i}`,
          cardNumber: '6011111111111117',
          amount: 1_000,
          machineId: 'VEND-TX',
          date: `${today()}T00:00:0${i}Z`,
        }),
      );
    await waitFor(async () => (await local.customer('adm-dee'))?.points === 300, 'three sales');

    const byCustomer = await local.admin('GET', '/admin/transactions?customer=adm-dee&limit=2');
    expect(byCustomer.body.items.map((t: { transactionId: string }) => t.transactionId)).toEqual(['ADM-TX-3', 'ADM-TX-2']);
    const page2 = await local.admin('GET', `/admin/transactions?customer=adm-dee&limit=2&cursor=${byCustomer.body.nextCursor}`);
    expect(page2.body.items.map((t: { transactionId: string }) => t.transactionId)).toEqual(['ADM-TX-1']);
    const byMachine = await local.admin('GET', `/admin/transactions?machine=VEND-TX&from=${today()}&to=${today()}`);
    expect(byMachine.body.items).toHaveLength(3);
    expect(JSON.stringify(byMachine.body)).not.toMatch(/cardFullHash|cardLast4Hash|6011111111111117/);
    expect((await local.admin('GET', '/admin/transactions?limit=500')).body.errors).toEqual([
      { field: 'query.limit', rule: 'must be at most 100' },
    ]);
    expect((await local.admin('GET', '/admin/transactions?from=2025-02-01&to=2025-01-01')).status).toBe(400);
    expect((await local.admin('GET', '/admin/transactions?cursor=garbage!')).status).toBe(400);

    expect((await local.admin('GET', '/admin/transactions/ADM-TX-2')).body).toMatchObject({
      transactionId: 'ADM-TX-2',
      status: 'awarded',
      points: 100,
      conflicts: [],
    });
    expect((await local.admin('GET', '/admin/transactions/ADM-NOPE')).status).toBe(404);

    const [first, second] = await Promise.all([
      local.admin('POST', '/admin/transactions/ADM-TX-2/reverse', { reason: 'refund: machine did not vend' }),
      local.admin('POST', '/admin/transactions/ADM-TX-2/reverse', { reason: 'refund: machine did not vend' }),
    ]);
    expect([first.body.reversed, second.body.reversed].sort()).toEqual([false, true]);
    expect(await local.customer('adm-dee')).toMatchObject({ points: 200, purchaseCount: 2 });
    expect((await local.admin('POST', '/admin/transactions/ADM-TX-2/reverse', {})).body).toMatchObject({
      reversed: false,
      alreadyReversed: true,
    });
    expect((await local.admin('POST', '/admin/transactions/ADM-NOPE/reverse', {})).status).toBe(404);
  });

  test('unmatched sales: listed, assigned once; linking a card credits its recent unmatched sales', async () => {
    await local.sendMomaMessage(
      momaSale({ transactionId: 'ADM-UNM-1', cardNumber: '4222 2222 2222 2220', amount: 600, date: `${today()}T00:00:10Z` }),
    );
    await local.sendMomaMessage(
      momaSale({ transactionId: 'ADM-UNM-2', cardNumber: '4333 3333 3333 3330', amount: 700, date: `${today()}T00:00:10Z` }),
    );
    await waitFor(async () => (await local.sale('ADM-UNM-2'))?.status === 'unmatched', 'the unmatched sales');
    const listed = await local.admin('GET', '/admin/unmatched');
    expect(listed.body.items.map((s: { transactionId: string }) => s.transactionId)).toEqual(
      expect.arrayContaining(['ADM-UNM-1', 'ADM-UNM-2']),
    );
    expect(JSON.stringify(listed.body)).not.toMatch(/cardFullHash|4222222222222220/);

    await local.admin('PUT', '/admin/users/adm-eve', { name: 'Eve' });
    expect(await local.admin('POST', '/admin/unmatched/ADM-UNM-1/assign', { userId: 'adm-eve' })).toMatchObject({
      status: 200,
      body: { assigned: true },
    });
    expect(await local.admin('POST', '/admin/unmatched/ADM-UNM-1/assign', { userId: 'adm-eve' })).toMatchObject({
      status: 200,
      body: { assigned: false, alreadyAssigned: true },
    });
    expect((await local.admin('POST', '/admin/unmatched/ADM-UNM-1/assign', { userId: 'adm-ann' })).status).toBe(409);
    expect((await local.admin('POST', '/admin/unmatched/ADM-NOPE/assign', { userId: 'adm-eve' })).status).toBe(404);
    expect((await local.admin('POST', '/admin/unmatched/ADM-UNM-2/assign', {})).body.errors).toEqual([
      { field: 'body.userId', rule: expect.any(String) },
    ]);
    expect((await local.customer('adm-eve'))?.points).toBe(60);

    const linked = await local.admin('POST', '/admin/users/adm-eve/cards', { cardNumber: '4333333333333330' });
    expect(linked.body.creditedUnmatchedSales).toEqual(['ADM-UNM-2']);
    expect((await local.customer('adm-eve'))?.points).toBe(130);
    expect(
      (await local.admin('GET', '/admin/users/adm-eve/transactions')).body.items
        .map((t: { transactionId: string }) => t.transactionId)
        .sort(),
    ).toEqual(['ADM-UNM-1', 'ADM-UNM-2']);
  });

  test('failures: listed with reasons, retried after a fix, not retryable when unreadable', async () => {
    await local.admin('PUT', '/admin/users/adm-fay', { name: 'Fay' });
    await local.admin('POST', '/admin/users/adm-fay/cards', { cardNumber: '4444 5555 6666 7777' });
    await local.sendMomaBatch([
      momaSale({ transactionId: 'ADM-FAIL-1', cardNumber: '4444555566667777', machineId: 'M'.repeat(80), date: `${today()}T00:00:11Z` }),
      'not json at all',
    ]);
    const failures = await waitFor(async () => {
      const page = await local.admin('GET', '/admin/failures?limit=100');
      const mine = page.body.items.filter(
        (f: { transactionId?: string; reason: string }) =>
          f.transactionId === 'ADM-FAIL-1' || f.reason.startsWith('message body is not valid JSON'),
      );
      // Other files' unreadable messages are listed too: wait for this one's invalid record itself.
      return mine.some((f: { transactionId?: string }) => f.transactionId === 'ADM-FAIL-1') && mine.length >= 2 ? mine : undefined;
    }, 'the two failures');
    const invalid = failures.find((f: { transactionId?: string }) => f.transactionId === 'ADM-FAIL-1');
    expect(invalid).toMatchObject({ reason: 'invalid record: machineId must be at most 64 characters', retryable: true });
    expect(JSON.stringify(failures)).not.toContain('4444555566667777');

    // Still invalid: the retry says why, and the failure stays open.
    expect(await local.admin('POST', `/admin/failures/${invalid.failureId}/retry`)).toMatchObject({
      status: 422,
      body: { errors: [{ field: 'machineId' }] },
    });
    const unreadable = failures.find((f: { reason: string }) => f.reason.startsWith('message body'));
    expect((await local.admin('POST', `/admin/failures/${unreadable.failureId}/retry`)).status).toBe(409);
    expect((await local.admin('POST', '/admin/failures/0123456789abcdef0123456789abcdef/retry')).status).toBe(404);
    expect((await local.admin('POST', '/admin/failures/nope/retry')).status).toBe(400);
  });

  test('stats by day, machine and product, and a DLQ redrive', async () => {
    await waitFor(
      async () => {
        const stats = await local.admin('GET', `/admin/stats?from=${today()}&to=${today()}`);
        return stats.body.byMachine?.some((m: { machineId: string; sales: number }) => m.machineId === 'VEND-TX' && m.sales === 2)
          ? stats
          : undefined;
      },
      'the stats to include the reversal',
      60_000,
    );
    expect((await local.admin('GET', '/admin/stats?from=yesterday')).body.errors).toEqual([
      { field: 'query.from', rule: 'must be a date as YYYY-MM-DD' },
    ]);

    const redrive = await local.admin('POST', '/admin/dlq/redrive', { queue: 'moma' });
    expect(redrive).toMatchObject({ status: 202, body: { redrives: [{ queue: 'moma', messages: expect.any(Number) }] } });
    expect((await local.admin('POST', '/admin/dlq/redrive', { queue: 'nope' })).status).toBe(400);
  });
});
