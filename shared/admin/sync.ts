import { ALL_TIME } from '../domain/stats';
import { reconcileFiles } from '../ingest/reconcile';
import { SYNC_SOURCES, type SyncSource, WATCHED_PREFIXES } from '../topology';
import type { FileRequeueDeps, QueueMonitor, SourceActivity, SourceState, StatsReader, SyncControl } from './ports';

const SOURCES = Object.keys(SYNC_SOURCES) as SyncSource[];

/** How long sync start may spend re-queueing before it answers; the scheduled reconcile re-queues the rest. */
export const REQUEUE_BUDGET_MS = 15_000;

export function overallState(states: Record<SyncSource, SourceState>): 'running' | 'stopped' | 'partial' {
  const values = Object.values(states);
  if (values.every((s) => s === 'running' || s === 'starting')) return 'running';
  if (values.every((s) => s === 'stopped' || s === 'stopping')) return 'stopped';
  return 'partial';
}

/** Start or stop every ingest path. Idempotent: asking for the state a source is already in changes nothing. */
export async function setSync(control: SyncControl, enabled: boolean) {
  const sources = Object.fromEntries(
    await Promise.all(SOURCES.map(async (s) => [s, await control.setEnabled(s, enabled)] as const)),
  ) as Record<SyncSource, SourceState>;
  return { state: overallState(sources), sources };
}

/**
 * Starts every ingest path, then re-queues every file under the watched prefixes that arrived but was never
 * processed (no record, or a crashed worker's expired lease), at once rather than at the next reconcile run.
 * A file whose S3 notification is still waiting in the queue is sent twice; the file ledger processes it once.
 */
export async function startSync(control: SyncControl, files: FileRequeueDeps, now = new Date(), budgetMs = REQUEUE_BUDGET_MS) {
  const state = await setSync(control, true);
  const deadline = Date.now() + budgetMs;
  let requeueComplete = true;
  async function* untilDeadline<T>(items: AsyncIterable<T>) {
    for await (const item of items) {
      if (Date.now() > deadline) {
        requeueComplete = false;
        return;
      }
      yield item;
    }
  }
  // LastModified has a resolution of one second: a file uploaded in this very second counts too.
  const until = new Date(now.getTime() + 1_000);
  let requeuedFiles = 0;
  const counted: FileRequeueDeps['queue'] = {
    enqueue: async (ref) => {
      await files.queue.enqueue(ref);
      requeuedFiles += 1;
    },
    ...(files.queue.enqueueMany && {
      enqueueMany: async (refs) => {
        await files.queue.enqueueMany!(refs);
        requeuedFiles += refs.length;
      },
    }),
  };
  try {
    await reconcileFiles(files.bucket, Object.values(WATCHED_PREFIXES), 0, {
      listOlderThan: (bucket, prefix) => untilDeadline(files.listOlderThan(bucket, prefix, until)),
      files: files.files,
      queue: counted,
      now: until,
    });
  } catch (err) {
    files.onRequeueError(err);
    requeueComplete = false;
  }
  return { ...state, requeuedFiles, requeueComplete };
}

export async function syncStates(control: SyncControl) {
  const sources = Object.fromEntries(await Promise.all(SOURCES.map(async (s) => [s, await control.state(s)] as const))) as Record<
    SyncSource,
    SourceState
  >;
  return { state: overallState(sources), sources };
}

export interface SyncStatusDeps {
  sync: SyncControl;
  activity: SourceActivity;
  stats: StatsReader;
  queueMonitor: QueueMonitor;
  /** The queues to report, by name. */
  queues: Record<string, string>;
}

/** Whether each ingest path runs and when it last did work, the all-time review counts, and every queue's depth. */
export async function syncStatus(deps: SyncStatusDeps) {
  const [sync, activity, totals, queues] = await Promise.all([
    syncStates(deps.sync),
    deps.activity.readAll(SOURCES),
    deps.stats.totals(ALL_TIME),
    Promise.all(Object.entries(deps.queues).map(([name, url]) => deps.queueMonitor.depth(name, url))),
  ]);
  return {
    state: sync.state,
    sources: Object.fromEntries(SOURCES.map((s) => [s, { state: sync.sources[s], lastProcessedAt: activity[s]?.lastProcessedAt ?? null }])),
    counts: {
      transactionsAwarded: totals.awarded ?? 0,
      pointsAwarded: totals.points ?? 0,
      reversed: totals.reversed ?? 0,
      duplicates: Object.values(activity).reduce((sum, a) => sum + a.duplicates, 0),
      conflicts: totals.conflicts ?? 0,
      failures: totals.failures ?? 0,
      failuresResolved: totals.failuresResolved ?? 0,
      unmatched: totals.unmatched ?? 0,
      unmatchedExpired: totals.unmatchedExpired ?? 0,
    },
    queues: queues.map((q) => ({
      name: q.name,
      waiting: q.waiting,
      inFlight: q.inFlight,
      oldestMessageAgeSeconds: q.oldestMessageAgeSeconds,
    })),
  };
}
