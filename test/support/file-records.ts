import type { LocalStackClient } from '../../local/local-client';

/** @deprecated Use `local.fileRecord(key)`, which reads the record by the object's current ETag the same way. */
export const fileRecordOf = (local: LocalStackClient, key: string) => local.fileRecord(key);
