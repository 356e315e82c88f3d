import { AwsJsonClient } from './protocols';
import type { AwsClientOptions } from './signed-http';

/** The EventBridge rule operations sync control uses (JSON 1.1). */
export class EventBridgeClient {
  private readonly json: AwsJsonClient;

  constructor(options: AwsClientOptions = {}) {
    this.json = new AwsJsonClient(
      { signingName: 'events', endpointVariable: 'EVENTBRIDGE', endpointPrefix: 'events', target: 'AWSEvents', version: '1.1' },
      options,
    );
  }

  async describeRule(input: { Name: string }) {
    return this.json.call<{ Name?: string; State?: string }>('DescribeRule', input);
  }

  async enableRule(input: { Name: string }) {
    return this.json.call<object>('EnableRule', input);
  }

  async disableRule(input: { Name: string }) {
    return this.json.call<object>('DisableRule', input);
  }
}
