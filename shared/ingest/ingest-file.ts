import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { describeFile, describeOrigin, type SaleOrigin } from '../domain/sale';
import { DEFAULT_AWARDS_PER_PACK } from './award-packer';
import { classifyError, describeError, TransientIngestError } from './errors';
import { type DecodedFile, decodeFileBody, FileReadError } from './file-decoding';
import { DEFAULT_FAN_OUT, FAN_OUT_LEASE_MS, type FanOutPolicy, isPartOf, partLines, partReadStart, partsOf, planParts } from './file-parts';
import { type IngestDeps, ingestRecord, type RecordOutcome } from './ingest-sale';
import { type FileEntry, type FileFormat, formatForKey, parseMomaFile, SUPPORTED_EXTENSIONS } from './moma-file-parser';
import {
  emptyCounts,
  type FileEventQueue,
  type FileLedger,
  type FilePart,
  ObjectMissingError,
  type ObjectRef,
  type ObjectStore,
  type OpenedObject,
  type OutcomeCounts,
} from './ports';

export interface FileIngestDeps extends IngestDeps {
  objects: ObjectStore;
  files: FileLedger;
  /** Where a large file's parts are queued, each for its own worker; without it every file is read by one worker. */
  fileEvents?: FileEventQueue;
  fanOut?: FanOutPolicy;
  /** Sales awarded in parallel within one file. */
  concurrency?: number;
  checkpointEveryRecords?: number;
  checkpointEveryMs?: number;
  leaseMs?: number;
  /** True when the worker should stop and hand the rest of the file to a later invocation (Lambda time running out). */
  shouldYield?: () => boolean;
}

export type FileStatus = 'processed' | 'already_processed' | 'checksum_mismatch' | 'unreadable' | 'yielded' | 'fanned_out';

export interface FileResult {
  status: FileStatus;
  counts: OutcomeCounts;
  records: number;
}

/** The failure key of a whole file (its records' keys add `#<index>`): one failure per stored version of the object. */
export const fileFailureKey = (ref: ObjectRef) => `s3://${ref.bucket}/${ref.key}@${ref.eTag}`;

export const EMPTY_FILE_REASON = 'empty file: no records';

/** Records one file worker awards at once by default: a full pack of awards (see AwardPacker). */
export const FILE_RECORDS_IN_FLIGHT = DEFAULT_AWARDS_PER_PACK;

/**
 * Streams one Moma file through validation and award. Progress is checkpointed, so a crashed or yielded worker's
 * successor resumes where it left off; every sale is deduplicated by id regardless. Whatever the file holds, it ends
 * finished (processed with its failures, or unreadable) and is never retried for its content: only transient errors
 * propagate, after the progress so far is saved.
 */
export async function ingestFile(ref: ObjectRef, deps: FileIngestDeps): Promise<FileResult> {
  const leaseMs = deps.leaseMs ?? 120_000;
  if (ref.part && !(await isPlannedPart(ref, deps))) return { status: 'unreadable', counts: { ...emptyCounts(), failed: 1 }, records: 0 };
  const claim = await deps.files.claim(ref, leaseMs);
  if (claim.kind === 'already_processed') {
    // A part finished before its file could be (a crash between the two): the file is finished now.
    if (ref.part) await deps.files.finishParts({ ...ref, part: undefined });
    return { status: 'already_processed', counts: emptyCounts(), records: 0 };
  }
  if (claim.kind === 'in_progress_elsewhere') {
    throw new TransientIngestError(`${describeFile(ref)} is being processed by another worker until ${claim.leaseExpiresAt}`);
  }
  if (claim.parts) return resumeParts(ref, claim.parts, deps);
  const format = formatForKey(ref.key);
  // Recorded as finished, so neither a redelivery nor reconcile queues it again.
  if (!format) return finishUnreadable(ref, `unsupported file type: expected one of ${Object.keys(SUPPORTED_EXTENSIONS).join(', ')}`, deps);
  try {
    if (ref.part) {
      if (format !== 'ndjson') return finishUnreadable(ref, `only NDJSON files are read in parts; this is ${format}`, deps);
      return await ingestPart(ref, claim.resumeFromIndex, leaseMs, deps);
    }
    return await ingestClaimedFile(ref, format, claim.resumeFromIndex, leaseMs, deps);
  } catch (err) {
    if (classifyError(err) === 'transient') throw err;
    return finishUnreadable(ref, `the file could not be processed: ${describeError(err)}`, deps);
  }
}

