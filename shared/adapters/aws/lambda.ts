import { RestJsonClient } from './protocols';
import { type AwsClientOptions, escapeUri } from './signed-http';

interface EventSourceMapping {
  UUID?: string;
  State?: string;
  StateTransitionReason?: string;
}

/** The two Lambda control-plane operations sync control uses (REST JSON). */
export class LambdaClient {
  private readonly rest: RestJsonClient;

  constructor(options: AwsClientOptions = {}) {
    this.rest = new RestJsonClient({ signingName: 'lambda', endpointVariable: 'LAMBDA', endpointPrefix: 'lambda' }, options);
  }

  async getEventSourceMapping(input: { UUID: string }) {
    return this.rest.call<EventSourceMapping>('GET', `/2015-03-31/event-source-mappings/${escapeUri(input.UUID)}`);
  }

  async updateEventSourceMapping(input: { UUID: string; Enabled: boolean }) {
    return this.rest.call<EventSourceMapping>('PUT', `/2015-03-31/event-source-mappings/${escapeUri(input.UUID)}`, {
      Enabled: input.Enabled,
    });
  }
}
