import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { FunctionSpec } from '../shared/topology';

// Handlers are middy-wrapped functions of (event, context); the local runtime only needs that call shape.
export type LambdaHandler<E = unknown, R = unknown> = (event: E, context: Context) => Promise<R>;

/** Imports a function's handler exactly as Lambda would load it, from the entry the topology names. */
export async function loadHandler<E, R>(spec: FunctionSpec): Promise<LambdaHandler<E, R>> {
  const module = (await import(`../${spec.entry.replace(/\.ts$/, '')}`)) as { handler: LambdaHandler<E, R> };
  return module.handler;
}

/** A Lambda context whose remaining time counts down from the function's configured timeout. */
export function lambdaContext(name: string, spec: FunctionSpec, region: string): Context {
  const deadline = Date.now() + spec.timeoutSeconds * 1_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `hi-vis-${name}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:hi-vis-${name}`,
    memoryLimitInMB: String(spec.memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/hi-vis-${name}`,
    logStreamName: `local/[$LATEST]${randomUUID().replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Which function the current asynchronous work belongs to, so measurements (the benchmark) can attribute it. */
export const currentInvocation = new AsyncLocalStorage<{ functionName: string }>();

/** Invokes a handler the way the Lambda service does, marking everything it does as that function's work. */
export function invoke<E, R>(name: string, handler: LambdaHandler<E, R>, event: E, context: Context): Promise<R> {
  return currentInvocation.run({ functionName: name }, () => handler(event, context));
}