/** One named failure for the whole file, which is then finished as unreadable (never retried). */
async function finishUnreadable(ref: ObjectRef, reason: string, deps: FileIngestDeps): Promise<FileResult> {
  const delta = { ...emptyCounts(), failed: 1 };
  await deps.failures.recordFailure({ sourceId: fileFailureKey(ref), source: describeFile(ref), reason });
  await deps.files.complete(ref, { status: 'unreadable', delta, records: 0, reason });
  return { status: 'unreadable', counts: delta, records: 0 };
}

async function ingestClaimedFile(
  ref: ObjectRef,
  format: FileFormat,
  resumeFromIndex: number,
  leaseMs: number,
  deps: FileIngestDeps,
): Promise<FileResult> {
  let opened: OpenedObject;
  try {
    opened = await deps.objects.open(ref);
  } catch (err) {
    if (err instanceof ObjectMissingError) return finishUnreadable(ref, err.message, deps);
    if (classifyError(err) === 'permanent') return finishUnreadable(ref, `S3 refused to read the object: ${describeError(err)}`, deps);
    // Let the next attempt claim the file at once rather than wait for this lease to expire.
    await deps.files.checkpoint(ref, resumeFromIndex, emptyCounts(), 0);
    throw new TransientIngestError(`could not open ${describeFile(ref)}`, err);
  }

  // The checksum is over the bytes as stored, so they are hashed before any decoding.
  const sha256 = createHash('sha256');
  const hashed = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sha256.update(chunk);
      callback(null, chunk);
    },
  });
  opened.body.on('error', (err) => hashed.destroy(err));
  opened.body.pipe(hashed);

  let decoded: DecodedFile;
  try {
    decoded = await decodeFileBody(hashed, { key: ref.key, contentEncoding: opened.contentEncoding });
  } catch (err) {
    opened.body.destroy();
    if (classifyError(err) === 'permanent') return finishUnreadable(ref, `unreadable file: ${describeError(err)}`, deps);
    await deps.files.checkpoint(ref, resumeFromIndex, emptyCounts(), 0);
    throw new TransientIngestError(`could not read ${describeFile(ref)}`, err);
  }
  if (decoded.kind === 'unreadable') {
    opened.body.destroy();
    return finishUnreadable(ref, `unreadable file: ${decoded.reason}`, deps);
  }

  const objectBytes = opened.size ?? ref.size ?? 0;
  const policy = deps.fanOut ?? DEFAULT_FAN_OUT;
  // A large plain NDJSON file read from its start goes to parts (its lines can be found from any byte); JSON, CSV
  // (a quoted field may hold a newline) and compressed files are read whole, in turns if need be.
  if (
    deps.fileEvents &&
    resumeFromIndex === 0 &&
    format === 'ndjson' &&
    decoded.encoding === 'utf-8' &&
    !decoded.gzip &&
    objectBytes >= policy.thresholdBytes
  ) {
    opened.body.destroy();
    const parts = planParts(objectBytes, policy);
    await deps.files.fanOut(ref, { count: parts.length, objectBytes }, FAN_OUT_LEASE_MS);
    await queueParts(ref, parts, objectBytes, deps.fileEvents, deps);
    return { status: 'fanned_out', counts: emptyCounts(), records: 0 };
  }

  const run = await awardEntries(
    ref,
    parseMomaFile(decoded.stream, format),
    resumeFromIndex,
    leaseMs,
    deps,
    wholeFilePlaces(ref, format),
    () => opened.body.destroy(),
  );
  if (run.stopped) return run.stopped;
  const { counts, records, progress } = run;

  // Drain whatever the parser left unread, so the checksum covers the whole object.
  if (!opened.body.destroyed) await drain(hashed);
  const digest = sha256.digest();
  const checksumOk = !opened.checksumSha256 || opened.checksumSha256 === digest.toString('base64');
  if (!checksumOk) {
    await deps.failures.recordFailure({
      sourceId: `${fileFailureKey(ref)}#checksum`,
      source: describeFile(ref),
      reason: `checksum mismatch: S3 reports SHA-256 ${opened.checksumSha256}, the bytes read hash to ${digest.toString('base64')}; the file may be truncated or corrupt, review its sales`,
    });
  }
  let reason: string | undefined;
  if (records === 0) {
    // Nothing to award, but an operator should know Moma sent a file without sales: a review item, not retryable.
    reason = EMPTY_FILE_REASON;
    await deps.failures.recordFailure({ sourceId: `${fileFailureKey(ref)}#empty`, source: describeFile(ref), reason });
  }
  const status = checksumOk ? 'processed' : 'checksum_mismatch';
  await deps.files.complete(ref, { status, sha256: digest.toString('hex'), delta: progress.takeDelta(), records, reason });
  return { status, counts, records };
}

