import { RECONCILE_LOOKBACK_DAYS } from '../domain/retention';
import type { FileEventQueue, FileLedger, ObjectRef } from './ports';

/** A listed object, with when it was last written when the listing says. */
export type ListedObject = ObjectRef & { lastModified?: Date };

export interface ReconcileDeps {
  listOlderThan(bucket: string, prefix: string, before: Date): AsyncIterable<ListedObject>;
  files: FileLedger;
  queue: Pick<FileEventQueue, 'enqueue'> & { enqueueMany?(refs: ObjectRef[]): Promise<void> };
  now: Date;
}

export interface ReconcileResult {
  scanned: number;
  requeued: ObjectRef[];
}

/**
 * The safety net behind S3 notifications: any file under the watched prefixes that is older than
 * `minAgeMs` and was never finished (no record, or a crashed worker's expired lease) goes back on the queue.
 * Files written before the lookback are left alone: their processed-file records may have expired (a file can be
 * kept longer than its record), and taking one for new would process it again.
 */
export async function reconcileFiles(
  bucket: string,
  prefixes: readonly string[],
  minAgeMs: number,
  deps: ReconcileDeps,
): Promise<ReconcileResult> {
  const before = new Date(deps.now.getTime() - minAgeMs);
  const oldest = new Date(deps.now.getTime() - RECONCILE_LOOKBACK_DAYS * 86_400_000);
  const requeued: ObjectRef[] = [];
  let scanned = 0;
  let page: ObjectRef[] = [];
  const flush = async () => {
    if (page.length === 0) return;
    const missing = await deps.files.findUnfinished(page, deps.now);
    if (missing.length > 0) {
      if (deps.queue.enqueueMany) await deps.queue.enqueueMany(missing);
      else for (const ref of missing) await deps.queue.enqueue(ref);
      requeued.push(...missing);
    }
    page = [];
  };
  for (const prefix of prefixes) {
    for await (const { lastModified, ...ref } of deps.listOlderThan(bucket, prefix, before)) {
      if (lastModified && lastModified < oldest) continue;
      scanned += 1;
      page.push(ref);
      if (page.length === 100) await flush();
    }
  }
  await flush();
  return { scanned, requeued };
}
