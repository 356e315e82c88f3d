import { renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Jest setup for the unit project: the environment the stack gives the functions, with the pepper from a file instead
 * of Secrets Manager. It runs before each test file imports anything, as Lambda sets the environment before a handler
 * module is evaluated. It runs before every unit test file, so it imports nothing heavier than Node's own modules.
 */
const TEST_PEPPER = 'handler-test-pepper-0123456789abcdef0123456789';
// One file for every run, replaced atomically: a test file reading it while another worker writes it never sees it empty.
const pepperFile = path.join(tmpdir(), 'hivis-handler-test-pepper');
writeFileSync(`${pepperFile}.${process.pid}`, TEST_PEPPER);
renameSync(`${pepperFile}.${process.pid}`, pepperFile);
Object.assign(process.env, {
  TABLE_NAME: 'hivis-handler-test',
  BUCKET_NAME: 'hi-vis-moma-data',
  FILE_EVENTS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/hi-vis-file-events',
  ACHIEVEMENTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:achievements',
  CARD_PEPPER_FILE: pepperFile,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
});