/**
 * Awards a file's (or a part's) entries, several at a time, sales on one card in turn, saving a resumable checkpoint as
 * it goes. Stops early when the worker must yield, and throws a transient error (after saving) when one stopped it.
 */
async function awardEntries(
  ref: ObjectRef,
  entries: AsyncIterable<FileEntry>,
  resumeFromIndex: number,
  leaseMs: number,
  deps: FileIngestDeps,
  places: EntryPlaces,
  stopReading: () => void,
): Promise<{ counts: OutcomeCounts; records: number; progress: FileProgress; stopped?: FileResult }> {
  const counts = emptyCounts();
  const progress = new FileProgress(
    ref,
    deps.files,
    resumeFromIndex,
    leaseMs,
    deps.checkpointEveryRecords ?? 500,
    deps.checkpointEveryMs ?? 15_000,
  );
  const concurrency = deps.concurrency ?? FILE_RECORDS_IN_FLIGHT;
  const inFlight = new Map<number, Promise<void>>();
  const lanes = new Lanes();
  let records = 0;
  let yielded = false;

  const handle = async (entry: FileEntry) => {
    try {
      const outcome = await ingestEntry(entry, places, deps);
      counts[outcome] += 1;
      progress.count(outcome);
    } catch (err) {
      // Only transient errors reach here (a record's permanent errors are its failure): stop, save, retry later.
      progress.fail(entry.index, err);
    } finally {
      inFlight.delete(entry.index);
    }
  };

  try {
    for await (const entry of entries) {
      records = entry.index + 1;
      if (entry.index < resumeFromIndex) continue;
      if (deps.shouldYield?.()) {
        yielded = true;
        break;
      }
      while (inFlight.size >= concurrency) await Promise.race(inFlight.values());
      if (progress.failure) break;
      inFlight.set(
        entry.index,
        lanes.run(cardLane(entry), () => handle(entry)),
      );
      progress.started(entry.index);
      if (progress.due()) await progress.save(inFlight.keys());
    }
  } catch (err) {
    await Promise.all(inFlight.values());
    if (classifyError(err) === 'transient') {
      stopReading();
      await progress.save(inFlight.keys(), { releaseLease: true });
      throw err instanceof Error && err.name === 'FileReadError'
        ? new TransientIngestError(err.message, (err as { cause?: unknown }).cause)
        : err;
    }
    // The parser cannot go past this point, and would stop here again: the rest of the file is one failure.
    if (!progress.failure && records >= resumeFromIndex) {
      await deps.failures.recordFailure({
        ...places.rest(records),
        reason: `the file could not be read past record ${records}: ${describeError(err)}`,
      });
      counts.failed += 1;
      progress.count('failed');
    }
  }
  await Promise.all(inFlight.values());
  const stoppedEarly = progress.failure !== undefined || yielded;
  if (stoppedEarly) {
    stopReading();
    await progress.save(inFlight.keys(), { releaseLease: true });
  }
  if (progress.failure) throw new TransientIngestError(`${describeFile(ref)} stopped at record ${progress.failureIndex}`, progress.failure);
  return { counts, records, progress, stopped: yielded ? { status: 'yielded' as const, counts, records } : undefined };
}

