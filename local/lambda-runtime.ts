import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Context } from 'aws-lambda';
import type { FunctionSpec, Trigger } from '../shared/topology';

// Handlers are middy-wrapped functions of (event, context); the local runtime only needs that call shape.
export type LambdaHandler<E = unknown, R = unknown> = (event: E, context: Context) => Promise<R>;

const ROOT = path.join(__dirname, '..');

/** The admin API's local concurrency: requests beyond it wait for a free instance. */
const GATEWAY_CONCURRENCY = 8;

/**
 * How many invocations of a function can overlap on the local stack: one per poller for a queue, the
 * gateway's concurrency for HTTP, one for a stream (its poller invokes in order), two for a schedule (the
 * timer and a run asked for by hand).
 */
export function localConcurrency(trigger: Trigger): number {
  switch (trigger.type) {
    case 'sqs':
      return trigger.localPollers;
    case 'http':
      return GATEWAY_CONCURRENCY;
    case 'stream':
      return 1;
    case 'schedule':
      return 2;
  }
}

/**
 * Evaluates a handler module afresh, as a new Lambda execution environment would: its module scope (a batch
 * processor, a middy instance, counters) belongs to this instance alone. Only the handler's own file is
 * evaluated again; the modules it requires (SDK clients, the wiring's containers) come from the cache and are
 * shared, as they are by the invocations of one environment.
 */
export function loadHandlerInstance<E, R>(file: string): LambdaHandler<E, R> {
  const requireFrom = createRequire(file);
  const resolved = requireFrom.resolve(file);
  delete requireFrom.cache[resolved];
  try {
    const module = requireFrom(resolved) as { handler?: LambdaHandler<E, R> };
    if (typeof module.handler !== 'function') throw new Error(`${file} exports no handler function`);
    return module.handler;
  } finally {
    // Never left in the cache, so the next instance is evaluated again and nothing else keeps this one alive.
    delete requireFrom.cache[resolved];
  }
}

export interface LambdaContextOptions {
  functionName: string;
  /** The remaining time counts down from this, starting now. */
  timeoutMs: number;
  memoryMb: number;
  region: string;
  accountId?: string;
}

/** A Lambda context shaped as the service delivers it, whose remaining time counts down from the function's timeout. */
export function lambdaContext(options: LambdaContextOptions): Context {
  const { functionName, region, accountId = '000000000000' } = options;
  const deadline = Date.now() + options.timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
    memoryLimitInMB: String(options.memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${randomUUID().replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Which function the current asynchronous work belongs to, so measurements (the benchmark) can attribute it. */
export const currentInvocation = new AsyncLocalStorage<{ functionName: string }>();

/** What invokes a local function: the event source mappings, the schedule timer and the HTTP gateway. */
export interface LocalFunction<E, R> {
  readonly name: string;
  invoke(event: E): Promise<R>;
}

export interface HandlerPoolOptions<E, R> {
  name: string;
  /** Creates one handler instance (one execution environment). */
  load(): LambdaHandler<E, R>;
  /** At most this many instances; an invocation beyond them waits for one to be free. */
  concurrency: number;
  /** The context each invocation receives, made when it starts running (its deadline counts from then). */
  contextFor(): Context;
}

export interface HandlerPool<E, R> extends LocalFunction<E, R> {
  /** Instances created so far. */
  readonly instances: number;
  /** Invocations running now. */
  readonly busy: number;
}

/**
 * Lambda's execution environments, emulated: each instance serves one invocation at a time; an invocation
 * takes a free instance (the most recently used, so warm ones stay warm), or a new one while fewer than
 * `concurrency` exist, or waits its turn.
 */
export function handlerPool<E, R>(options: HandlerPoolOptions<E, R>): HandlerPool<E, R> {
  const free: LambdaHandler<E, R>[] = [];
  const waiting: ((instance: LambdaHandler<E, R>) => void)[] = [];
  let instances = 0;
  let busy = 0;

  const acquire = async (): Promise<LambdaHandler<E, R>> => {
    const warm = free.pop();
    if (warm) return warm;
    if (instances < options.concurrency) {
      instances++;
      try {
        return options.load();
      } catch (err) {
        instances--;
        throw err;
      }
    }
    return new Promise((resolve) => waiting.push(resolve));
  };
  const release = (instance: LambdaHandler<E, R>) => {
    const next = waiting.shift();
    if (next) next(instance);
    else free.push(instance);
  };

  // The first instance is made at start-up, so a handler that cannot load stops the stack from starting.
  free.push(options.load());
  instances = 1;

  return {
    name: options.name,
    get instances() {
      return instances;
    },
    get busy() {
      return busy;
    },
    async invoke(event: E): Promise<R> {
      const instance = await acquire();
      busy++;
      try {
        return await currentInvocation.run({ functionName: options.name }, () => instance(event, options.contextFor()));
      } finally {
        busy--;
        release(instance);
      }
    },
  };
}

/** A function of the topology, as the local runtime runs it: a pool of its handler, loaded from its entry. */
export function localFunction<E, R>(name: string, spec: FunctionSpec, region: string): HandlerPool<E, R> {
  const file = path.join(ROOT, spec.entry);
  return handlerPool<E, R>({
    name,
    load: () => loadHandlerInstance<E, R>(file),
    concurrency: localConcurrency(spec.trigger),
    contextFor: () =>
      lambdaContext({ functionName: `hi-vis-${name}`, timeoutMs: spec.timeoutSeconds * 1_000, memoryMb: spec.memoryMb, region }),
  });
}
