import { ObjectMissingError, type ObjectRef, type ObjectStore, type OpenOptions } from '../../ingest/ports';
import { type S3Reader, S3ServiceError } from './s3-reader';

/** A missing key, a deleted version, or an ETag that is no longer the key's (If-Match): the object we were told about is gone. */
const MISSING = new Set(['NoSuchKey', 'NoSuchVersion', 'PreconditionFailed']);

export class S3ObjectStore implements ObjectStore {
  constructor(private readonly s3: S3Reader) {}

  async open(ref: ObjectRef, options: OpenOptions = {}) {
    const range = options.range;
    try {
      const out = await this.s3.getObject({
        Bucket: ref.bucket,
        Key: ref.key,
        VersionId: ref.versionId,
        // Pin the content we were told about: a newer upload under the same key has its own notification.
        IfMatch: ref.versionId ? undefined : quoted(ref.eTag),
        // A range's checksum is not the object's: asked for only when the whole object is read.
        ...(range ? { Range: `bytes=${range.start}-${range.end ?? ''}` } : { ChecksumMode: 'ENABLED' as const }),
      });
      const checksum =
        !range && out.ChecksumSHA256 && !out.ChecksumSHA256.includes('-') && out.ChecksumType !== 'COMPOSITE'
          ? out.ChecksumSHA256
          : undefined;
      const size = range ? Number(out.ContentRange?.split('/')[1]) : out.ContentLength;
      return {
        body: out.Body,
        checksumSha256: checksum,
        contentEncoding: out.ContentEncoding,
        size: size !== undefined && Number.isFinite(size) ? size : undefined,
      };
    } catch (err) {
      if (err instanceof S3ServiceError && MISSING.has(err.name)) throw new ObjectMissingError(ref);
      throw err;
    }
  }

  /** Objects under a prefix last modified before a moment, a page at a time. */
  async *listOlderThan(bucket: string, prefix: string, before: Date): AsyncGenerator<ObjectRef & { lastModified?: Date }> {
    let token: string | undefined;
    do {
      const page = await this.s3.listObjectsV2({ Bucket: bucket, Prefix: prefix, ContinuationToken: token });
      for (const object of page.Contents ?? []) {
        if (!object.Key || object.Key.endsWith('/') || !object.ETag) continue;
        if (object.LastModified && object.LastModified >= before) continue;
        yield { bucket, key: object.Key, eTag: unquoted(object.ETag), size: object.Size, lastModified: object.LastModified };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
}

export const unquoted = (eTag: string) => eTag.replace(/^"|"$/g, '');
const quoted = (eTag: string) => `"${unquoted(eTag)}"`;
