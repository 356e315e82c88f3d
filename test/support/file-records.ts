import { HeadObjectCommand, NotFound } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalStackClient } from '../../local/local-client';
import { keys } from '../../shared/adapters/dynamodb/table-keys';
import { unquoted } from '../../shared/adapters/s3/object-store';

/**
 * The processed-file record of the object now under `key` in the local stack's bucket. The record is keyed by a hash
 * of bucket, key and ETag (never the key itself), so the object's current ETag is read first.
 */
export async function fileRecordOf(local: LocalStackClient, key: string): Promise<Record<string, unknown> | undefined> {
  const { bucket, tableName } = local.endpoints;
  let eTag: string;
  try {
    const head = await local.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    eTag = unquoted(head.ETag ?? '');
  } catch (err) {
    if (err instanceof NotFound || (err as { name?: string }).name === 'NotFound') return undefined;
    throw err;
  }
  return (await local.db.send(new GetCommand({ TableName: tableName, Key: keys.file(bucket, key, eTag) }))).Item;
}
