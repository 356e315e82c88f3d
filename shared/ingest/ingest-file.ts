import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { maskCardNumbersInText } from '../domain/card-number';
import type { SaleSource } from '../domain/sale';
import { ingestRecord, TransientIngestError, type IngestDeps, type RecordOutcome } from './ingest-sale';
import { formatForKey, parseMomaFile, SUPPORTED_EXTENSIONS, FileReadError, type FileEntry } from './moma-file-parser';
import { emptyCounts, ObjectMissingError, type FileCounts, type FileLedger, type ObjectRef, type ObjectStore } from './ports';

export interface FileIngestDeps extends IngestDeps {
  objects: ObjectStore;
  files: FileLedger;
  /** Sales awarded in parallel within one file. */
  concurrency?: number;
  checkpointEveryRecords?: number;
  checkpointEveryMs?: number;
  leaseMs?: number;
  /** True when the worker should stop and hand the rest of the file to a later invocation (Lambda time running out). */
  shouldYield?: () => boolean;
}

export type FileStatus = 'processed' | 'already_processed' | 'checksum_mismatch' | 'unreadable' | 'yielded';

export interface FileResult {
  status: FileStatus;
  counts: FileCounts;
  records: number;
}

export const fileSourceId = (ref: ObjectRef) => `s3://${ref.bucket}/${ref.key}@${ref.eTag}`;

/**
 * Streams one Moma file through validation and award. Progress is checkpointed, so a crashed or
 * yielded worker's successor resumes where it left off; every sale is deduplicated by id regardless.
 */
export async function ingestFile(ref: ObjectRef, deps: FileIngestDeps): Promise<FileResult> {
  const counts = emptyCounts();
  const leaseMs = deps.leaseMs ?? 120_000;
  const format = formatForKey(ref.key);
  if (!format) {
    await deps.failures.recordFailure({
      sourceId: fileSourceId(ref),
      source: `s3://${ref.bucket}/${ref.key}`,
      reason: `unsupported file type: expected one of ${Object.keys(SUPPORTED_EXTENSIONS).join(', ')}`,
    });
    return { status: 'unreadable', counts: { ...counts, failed: 1 }, records: 0 };
  }

  const claim = await deps.files.claim(ref, leaseMs);
  if (claim.kind === 'already_processed') return { status: 'already_processed', counts, records: 0 };
  if (claim.kind === 'in_progress_elsewhere') {
    throw new TransientIngestError(`s3://${ref.bucket}/${ref.key} is being processed by another worker until ${claim.leaseExpiresAt}`);
  }

  let opened;
  try {
    opened = await deps.objects.open(ref);
  } catch (err) {
    if (!(err instanceof ObjectMissingError)) throw new TransientIngestError(`could not open s3://${ref.bucket}/${ref.key}`, err);
    await deps.failures.recordFailure({ sourceId: fileSourceId(ref), source: `s3://${ref.bucket}/${ref.key}`, reason: err.message });
    await deps.files.complete(ref, { status: 'unreadable', delta: { ...counts, failed: 1 }, records: 0 });
    return { status: 'unreadable', counts: { ...counts, failed: 1 }, records: 0 };
  }

  const sha256 = createHash('sha256');
  const hashed = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sha256.update(chunk);
      callback(null, chunk);
    },
  });
  opened.body.on('error', (err) => hashed.destroy(err));
  opened.body.pipe(hashed);

  const progress = new FileProgress(ref, deps.files, claim.resumeFromIndex, leaseMs, deps.checkpointEveryRecords ?? 500, deps.checkpointEveryMs ?? 15_000);
  const concurrency = deps.concurrency ?? 16;
  const inFlight = new Map<number, Promise<void>>();
  const lanes = new Lanes();
  let records = 0;
  let yielded = false;

  const handle = async (entry: FileEntry) => {
    try {
      const outcome = await ingestEntry(ref, entry, deps);
      counts[outcome] += 1;
      progress.count(outcome);
    } catch (err) {
      progress.fail(entry.index, err);
    } finally {
      inFlight.delete(entry.index);
    }
  };

  try {
    for await (const entry of parseMomaFile(hashed, format)) {
      records = entry.index + 1;
      if (entry.index < claim.resumeFromIndex) continue;
      if (deps.shouldYield?.()) {
        yielded = true;
        break;
      }
      while (inFlight.size >= concurrency) await Promise.race(inFlight.values());
      if (progress.failure) break;
      inFlight.set(entry.index, lanes.run(cardLane(entry), () => handle(entry)));
      progress.started(entry.index);
      if (progress.due()) await progress.save(inFlight.keys());
    }
  } catch (err) {
    opened.body.destroy();
    await Promise.all(inFlight.values());
    await progress.save(inFlight.keys(), { releaseLease: true });
    throw err instanceof FileReadError ? new TransientIngestError(err.message, err.cause) : err;
  }
  await Promise.all(inFlight.values());
  const stoppedEarly = progress.failure !== undefined || yielded;
  if (stoppedEarly) {
    opened.body.destroy();
    await progress.save(inFlight.keys(), { releaseLease: true });
  }
  if (progress.failure) throw new TransientIngestError(`s3://${ref.bucket}/${ref.key} stopped at record ${progress.failureIndex}`, progress.failure);
  if (yielded) return { status: 'yielded', counts, records };

  const digest = sha256.digest();
  const checksumOk = !opened.checksumSha256 || opened.checksumSha256 === digest.toString('base64');
  if (!checksumOk) {
    await deps.failures.recordFailure({
      sourceId: `${fileSourceId(ref)}#checksum`,
      source: `s3://${ref.bucket}/${ref.key}`,
      reason: `checksum mismatch: S3 reports SHA-256 ${opened.checksumSha256}, the bytes read hash to ${digest.toString('base64')}; the file may be truncated or corrupt, review its sales`,
    });
  }
  const status = checksumOk ? 'processed' : 'checksum_mismatch';
  await deps.files.complete(ref, { status, sha256: digest.toString('hex'), delta: progress.takeDelta(), records });
  return { status, counts, records };
}

