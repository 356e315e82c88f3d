import { AwsQueryClient } from './protocols';
import { type AwsClientOptions, xmlText } from './signed-http';

export interface PublishInput {
  TopicArn?: string;
  TargetArn?: string;
  Message: string;
  Subject?: string;
  MessageAttributes?: Record<string, { DataType: 'String'; StringValue: string }>;
}

/**
 * SNS's modeled errors, by their Query error code: the SDK names an error by its exception (`EndpointDisabled` is
 * an EndpointDisabledException); a code not listed keeps its own name, as in the SDK.
 */
const ERROR_NAMES: Readonly<Record<string, string>> = {
  ...Object.fromEntries(
    [
      'AuthorizationError',
      'BatchEntryIdsNotDistinct',
      'BatchRequestTooLong',
      'ConcurrentAccess',
      'EmptyBatchRequest',
      'EndpointDisabled',
      'FilterPolicyLimitExceeded',
      'InternalError',
      'InvalidBatchEntryId',
      'InvalidParameter',
      'InvalidSecurity',
      'InvalidState',
      'KMSAccessDenied',
      'KMSDisabled',
      'KMSInvalidState',
      'KMSNotFound',
      'KMSThrottling',
      'NotFound',
      'OptedOut',
      'PlatformApplicationDisabled',
      'ReplayLimitExceeded',
      'ResourceNotFound',
      'StaleTag',
      'SubscriptionLimitExceeded',
      'TagLimitExceeded',
      'TagPolicy',
      'Throttled',
      'TooManyEntriesInBatchRequest',
      'TopicLimitExceeded',
      'UserError',
    ].map((code) => [code, `${code}Exception`]),
  ),
  ParameterValueInvalid: 'InvalidParameterValueException',
};

/** The SNS operations the functions use, over the Query protocol (as the SDK speaks it). */
export class SnsClient {
  private readonly query: AwsQueryClient;

  constructor(options: AwsClientOptions = {}) {
    this.query = new AwsQueryClient(
      { signingName: 'sns', endpointVariable: 'SNS', endpointPrefix: 'sns', version: '2010-03-31', errorNames: ERROR_NAMES },
      options,
    );
  }

  async publish(input: PublishInput) {
    const params: Record<string, string | undefined> = {
      TopicArn: input.TopicArn,
      TargetArn: input.TargetArn,
      Message: input.Message,
      Subject: input.Subject,
    };
    Object.entries(input.MessageAttributes ?? {}).forEach(([name, value], i) => {
      const entry = `MessageAttributes.entry.${i + 1}`;
      params[`${entry}.Name`] = name;
      params[`${entry}.Value.DataType`] = value.DataType;
      params[`${entry}.Value.StringValue`] = value.StringValue;
    });
    const { xml, $metadata } = await this.query.call('Publish', params);
    return { MessageId: xmlText(xml, 'MessageId'), $metadata };
  }

  async getTopicAttributes(input: { TopicArn: string }) {
    const { $metadata } = await this.query.call('GetTopicAttributes', { TopicArn: input.TopicArn });
    return { $metadata };
  }
}
