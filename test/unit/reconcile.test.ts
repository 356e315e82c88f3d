import { RECONCILE_LOOKBACK_DAYS } from '../../shared/domain/retention';
import type { ObjectRef } from '../../shared/ingest/ports';
import { type ListedObject as Listed, reconcileFiles } from '../../shared/ingest/reconcile';
import { MemoryFileEventQueue, MemoryFileLedger } from '../support/fakes';

const BUCKET = 'hi-vis-moma-data';
const NOW = new Date('2025-01-01T12:00:00.000Z');
const MIN_AGE_MS = 5 * 60_000;

interface ListedObject extends ObjectRef {
  lastModified: Date;
}

/** A bucket listing: the objects under a prefix last modified before the cut-off, as the object store lists them. */
function bucket(objects: ListedObject[]) {
  const listings: Array<{ prefix: string; before: Date }> = [];
  async function* listOlderThan(b: string, prefix: string, before: Date): AsyncIterable<Listed> {
    listings.push({ prefix, before });
    for (const listed of objects) if (listed.bucket === b && listed.key.startsWith(prefix) && listed.lastModified < before) yield listed;
  }
  return { listOlderThan, listings };
}

const minutesAgo = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);
const object = (key: string, minutes = 10, eTag = `etag-${key}`): ListedObject => ({
  bucket: BUCKET,
  key,
  eTag,
  size: 10,
  lastModified: minutesAgo(minutes),
});
const refOf = ({ lastModified: _, ...ref }: ListedObject): ObjectRef => ref;

async function finish(files: MemoryFileLedger, ...objects: ListedObject[]) {
  for (const o of objects) {
    await files.claim(refOf(o), 60_000);
    await files.complete(refOf(o), {
      status: 'processed',
      delta: { awarded: 0, duplicate: 0, conflict: 0, unmatched: 0, failed: 0 },
      records: 0,
    });
  }
}

describe('reconcileFiles', () => {
  test('re-queues old files never finished, under every watched prefix, and leaves recent and finished ones alone', async () => {
    const done = object('transactions/done.json');
    const missed = object('transactions/missed.json');
    const imported = object('imports/customers.csv');
    const recent = object('transactions/just-arrived.json', 1);
    const elsewhere = object('other/ignored.json');
    const { listOlderThan, listings } = bucket([done, missed, imported, recent, elsewhere]);
    const files = new MemoryFileLedger({ now: () => NOW });
    await finish(files, done);
    const queue = new MemoryFileEventQueue();

    const result = await reconcileFiles(BUCKET, ['transactions/', 'imports/'], MIN_AGE_MS, { listOlderThan, files, queue, now: NOW });

    expect(result.scanned).toBe(3);
    expect(result.requeued.map((r) => r.key)).toEqual(['transactions/missed.json', 'imports/customers.csv']);
    expect(queue.queued).toEqual([refOf(missed), refOf(imported)]);
    expect(listings).toEqual([
      { prefix: 'transactions/', before: minutesAgo(5) },
      { prefix: 'imports/', before: minutesAgo(5) },
    ]);
  });

  test("a crashed worker's expired lease is re-queued; a lease still held is not", async () => {
    const crashed = object('transactions/crashed.json');
    const busy = object('transactions/busy.json');
    const { listOlderThan } = bucket([crashed, busy]);
    let clock = minutesAgo(30);
    const files = new MemoryFileLedger({ now: () => clock });
    await files.claim(refOf(crashed), 60_000);
    clock = minutesAgo(1);
    await files.claim(refOf(busy), 15 * 60_000);
    const queue = new MemoryFileEventQueue();

    const result = await reconcileFiles(BUCKET, ['transactions/'], MIN_AGE_MS, { listOlderThan, files, queue, now: NOW });

    expect(result.requeued.map((r) => r.key)).toEqual(['transactions/crashed.json']);
  });

  test('asks the ledger a page of 100 at a time and queues each page in one call when the queue can', async () => {
    const objects = Array.from({ length: 250 }, (_, i) => object(`transactions/${String(i).padStart(3, '0')}.json`));
    const { listOlderThan } = bucket(objects);
    const files = new MemoryFileLedger({ now: () => NOW });
    await finish(files, ...objects.filter((_, i) => i % 2 === 0));
    const asked = jest.spyOn(files, 'findUnfinished');
    const batches: number[] = [];
    const queue = new MemoryFileEventQueue();
    const batching = {
      enqueue: (ref: ObjectRef) => queue.enqueue(ref),
      enqueueMany: async (refs: ObjectRef[]) => void batches.push(refs.length),
    };

    const result = await reconcileFiles(BUCKET, ['transactions/'], MIN_AGE_MS, { listOlderThan, files, queue: batching, now: NOW });

    expect(asked.mock.calls.map(([refs]) => refs.length)).toEqual([100, 100, 50]);
    expect(batches).toEqual([50, 50, 25]);
    expect(result).toMatchObject({ scanned: 250 });
    expect(result.requeued).toHaveLength(125);
  });

  test('a queue without batch sends queues files one at a time', async () => {
    const { listOlderThan } = bucket([object('transactions/a.json'), object('transactions/b.json')]);
    const queued: string[] = [];
    const result = await reconcileFiles(BUCKET, ['transactions/'], MIN_AGE_MS, {
      listOlderThan,
      files: new MemoryFileLedger({ now: () => NOW }),
      queue: { enqueue: async (ref) => void queued.push(ref.key) },
      now: NOW,
    });
    expect(queued).toEqual(['transactions/a.json', 'transactions/b.json']);
    expect(result.requeued).toHaveLength(2);
  });

  test('an empty bucket scans nothing and queues nothing', async () => {
    const queue = new MemoryFileEventQueue();
    const result = await reconcileFiles(BUCKET, ['transactions/'], MIN_AGE_MS, {
      ...bucket([]),
      files: new MemoryFileLedger({ now: () => NOW }),
      queue,
      now: NOW,
    });
    expect(result).toEqual({ scanned: 0, requeued: [] });
    expect(queue.queued).toEqual([]);
  });

  test('a file written before the lookback is left alone: its processed-file record may have expired', async () => {
    const days = (n: number) => n * 24 * 60;
    const kept = object('transactions/last-year.json', days(RECONCILE_LOOKBACK_DAYS + 1));
    const recentEnough = object('transactions/this-year.json', days(RECONCILE_LOOKBACK_DAYS - 1));
    const { listOlderThan } = bucket([kept, recentEnough]);
    const queue = new MemoryFileEventQueue();
    const result = await reconcileFiles(BUCKET, ['transactions/'], MIN_AGE_MS, {
      listOlderThan,
      files: new MemoryFileLedger(),
      queue,
      now: NOW,
    });
    expect(result.requeued.map((r) => r.key)).toEqual(['transactions/this-year.json']);
    expect(result.requeued[0]).not.toHaveProperty('lastModified');
  });
});