async function ingestEntry(ref: ObjectRef, entry: FileEntry, deps: IngestDeps): Promise<RecordOutcome> {
  const source: SaleSource = { kind: 's3', bucket: ref.bucket, key: ref.key, eTag: ref.eTag, versionId: ref.versionId, index: entry.index, line: entry.line };
  const sourceId = `${fileSourceId(ref)}#${entry.index}`;
  if ('parseError' in entry) {
    await deps.failures.recordFailure({
      sourceId,
      source: `s3://${ref.bucket}/${ref.key}${entry.line ? ` line ${entry.line}` : ` record ${entry.index}`}`,
      reason: entry.parseError,
      raw: entry.raw === undefined ? undefined : maskCardNumbersInText(entry.raw),
    });
    return 'failed';
  }
  return ingestRecord(entry.record, source, sourceId, deps);
}

/**
 * Sales on the same card are awarded one after another: in parallel they would only contend for the same
 * account version. The lane is the card's last four digits, read before validation (a conservative grouping).
 */
function cardLane(entry: FileEntry): string {
  if (!('record' in entry) || entry.record === null || typeof entry.record !== 'object') return '';
  const card = (entry.record as { cardNumber?: unknown }).cardNumber;
  return typeof card === 'string' ? card.replace(/\D/g, '').slice(-4) : '';
}

class Lanes {
  private readonly tails = new Map<string, Promise<void>>();

  run(lane: string, task: () => Promise<void>): Promise<void> {
    if (lane === '') return task();
    const next = (this.tails.get(lane) ?? Promise.resolve()).then(task);
    this.tails.set(lane, next);
    void next.finally(() => {
      if (this.tails.get(lane) === next) this.tails.delete(lane);
    });
    return next;
  }
}

/** Tracks which records are done and saves a resumable checkpoint with the counts since the last one. */
class FileProgress {
  private delta = emptyCounts();
  private sinceSave = 0;
  private savedAt = Date.now();
  private nextIndex: number;
  failure: unknown;
  failureIndex = Number.POSITIVE_INFINITY;

  constructor(
    private readonly ref: ObjectRef,
    private readonly files: FileLedger,
    resumeFrom: number,
    private readonly leaseMs: number,
    private readonly everyRecords: number,
    private readonly everyMs: number,
  ) {
    this.nextIndex = resumeFrom;
  }

  started(index: number) {
    this.nextIndex = index + 1;
    this.sinceSave += 1;
  }

  count(outcome: RecordOutcome) {
    this.delta[outcome] += 1;
  }

  fail(index: number, err: unknown) {
    if (index < this.failureIndex) {
      this.failureIndex = index;
      this.failure = err;
    }
  }

  due(): boolean {
    return this.sinceSave >= this.everyRecords || Date.now() - this.savedAt >= this.everyMs;
  }

  takeDelta(): FileCounts {
    const delta = this.delta;
    this.delta = emptyCounts();
    return delta;
  }

  /** Everything below the lowest record still in flight (or failed) is done. */
  async save(inFlight: Iterable<number>, options: { releaseLease?: boolean } = {}) {
    let watermark = Math.min(this.nextIndex, this.failureIndex);
    for (const index of inFlight) watermark = Math.min(watermark, index);
    await this.files.checkpoint(this.ref, watermark, this.takeDelta(), options.releaseLease ? 0 : this.leaseMs);
    this.sinceSave = 0;
    this.savedAt = Date.now();
  }
}
