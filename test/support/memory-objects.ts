import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ObjectMissingError, type ObjectRef, type ObjectStore, type OpenOptions } from '../../shared/ingest/ports';

/** An object store held in memory, for exercising the file pipeline without S3 (the local-stack tests use s3rver). */
export class MemoryObjectStore implements ObjectStore {
  private readonly objects = new Map<string, { body: Buffer; checksum?: string }>();
  /** Every open, with the range it asked for. */
  readonly opens: Array<{ key: string; range?: OpenOptions['range'] }> = [];

  put(key: string, body: string, options: { checksum?: string; withChecksum?: boolean } = {}): ObjectRef {
    const checksum = options.checksum ?? (options.withChecksum ? createHash('sha256').update(body).digest('base64') : undefined);
    const bytes = Buffer.from(body);
    this.objects.set(key, { body: bytes, checksum });
    return { bucket: 'hi-vis-moma-data', key, eTag: createHash('md5').update(bytes).digest('hex'), size: bytes.length };
  }

  async open(ref: ObjectRef, options: OpenOptions = {}) {
    this.opens.push({ key: ref.key, range: options.range });
    const object = this.objects.get(ref.key);
    if (!object) throw new ObjectMissingError(ref);
    const range = options.range;
    const bytes = range ? object.body.subarray(range.start, range.end === undefined ? undefined : range.end + 1) : object.body;
    // Deliver in small chunks, as a network stream does.
    const chunks = Array.from({ length: Math.ceil(bytes.length / 64) }, (_, i) => bytes.subarray(i * 64, (i + 1) * 64));
    return { body: Readable.from(chunks), checksumSha256: range ? undefined : object.checksum, size: object.body.length };
  }
}
