import type { FileRequeueDeps, SyncControl } from '../../shared/admin/ports';
import { startSync } from '../../shared/admin/sync';
import type { ObjectRef } from '../../shared/ingest/ports';

const control = (): SyncControl & { enabled: string[] } => {
  const enabled: string[] = [];
  return {
    enabled,
    setEnabled: async (source, on) => {
      if (on) enabled.push(source);
      return on ? 'running' : 'stopped';
    },
    state: async () => 'running',
  };
};

const ref = (key: string): ObjectRef => ({ bucket: 'b', key, eTag: `e-${key}` });

function files(
  objects: Record<string, ObjectRef[]>,
  finished: Set<string>,
  overrides: Partial<FileRequeueDeps> = {},
): FileRequeueDeps & { sent: ObjectRef[]; listedBefore: Date[] } {
  const sent: ObjectRef[] = [];
  const listedBefore: Date[] = [];
  return {
    sent,
    listedBefore,
    bucket: 'b',
    listOlderThan: async function* (_bucket, prefix, before) {
      listedBefore.push(before);
      yield* objects[prefix] ?? [];
    },
    files: { findUnfinished: async (refs: ObjectRef[]) => refs.filter((r) => !finished.has(r.key)) } as unknown as FileRequeueDeps['files'],
    queue: { enqueue: async (r: ObjectRef) => void sent.push(r), enqueueMany: async (rs: ObjectRef[]) => void sent.push(...rs) },
    onRequeueError: jest.fn(),
    ...overrides,
  };
}

describe('sync start', () => {
  test('enables every source, then re-queues at once every watched file that was never processed', async () => {
    const sync = control();
    const deps = files(
      { 'transactions/': [ref('transactions/a.json'), ref('transactions/b.json')], 'imports/': [ref('imports/c.csv')] },
      new Set(['transactions/a.json']),
    );
    const now = new Date('2025-01-01T10:00:00.500Z');
    const result = await startSync(sync, deps, now);
    expect(sync.enabled.sort()).toEqual(['files', 'messages', 'reconcile']);
    expect(result).toEqual({
      state: 'running',
      sources: { files: 'running', messages: 'running', reconcile: 'running' },
      requeuedFiles: 2,
      requeueComplete: true,
    });
    expect(deps.sent.map((r) => r.key)).toEqual(['transactions/b.json', 'imports/c.csv']);
    // No minimum age: anything uploaded up to now (to S3's one-second resolution) counts.
    expect(deps.listedBefore.every((d) => d.getTime() >= now.getTime())).toBe(true);
  });

  test('a failing re-queue does not undo the start; it is reported and left to the scheduled reconcile', async () => {
    const deps = files({}, new Set(), {
      listOlderThan: async function* () {
        yield ref('transactions/x.json');
        throw new Error('AccessDenied');
      },
    });
    const result = await startSync(control(), deps);
    expect(result).toMatchObject({ state: 'running', requeuedFiles: 0, requeueComplete: false });
    expect(deps.onRequeueError).toHaveBeenCalledWith(expect.objectContaining({ message: 'AccessDenied' }));
  });

  test('re-queueing stops at its time budget and says it is incomplete', async () => {
    const many = Array.from({ length: 500 }, (_, i) => ref(`transactions/${i}.json`));
    const deps = files({}, new Set(), {
      listOlderThan: async function* () {
        for (const r of many) {
          await new Promise((resolve) => setImmediate(resolve));
          yield r;
        }
      },
    });
    const started = Date.now();
    const result = await startSync(control(), deps, new Date(), 0);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(result.requeueComplete).toBe(false);
    expect(result.requeuedFiles).toBeLessThan(500);
  });
});
