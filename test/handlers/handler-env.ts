import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TEST_PEPPER } from '../support/dynamodb';

/** The environment the stack gives every function, with the pepper from a file instead of Secrets Manager. */
export function setHandlerEnv() {
  const dir = mkdtempSync(path.join(tmpdir(), 'hivis-handler-'));
  const pepperFile = path.join(dir, 'pepper');
  writeFileSync(pepperFile, TEST_PEPPER);
  Object.assign(process.env, {
    TABLE_NAME: 'hivis-handler-test',
    BUCKET_NAME: 'hi-vis-moma-data',
    FILE_EVENTS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/hi-vis-file-events',
    CARD_PEPPER_FILE: pepperFile,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
}
