import { syncStatus } from '../../shared/admin/sync';
import { ALL_TIME } from '../../shared/domain/stats';
import { memoryAdmin, TEST_QUEUES } from '../support/admin-fakes';

describe('syncStatus (GET /admin/sync/status)', () => {
  test('each source’s state and last activity, the all-time counts, and every queue’s depth', async () => {
    const { app, sync, activity, stats, queueMonitor } = memoryAdmin();
    await sync.setEnabled('files', true);
    await sync.setEnabled('messages', true);
    activity.bySource.set('messages', { lastProcessedAt: '2025-01-01T10:00:00.000Z', duplicates: 2 });
    activity.bySource.set('files', { duplicates: 3 });
    stats.totalsByDay.set(ALL_TIME, { awarded: 7, points: 315, reversed: 1, conflicts: 2, failures: 4, failuresResolved: 1 });
    stats.totalsByDay.set('2025-01-01', { awarded: 999 });
    queueMonitor.waiting.set(TEST_QUEUES.moma, 5);

    const status = await syncStatus(app);

    expect(status).toEqual({
      state: 'partial',
      sources: {
        files: { state: 'running', lastProcessedAt: null },
        messages: { state: 'running', lastProcessedAt: '2025-01-01T10:00:00.000Z' },
        reconcile: { state: 'stopped', lastProcessedAt: null },
      },
      counts: {
        transactionsAwarded: 7,
        pointsAwarded: 315,
        reversed: 1,
        duplicates: 5,
        conflicts: 2,
        failures: 4,
        failuresResolved: 1,
        unmatched: 0,
        unmatchedExpired: 0,
      },
      queues: [
        { name: 'moma', waiting: 5, inFlight: 0, oldestMessageAgeSeconds: null },
        { name: 'fileEvents', waiting: 0, inFlight: 0, oldestMessageAgeSeconds: null },
        { name: 'momaDlq', waiting: 0, inFlight: 0, oldestMessageAgeSeconds: null },
        { name: 'fileEventsDlq', waiting: 0, inFlight: 0, oldestMessageAgeSeconds: null },
      ],
    });
  });

  test('before anything was counted, every count is 0', async () => {
    const { app, sync } = memoryAdmin();
    for (const source of ['files', 'messages', 'reconcile'] as const) await sync.setEnabled(source, true);
    const status = await syncStatus(app);
    expect(status.state).toBe('running');
    expect(Object.values(status.counts).every((n) => n === 0)).toBe(true);
  });
});
