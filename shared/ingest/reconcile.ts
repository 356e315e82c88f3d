import type { FileEventQueue, FileLedger, ObjectRef } from './ports';

export interface ReconcileDeps {
  listOlderThan(bucket: string, prefix: string, before: Date): AsyncIterable<ObjectRef>;
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
 */
export async function reconcileFiles(
  bucket: string,
  prefixes: readonly string[],
  minAgeMs: number,
  deps: ReconcileDeps,
): Promise<ReconcileResult> {
  const before = new Date(deps.now.getTime() - minAgeMs);
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
    for await (const ref of deps.listOlderThan(bucket, prefix, before)) {
      scanned += 1;
      page.push(ref);
      if (page.length === 100) await flush();
    }
  }
  await flush();
  return { scanned, requeued };
}
