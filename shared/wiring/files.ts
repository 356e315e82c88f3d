import type { FileIngestDeps } from '../ingest/ingest-file';
import { required } from './config';
import { fileStorage } from './file-storage';
import { ingestContainer } from './ingest';
import { once } from './lazy';

/** The file path's additions to the ingest container: S3, the processed-file ledger, the file-events queue. */
export const fileContainer = once(async () => {
  const { config, deps, activity } = await ingestContainer();
  const { objects, files, fileEvents } = fileStorage(config.tableName, required(config.fileEventsQueueUrl, 'FILE_EVENTS_QUEUE_URL'));
  const fileDeps: FileIngestDeps = { ...deps, objects, files, fileEvents };
  return { config, deps: fileDeps, objects, fileEvents, activity };
});
