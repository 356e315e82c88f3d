import { parseS3Notification, toS3Notification } from '../../shared/adapters/sqs/s3-notification';

describe('S3 notifications on SQS', () => {
  test('reads the objects of an ObjectCreated notification, decoding keys', () => {
    const body = JSON.stringify(
      toS3Notification({ bucket: 'b', key: 'transactions/2025 01/a+b.json', eTag: 'abc', versionId: 'v1', size: 10 }),
    );
    expect(parseS3Notification(body)).toEqual({
      kind: 'objects',
      refs: [{ bucket: 'b', key: 'transactions/2025 01/a+b.json', eTag: 'abc', versionId: 'v1', size: 10 }],
    });
  });

  test("S3's test event is recognised and skipped", () => {
    expect(
      parseS3Notification(JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: '2025-01-01T00:00:00Z', Bucket: 'b' })),
    ).toEqual({ kind: 'test' });
  });

  test('a body that is not a notification is explained', () => {
    expect(parseS3Notification('nope')).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('not JSON') });
    expect(parseS3Notification('{"Records":[{"s3":{}}]}')).toMatchObject({
      kind: 'invalid',
      reason: expect.stringContaining('Records.0.eventName'),
    });
  });

  test('deletions are ignored', () => {
    const body = toS3Notification({ bucket: 'b', key: 'transactions/a.json', eTag: 'e' }, 'ObjectRemoved:Delete');
    expect(parseS3Notification(JSON.stringify(body))).toEqual({ kind: 'objects', refs: [] });
  });
});

test('a notification without an eTag is invalid, naming its key with any card number in it masked', () => {
  const body = toS3Notification({ bucket: 'b', key: 'transactions/4111111111111111.json', eTag: '' });
  expect(parseS3Notification(JSON.stringify(body))).toEqual({
    kind: 'invalid',
    reason: 'notification for transactions/************1111.json has no eTag',
  });
});
