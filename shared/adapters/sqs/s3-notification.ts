import { maskCardNumbersInText } from '../../domain/card-number';
import type { ObjectRef } from '../../ingest/ports';
import * as z from '../../support/zod-mini';

const offset = z.number().check(z.int(), z.nonnegative(), z.lte(Number.MAX_SAFE_INTEGER));
/** A part of a large file, on the events this system queues itself (S3 never sends one). */
const partSchema = z
  .strictObject({
    index: z.number().check(z.int(), z.nonnegative()),
    count: z.number().check(z.int(), z.gte(1), z.lte(10_000)),
    start: offset,
    end: offset,
  })
  .check(z.refine((p) => p.index < p.count && p.start < p.end, { message: 'a part needs index < count and start < end' }));

const s3RecordSchema = z.object({
  eventName: z.string(),
  hiVisPart: z.optional(partSchema),
  s3: z.object({
    bucket: z.object({ name: z.string().check(z.minLength(1)) }),
    object: z.object({
      key: z.string().check(z.minLength(1)),
      eTag: z.optional(z.string()),
      versionId: z.optional(z.string()),
      size: z.optional(z.number()),
    }),
  }),
});

const notificationSchema = z.object({ Records: z.array(s3RecordSchema) });

export type ParsedNotification = { kind: 'test' } | { kind: 'objects'; refs: ObjectRef[] } | { kind: 'invalid'; reason: string };

/** S3 URL-encodes keys in notifications, with '+' for spaces. */
const decodeKey = (key: string) => decodeURIComponent(key.replace(/\+/g, ' '));
const encodeKey = (key: string) => encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');

export function parseS3Notification(body: string): ParsedNotification {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    return { kind: 'invalid', reason: `message body is not JSON: ${(err as Error).message}` };
  }
  if ((json as { Event?: unknown } | null)?.Event === 's3:TestEvent') return { kind: 'test' };
  const parsed = notificationSchema.safeParse(json);
  if (!parsed.success) {
    return {
      kind: 'invalid',
      reason: `not an S3 event notification: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'} ${i.message}`).join('; ')}`,
    };
  }
  const refs = parsed.data.Records.filter((r) => r.eventName.startsWith('ObjectCreated') || r.eventName.startsWith('hi-vis:')).map((r) => ({
    bucket: r.s3.bucket.name,
    key: decodeKey(r.s3.object.key),
    eTag: r.s3.object.eTag ?? '',
    versionId: r.s3.object.versionId,
    size: r.s3.object.size,
    ...(r.hiVisPart ? { part: r.hiVisPart } : {}),
  }));
  const withoutETag = refs.find((r) => !r.eTag);
  if (withoutETag) return { kind: 'invalid', reason: `notification for ${maskCardNumbersInText(withoutETag.key)} has no eTag` };
  return { kind: 'objects', refs };
}

/** An S3 ObjectCreated notification, as S3 sends it to SQS (used by the local stack and for re-queued files). */
export function toS3Notification(ref: ObjectRef, eventName = 'ObjectCreated:Put', eventTime = new Date()) {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: process.env.AWS_REGION ?? 'us-east-1',
        eventTime: eventTime.toISOString(),
        eventName,
        ...(ref.part ? { hiVisPart: ref.part } : {}),
        userIdentity: { principalId: 'hi-vis' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': '0', 'x-amz-id-2': '0' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'moma-files',
          bucket: { name: ref.bucket, ownerIdentity: { principalId: 'hi-vis' }, arn: `arn:aws:s3:::${ref.bucket}` },
          object: {
            key: encodeKey(ref.key),
            size: ref.size ?? 0,
            eTag: ref.eTag,
            versionId: ref.versionId,
            sequencer: Date.now().toString(16).toUpperCase(),
          },
        },
      },
    ],
  };
}
