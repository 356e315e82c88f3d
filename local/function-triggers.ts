import path from 'node:path';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  DynamoDBBatchResponse,
  DynamoDBStreamEvent,
  ScheduledEvent,
  SQSBatchResponse,
  SQSEvent,
} from 'aws-lambda';
import {
  FUNCTIONS,
  type FunctionName,
  type FunctionSpec,
  type HttpApiName,
  QUEUES,
  type QueueName,
  SYNC_SOURCES,
} from '../shared/topology';
import { type ControlledMapping, startControlPlane } from './control-plane';
import { REGION } from './emulators';
import { type Mapping, scheduleMapping, sqsMapping } from './event-source-mappings';
import type { HttpRoute } from './http-gateway';
import type { LocalFunction } from './lambda-runtime';
import { localFunction } from './lambda-runtime';
import type { LocalQueue } from './sqs-emulator';
import { streamMapping } from './stream-poller';
import type { Teardown } from './teardown';

/** The local stand-in for a mapping's UUID or a rule's name. */
export const localMappingId = (fn: FunctionName) => `hi-vis-${fn}`;

/** What "Start/Stop sync" switches, named as the admin function finds it in SYNC_TARGETS. */
export const localSyncTargets = () =>
  Object.fromEntries(
    Object.entries(SYNC_SOURCES).map(([source, fn]) => [
      source,
      FUNCTIONS[fn].trigger.type === 'schedule'
        ? { type: 'rule' as const, name: localMappingId(fn) }
        : { type: 'mapping' as const, id: localMappingId(fn) },
    ]),
  );

export interface TriggerSources {
  queues: Record<QueueName, LocalQueue>;
  sqs: SQSClient;
  streamArn: string;
  streams: DynamoDBStreamsClient;
  /** Where the stream pollers keep their checkpoints. */
  dataDir: string;
  /** Ends the long polls waiting on a queue at once (a stopping mapping's last poll). */
  releasePolls?(queueUrl: string): void;
  log(line: string): void;
}

export interface FunctionTriggers {
  /** Not started yet: see startTriggers. */
  mappings: Mapping[];
  schedules: Map<FunctionName, ReturnType<typeof scheduleMapping>>;
  /** For the HTTP gateways, each route with the API it belongs to. */
  routes: (HttpRoute & { api: HttpApiName })[];
}

/**
 * Every function of the topology with its trigger, as the stack wires them (infra/constructs/triggers.ts): one loop
 * over FUNCTIONS, one case per kind of trigger. Each function is a pool of separately loaded handler instances,
 * one invocation at a time each.
 */
export function wireFunctions(sources: TriggerSources): FunctionTriggers {
  const wired: FunctionTriggers = { mappings: [], schedules: new Map(), routes: [] };
  const onError = (name: string) => (err: Error) => sources.log(`${name}: ${err.message}`);
  // The stream pollers read a quiet stream seldom; a function that may have written to the table wakes them, so
  // what it wrote reaches stats and notify at once.
  const streams: ReturnType<typeof streamMapping>[] = [];
  const wakingStreams = <E, R>(fn: LocalFunction<E, R>): LocalFunction<E, R> => ({
    name: fn.name,
    invoke: (event) =>
      fn.invoke(event).finally(() => {
        for (const stream of streams) stream.nudge();
      }),
  });
  for (const [name, spec] of Object.entries(FUNCTIONS) as [FunctionName, FunctionSpec][]) {
    const trigger = spec.trigger;
    if (trigger.type === 'sqs') {
      const queue = sources.queues[trigger.queue];
      wired.mappings.push(
        sqsMapping({
          name,
          spec: { ...spec, trigger },
          queue: { url: queue.url, arn: queue.arn, spec: QUEUES[trigger.queue] },
          sqs: sources.sqs,
          region: REGION,
          fn: wakingStreams(localFunction<SQSEvent, SQSBatchResponse | undefined>(name, spec, REGION)),
          releasePolls: () => sources.releasePolls?.(queue.url),
          onError: onError(name),
        }),
      );
    } else if (trigger.type === 'schedule') {
      const schedule = scheduleMapping({
        name,
        spec: { ...spec, trigger },
        region: REGION,
        fn: wakingStreams(localFunction<ScheduledEvent, unknown>(name, spec, REGION)),
        onError: onError(name),
      });
      wired.schedules.set(name, schedule);
      wired.mappings.push(schedule);
    } else if (trigger.type === 'stream') {
      const stream = streamMapping({
        name,
        spec: { ...spec, trigger },
        streamArn: sources.streamArn,
        streams: sources.streams,
        region: REGION,
        fn: localFunction<DynamoDBStreamEvent, DynamoDBBatchResponse | undefined>(name, spec, REGION),
        checkpointFile: path.join(sources.dataDir, `stream-${name}.json`),
        onError: onError(name),
      });
      streams.push(stream);
      wired.mappings.push(stream);
    } else {
      const fn = wakingStreams(localFunction<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>(name, spec, REGION));
      for (const routeKey of trigger.routes) wired.routes.push({ api: trigger.api, routeKey, fn });
    }
  }
  return wired;
}

/**
 * Starts the triggers: the sync sources as they were left (a stopped sync stays stopped), under the control plane
 * that switches them; the rest always run.
 */
export async function startTriggers(
  { mappings }: FunctionTriggers,
  options: { controlPort: number; dataDir: string; log(line: string): void },
  teardown: Teardown,
) {
  const controlled: ControlledMapping[] = (Object.values(SYNC_SOURCES) as FunctionName[]).map((fn) => ({
    id: localMappingId(fn),
    kind: FUNCTIONS[fn].trigger.type === 'schedule' ? 'rule' : 'mapping',
    mapping: mappings.find((m) => m.name === fn)!,
  }));
  const controlPlane = await startControlPlane({
    port: options.controlPort,
    controlled,
    stateFile: path.join(options.dataDir, 'sync-state.json'),
    log: options.log,
  });
  teardown.add(() => controlPlane.close());
  controlPlane.applySavedState();
  for (const mapping of mappings) if (!controlled.some((c) => c.mapping === mapping)) mapping.start();
  teardown.add(async () => {
    await Promise.all(mappings.map((m) => m.stop({ graceful: false })));
  });
}
