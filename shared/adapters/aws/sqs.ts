import { createHash } from 'node:crypto';
import { AwsJsonClient, type WithMetadata } from './protocols';
import { type AwsClientOptions, AwsServiceError } from './signed-http';

export interface SendMessageInput {
  QueueUrl: string;
  MessageBody: string;
  DelaySeconds?: number;
}

export interface SendMessageBatchInput {
  QueueUrl: string;
  Entries: Array<{ Id: string; MessageBody: string; DelaySeconds?: number }>;
}

export interface BatchResultErrorEntry {
  Id?: string;
  SenderFault?: boolean;
  Code?: string;
  Message?: string;
}

export interface SendMessageBatchOutput {
  Successful?: Array<{ Id?: string; MessageId?: string; MD5OfMessageBody?: string }>;
  Failed?: BatchResultErrorEntry[];
}

/** SQS's modeled errors whose name is not their Query error code (the SDK names an error by its exception). */
const QUERY_ERROR_NAMES: Readonly<Record<string, string>> = {
  ...Object.fromEntries(
    [
      'BatchEntryIdsNotDistinct',
      'BatchRequestTooLong',
      'EmptyBatchRequest',
      'InvalidBatchEntryId',
      'MessageNotInflight',
      'PurgeQueueInProgress',
      'QueueDeletedRecently',
      'TooManyEntriesInBatchRequest',
      'UnsupportedOperation',
    ].map((name) => [`AWS.SimpleQueueService.${name}`, name]),
  ),
  'AWS.SimpleQueueService.NonExistentQueue': 'QueueDoesNotExist',
  QueueAlreadyExists: 'QueueNameExists',
  'KMS.AccessDeniedException': 'KmsAccessDenied',
  'KMS.DisabledException': 'KmsDisabled',
  'KMS.InvalidKeyUsageException': 'KmsInvalidKeyUsage',
  'KMS.InvalidStateException': 'KmsInvalidState',
  'KMS.NotFoundException': 'KmsNotFound',
  'KMS.OptInRequired': 'KmsOptInRequired',
  'KMS.ThrottlingException': 'KmsThrottled',
};

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

/** The SQS operations the functions use, over the JSON protocol (as the SDK speaks it since 2023). */
export class SqsClient {
  private readonly json: AwsJsonClient;

  constructor(options: AwsClientOptions = {}) {
    this.json = new AwsJsonClient(
      {
        signingName: 'sqs',
        endpointVariable: 'SQS',
        endpointPrefix: 'sqs',
        target: 'AmazonSQS',
        version: '1.0',
        queryCompatible: true,
        queryErrorNames: QUERY_ERROR_NAMES,
      },
      options,
    );
  }

  /** Checks the MD5 SQS computed of the body, as the SDK does. */
  async sendMessage(input: SendMessageInput): Promise<WithMetadata<{ MessageId?: string; MD5OfMessageBody?: string }>> {
    const out = await this.json.call<{ MessageId?: string; MD5OfMessageBody?: string }>('SendMessage', input);
    if (out.MD5OfMessageBody !== undefined && out.MD5OfMessageBody !== md5(input.MessageBody)) throw checksumError(out.$metadata);
    return out;
  }

  async sendMessageBatch(input: SendMessageBatchInput): Promise<WithMetadata<SendMessageBatchOutput>> {
    const out = await this.json.call<SendMessageBatchOutput>('SendMessageBatch', input);
    const sent = new Map(input.Entries.map((e) => [e.Id, e.MessageBody]));
    for (const entry of out.Successful ?? []) {
      const body = entry.Id === undefined ? undefined : sent.get(entry.Id);
      if (entry.MD5OfMessageBody !== undefined && body !== undefined && entry.MD5OfMessageBody !== md5(body))
        throw checksumError(out.$metadata);
    }
    return out;
  }

  async getQueueAttributes(input: { QueueUrl: string; AttributeNames: string[] }) {
    return this.json.call<{ Attributes?: Record<string, string> }>('GetQueueAttributes', input);
  }

  async startMessageMoveTask(input: { SourceArn: string; DestinationArn?: string }) {
    return this.json.call<{ TaskHandle?: string }>('StartMessageMoveTask', input);
  }
}

const checksumError = (metadata: WithMetadata<object>['$metadata']) =>
  new AwsServiceError('InvalidChecksumError', 'the MD5 SQS computed of a message body is not the body sent', {
    ...metadata,
    httpStatusCode: 500,
  });
