import type { FileEventQueue, ObjectRef } from '../../ingest/ports';
import type { SqsClient } from '../aws/sqs';
import { toS3Notification } from './s3-notification';

/** Puts files (back) on the file-events queue, in the same shape S3 itself sends. */
export class SqsFileEventQueue implements FileEventQueue {
  constructor(
    private readonly sqs: SqsClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(ref: ObjectRef): Promise<void> {
    await this.sqs.sendMessage({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(toS3Notification(ref, 'hi-vis:Requeued')) });
  }

  async enqueueMany(refs: ObjectRef[]): Promise<void> {
    for (let i = 0; i < refs.length; i += 10) {
      const batch = refs.slice(i, i + 10);
      const out = await this.sqs.sendMessageBatch({
        QueueUrl: this.queueUrl,
        Entries: batch.map((ref, n) => ({
          Id: String(n),
          MessageBody: JSON.stringify(toS3Notification(ref, ref.part ? 'hi-vis:Part' : 'hi-vis:Reconciled')),
        })),
      });
      if (out.Failed?.length)
        throw new Error(`could not queue ${out.Failed.length} file(s): ${out.Failed.map((f) => f.Message).join('; ')}`);
    }
  }
}
