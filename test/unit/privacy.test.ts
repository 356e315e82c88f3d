import fc from 'fast-check';
import { saveCustomer } from '../../shared/admin/customers';
import { InvalidCursorError } from '../../shared/admin/errors';
import { eraseCustomer, exportCustomer, type PrivacyDeps } from '../../shared/admin/privacy';
import { memoryAdmin } from '../support/admin-fakes';

function world() {
  const admin = memoryAdmin();
  const { app, sales, customers, records, clock } = admin;
  const deps: PrivacyDeps = {
    customers: app.customers,
    records: app.records,
    erasure: app.erasure,
    cursors: app.exportCursors,
    queries: app.queries,
    audit: app.audit,
    program: app.deps.program,
    clock,
    sleep: async (ms: number) => clock.advance(ms),
  };
  customers.profiles.set('pat', { userId: 'pat', name: 'Pat Quill', email: 'pat@example.com', marketingConsent: true });
  for (let i = 0; i < 5; i++) sales.awarded(`S-${i}`, 'pat', { points: 45 });
  records.notifications.push({ userId: 'pat', day: clock.now().toISOString().slice(0, 10), eventId: 'S-0:points_awarded' });
  return { ...admin, deps };
}

async function exportAll(userId: string, deps: PrivacyDeps) {
  const parts: Array<Record<string, unknown>> = [];
  let cursor: string | undefined;
  do {
    const part = await exportCustomer(userId, cursor, deps);
    parts.push(part);
    cursor = part.nextCursor;
  } while (cursor && parts.length < 100);
  return parts;
}

describe('export', () => {
  test('the parts run profile, sales, each notification day, audit, and end', async () => {
    const { deps } = world();
    const parts = await exportAll('pat', deps);
    expect(parts.map((p) => p.section)).toEqual(['profile', 'sales', ...Array(31).fill('notifications'), 'audit']);
    expect(parts[0]).toMatchObject({ profile: { name: 'Pat Quill' }, consents: [{ purpose: 'marketing messages', given: true }] });
    expect(parts.at(-1)?.nextCursor).toBeUndefined();
    expect(JSON.stringify(parts)).not.toMatch(/Hash"/);
  });

  test('any cursor it did not hand out is refused as a cursor error, never a crash', async () => {
    const { deps } = world();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
          fc
            .record({ section: fc.constantFrom('notifications'), day: fc.string() })
            .map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
        ),
        async (cursor) => {
          const outcome = await exportCustomer('pat', cursor, deps).catch((err: unknown) => err);
          if (outcome instanceof Error) expect(outcome).toBeInstanceOf(InvalidCursorError);
        },
      ),
    );
  });

  test("a position it did not sign, or signed for another customer's export, is refused", async () => {
    const { deps } = world();
    const unsigned = Buffer.from(JSON.stringify({ section: 'audit', startedAt: new Date().toISOString() })).toString('base64url');
    await expect(exportCustomer('pat', unsigned, deps)).rejects.toBeInstanceOf(InvalidCursorError);
    const samsCursor = deps.cursors.seal('export:sam', { section: 'sales', startedAt: new Date().toISOString() });
    await expect(exportCustomer('pat', samsCursor, deps)).rejects.toThrow(/another listing/);
  });

  test('every part, not only the first, answers 410 once the customer is erased', async () => {
    const { deps } = world();
    const first = await exportCustomer('pat', undefined, deps);
    await eraseCustomer('pat', deps);
    await expect(exportCustomer('pat', first.nextCursor, deps)).rejects.toMatchObject({ status: 410 });
  });

  test('an export that runs past midnight covers the days as they were when it began', async () => {
    const { deps, clock } = world();
    const parts: Array<Record<string, unknown>> = [];
    let cursor: string | undefined;
    do {
      const part = await exportCustomer('pat', cursor, deps);
      parts.push(part);
      cursor = part.nextCursor;
      clock.advance(3_600_000);
    } while (cursor && parts.length < 100);
    const days = parts.filter((p) => p.section === 'notifications').map((p) => p.day);
    expect(days).toHaveLength(31);
    expect(days[0]).toBe(parts[0]!.exportedAt!.toString().slice(0, 10));
    expect(new Set(parts.map((p) => p.exportedAt)).size).toBe(1);
  });

  test('an unknown customer is a 404', async () => {
    const { deps } = world();
    await expect(exportCustomer('nobody', undefined, deps)).rejects.toMatchObject({ status: 404 });
  });
});

describe('erasure', () => {
  test('keeps the books: the same balance under a pseudonym, sales without their card, a tombstone', async () => {
    const { deps, ledger, customers } = world();
    const before = ledger.accounts.get('pat')!;
    const result = await eraseCustomer('pat', deps);
    expect(result).toMatchObject({ erased: true, complete: true, moved: { sales: 5, notifications: 1 } });
    const pseudonym = ledger.sales.get('S-0')!.userId!;
    expect(pseudonym).toMatch(/^anon-/);
    expect(ledger.accounts.get(pseudonym)).toEqual({ ...before, userId: pseudonym });
    expect(ledger.sales.get('S-0')).not.toHaveProperty('cardFullHash');
    expect(await customers.getCustomer('pat')).toEqual({ entity: 'erased-customer', userId: 'pat', erasedAt: expect.any(String) });
    expect(await eraseCustomer('pat', deps)).toMatchObject({ complete: true, alreadyErased: true });
    await expect(exportCustomer('pat', undefined, deps)).rejects.toMatchObject({ status: 410 });
  });

  test('a large history takes several calls, each within its budget, the profile gone from the first', async () => {
    const { deps, ledger, customers, clock } = world();
    const ticking = {
      now: () => {
        clock.advance(400);
        return clock.now();
      },
    };
    const timed = { ...deps, clock: ticking };
    const first = await eraseCustomer('pat', timed, 1_000);
    expect(first).toMatchObject({ complete: false, erased: false });
    expect(customers.profiles.get('pat')).toEqual({ userId: 'pat', marketingConsent: false });
    expect(customers.cards.get('pat')).toBeUndefined();
    let calls = 1;
    while (!(await eraseCustomer('pat', timed, 1_000)).complete) calls++;
    expect(calls).toBeGreaterThan(1);
    expect([...ledger.sales.values()].every((s) => s.userId?.startsWith('anon-'))).toBe(true);
  });

  test('a customer being erased cannot be changed meanwhile', async () => {
    const { deps, app } = world();
    expect(await eraseCustomer('pat', deps, 0)).toMatchObject({ complete: false });
    await expect(saveCustomer({ userId: 'pat', name: 'Pat' }, { ...app, program: app.deps.program })).rejects.toMatchObject({
      status: 410,
    });
  });
});