async function drain(stream: Readable): Promise<void> {
  if (stream.readableEnded || stream.destroyed) return;
  await new Promise<void>((resolve) => {
    stream
      .on('end', resolve)
      .on('close', resolve)
      .on('error', () => resolve());
    stream.unpipe();
    stream.resume();
  });
}

/** Where an entry is, for people (its origin) and as the key of its failure. */
interface EntryPlaces {
  origin(entry: FileEntry): SaleOrigin;
  failureKey(entry: FileEntry): string;
  /** The failure of everything from record `records` on, when the parser cannot go further. */
  rest(records: number): { sourceId: string; source: string };
}

const recordOrigin = (ref: ObjectRef, index: number, at: { line?: number; offset?: number }): SaleOrigin => ({
  kind: 's3',
  bucket: ref.bucket,
  key: ref.key,
  eTag: ref.eTag,
  versionId: ref.versionId,
  index,
  ...at,
});

function wholeFilePlaces(ref: ObjectRef, format: FileFormat): EntryPlaces {
  return {
    // A line names a record of NDJSON or CSV; a JSON file may hold many records on one line, so its byte offset counts too.
    origin: (entry) => recordOrigin(ref, entry.index, { line: entry.line, offset: format === 'json' ? entry.offset : undefined }),
    failureKey: (entry) => `${fileFailureKey(ref)}#${entry.index}`,
    rest: (records) => ({
      sourceId: `${fileFailureKey(ref)}#${records}`,
      source: describeOrigin({ kind: 's3', bucket: ref.bucket, key: ref.key, index: records }),
    }),
  };
}

/** A part knows no line numbers (the lines before it are unread): its records are placed by their byte offset in the file. */
function partPlaces(ref: ObjectRef, window: { firstByte?: number }): EntryPlaces {
  const offsetOf = (entry: FileEntry) => (window.firstByte ?? ref.part!.start) + (entry.offset ?? 0);
  return {
    origin: (entry) => recordOrigin(ref, entry.index, { offset: offsetOf(entry) }),
    failureKey: (entry) => `${fileFailureKey(ref)}#@${offsetOf(entry)}`,
    rest: (records) => ({
      sourceId: `${fileFailureKey(ref)}#part${ref.part!.index}+${records}`,
      source: `${describeFile(ref)} part ${ref.part!.index + 1} of ${ref.part!.count}, after its record ${records}`,
    }),
  };
}

async function ingestEntry(entry: FileEntry, places: EntryPlaces, deps: IngestDeps): Promise<RecordOutcome> {
  const origin = places.origin(entry);
  const failureKey = places.failureKey(entry);
  if ('parseError' in entry) {
    await deps.failures.recordFailure({ sourceId: failureKey, source: describeOrigin(origin), reason: entry.parseError, raw: entry.raw });
    return 'failed';
  }
  return ingestRecord(entry.record, origin, failureKey, deps);
}

/**
 * One part of a fanned-out NDJSON file: its byte range (from one byte early, to find its first whole line) read to the
 * end of its last line, its records awarded like a file's, and on completion its counts added to the file's.
 */
