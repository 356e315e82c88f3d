import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ObjectMissingError, type ObjectRef, type ObjectStore } from '../../shared/ingest/ports';

/** An object store held in memory, for exercising the file pipeline without S3 (the local-stack tests use s3rver). */
export class MemoryObjectStore implements ObjectStore {
  private readonly objects = new Map<string, { body: string; checksum?: string }>();

  put(key: string, body: string, options: { checksum?: string; withChecksum?: boolean } = {}): ObjectRef {
    const checksum = options.checksum ?? (options.withChecksum ? createHash('sha256').update(body).digest('base64') : undefined);
    this.objects.set(key, { body, checksum });
    return { bucket: 'hi-vis-moma-data', key, eTag: createHash('md5').update(body).digest('hex'), size: body.length };
  }

  async open(ref: ObjectRef) {
    const object = this.objects.get(ref.key);
    if (!object) throw new ObjectMissingError(ref);
    // Deliver in small chunks, as a network stream does.
    const chunks = object.body.match(/[\s\S]{1,64}/g) ?? [];
    return { body: Readable.from(chunks.map((c) => Buffer.from(c))), checksumSha256: object.checksum };
  }
}
