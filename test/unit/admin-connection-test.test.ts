import { testConnection } from '../../shared/admin/connection-test';
import type { ConnectionCheck } from '../../shared/admin/ports';
import { awsError } from '../support/fakes';

const failing = (name: string, err: Error, setting?: string): ConnectionCheck => ({
  name,
  needs: `reach ${name}`,
  setting,
  probe: async () => {
    throw err;
  },
});

describe('testConnection (POST /admin/sync/test)', () => {
  test('runs every check, even after one fails, and explains each failure with a fix', async () => {
    const result = await testConnection([
      { name: 'table', needs: 'read the table', probe: async () => 'table is readable' },
      failing('bucket', awsError('NoSuchBucket', 'The specified bucket does not exist'), 'BUCKET_NAME'),
      failing('queue:moma', awsError('AWS.SimpleQueueService.NonExistentQueue', 'no queue'), 'MOMA_QUEUE_URL'),
      failing('topic', awsError('AuthorizationError', 'not allowed', { status: 403 })),
    ]);
    expect(result.ok).toBe(false);
    expect(result.checks).toEqual([
      { name: 'table', ok: true, detail: 'table is readable' },
      { name: 'bucket', ok: false, detail: expect.stringContaining('The bucket does not exist: check BUCKET_NAME (the bucket name)') },
      { name: 'queue:moma', ok: false, detail: expect.stringContaining('The queue does not exist: check MOMA_QUEUE_URL (the queue URL)') },
      { name: 'topic', ok: false, detail: expect.stringContaining('The role is not allowed to reach topic') },
    ]);
  });

  test('the hints name only settings the function reads', async () => {
    const result = await testConnection([
      failing('bucket', awsError('NoSuchBucket', 'gone')),
      failing('queue:moma', awsError('QueueDoesNotExist', 'gone')),
    ]);
    for (const check of result.checks) expect(check.detail).not.toMatch(/MOMA_S3_BUCKET|MOMA_SQS_QUEUE/);
    expect(result.checks.map((c) => c.detail)).toEqual([
      expect.stringContaining("check the bucket name against the stack's BucketName output"),
      expect.stringContaining("check the queue URL against the stack's queue URL outputs"),
    ]);
  });
});