async function ingestPart(ref: ObjectRef, resumeFromIndex: number, leaseMs: number, deps: FileIngestDeps): Promise<FileResult> {
  const part = ref.part!;
  let opened: OpenedObject;
  try {
    opened = await deps.objects.open(ref, { range: { start: partReadStart(part) } });
  } catch (err) {
    if (err instanceof ObjectMissingError) return finishUnreadable(ref, err.message, deps);
    if (classifyError(err) === 'permanent') return finishUnreadable(ref, `S3 refused to read the object: ${describeError(err)}`, deps);
    await deps.files.checkpoint(ref, resumeFromIndex, emptyCounts(), 0);
    throw new TransientIngestError(`could not open ${describeFile(ref)} part ${part.index + 1}`, err);
  }
  const window: { firstByte?: number } = {};
  const lines = Readable.from(partLines(asBuffers(opened.body), part, window));
  const run = await awardEntries(ref, parseMomaFile(lines, 'ndjson'), resumeFromIndex, leaseMs, deps, partPlaces(ref, window), () => {
    lines.destroy();
    opened.body.destroy();
  });
  opened.body.destroy();
  if (run.stopped) return run.stopped;
  await deps.files.complete(ref, { status: 'processed', delta: run.progress.takeDelta(), records: run.records });
  return { status: 'processed', counts: run.counts, records: run.records };
}

async function* asBuffers(body: Readable): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of body) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
  } catch (err) {
    throw err instanceof FileReadError ? err : new FileReadError(err);
  }
}

/**
 * A fanned-out file claimed again (its parts outlived its lease, or reconcile found it): finished if its parts are,
 * else every part is queued again (a finished part's worker finds it processed) and the file's lease renewed.
 */
async function resumeParts(
  ref: ObjectRef,
  parts: { count: number; done: number; objectBytes: number },
  deps: FileIngestDeps,
): Promise<FileResult> {
  if (await deps.files.finishParts(ref)) return { status: 'processed', counts: emptyCounts(), records: 0 };
  if (!deps.fileEvents) throw new TransientIngestError(`${describeFile(ref)} has unfinished parts and no queue to send them to`);
  const finished = new Set((await deps.files.fanOutState(ref))?.finished ?? []);
  // Its last part finished meanwhile: nothing left to send.
  if (!(await deps.files.fanOut(ref, { count: parts.count, objectBytes: parts.objectBytes }, FAN_OUT_LEASE_MS)))
    return { status: 'processed', counts: emptyCounts(), records: 0 };
  const unfinished = partsOf(parts.objectBytes, parts.count).filter((part) => !finished.has(part.index));
  await queueParts(ref, unfinished, parts.objectBytes, deps.fileEvents, deps);
  return { status: 'fanned_out', counts: emptyCounts(), records: 0 };
}

/** Queues parts of a file; if that fails, the file's lease is let go, so its redelivery queues them again at once. */
async function queueParts(ref: ObjectRef, parts: FilePart[], objectBytes: number, queue: FileEventQueue, deps: FileIngestDeps) {
  try {
    await queue.enqueueMany(parts.map((part) => ({ ...ref, size: objectBytes, part })));
  } catch (err) {
    await deps.files.checkpoint(ref, 0, emptyCounts(), 0);
    throw new TransientIngestError(`could not queue the parts of ${describeFile(ref)}`, err);
  }
}

/**
 * A part event is acted on only if it names a part the file was cut into: a replayed or forged one (another range, a
 * part of a file never fanned out) is one failure for review, and touches no record.
 */
async function isPlannedPart(ref: ObjectRef, deps: FileIngestDeps): Promise<boolean> {
  const state = await deps.files.fanOutState({ ...ref, part: undefined });
  if (state && isPartOf(ref.part!, state)) return true;
  const { index, count, start, end } = ref.part!;
  await deps.failures.recordFailure({
    sourceId: `${fileFailureKey(ref)}#part:${index}/${count}:${start}-${end}`,
    source: describeFile(ref),
    reason: state
      ? `a part event for bytes ${start}-${end} (part ${index + 1} of ${count}) that is not one of the ${state.count} parts the file was cut into`
      : `a part event (part ${index + 1} of ${count}) for a file that was never cut into parts`,
  });
  return false;
}

/**
 * Sales on the same card are awarded one after another: in parallel they would only contend for the same
 * account version. The lane is the card's last four digits, read before validation (a conservative grouping).
 */
function cardLane(entry: FileEntry): string {
  if (!('record' in entry) || entry.record === null || typeof entry.record !== 'object' || !Object.hasOwn(entry.record, 'cardNumber'))
    return '';
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

  takeDelta(): OutcomeCounts {
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
