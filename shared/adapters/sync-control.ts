import * as z from 'zod';
import type { SourceState, SyncControl } from '../admin/ports';
import type { SyncSource } from '../topology';
import { eventBridgeClient as eventBridge } from './clients/eventbridge';
import { lambdaClient as lambda } from './clients/lambda';

/** How each sync source is switched: its event source mapping, or its schedule's rule. */
export const syncTargetsSchema = z.record(
  z.enum(['files', 'messages', 'reconcile']),
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('mapping'), id: z.string().min(1) }),
    z.object({ type: z.literal('rule'), name: z.string().min(1) }),
  ]),
);
export type SyncTargets = z.infer<typeof syncTargetsSchema>;

/**
 * Start/stop sync through the AWS control plane: disabling a mapping leaves its messages waiting in the queue,
 * disabling the rule pauses reconcile. The local stack answers the same two APIs for its pollers and timer.
 */
export class AwsSyncControl implements SyncControl {
  constructor(private readonly targets: SyncTargets) {}

  async setEnabled(source: SyncSource, enabled: boolean): Promise<SourceState> {
    const target = this.targets[source];
    if (!target) throw new Error(`no sync target configured for ${source}`);
    if (target.type === 'mapping') {
      const out = await lambda.updateEventSourceMapping({ UUID: target.id, Enabled: enabled });
      return mappingState(out.State);
    }
    await (enabled ? eventBridge.enableRule({ Name: target.name }) : eventBridge.disableRule({ Name: target.name }));
    return enabled ? 'running' : 'stopped';
  }

  async state(source: SyncSource): Promise<SourceState> {
    const target = this.targets[source];
    if (!target) throw new Error(`no sync target configured for ${source}`);
    if (target.type === 'mapping') return mappingState((await lambda.getEventSourceMapping({ UUID: target.id })).State);
    return (await eventBridge.describeRule({ Name: target.name })).State === 'ENABLED' ? 'running' : 'stopped';
  }
}

function mappingState(state: string | undefined): SourceState {
  switch (state) {
    case 'Enabled':
      return 'running';
    case 'Enabling':
    case 'Creating':
      return 'starting';
    case 'Disabling':
      return 'stopping';
    default:
      return 'stopped';
  }
}
