/**
 * The retry loop of optimistic concurrency: read, plan, write guarded by a version; when someone else wrote
 * first, wait a jittered backoff and try again, up to a bound.
 */

/** One attempt: done with a value, or to be tried again (after a backoff unless `backoff` is false). */
export type Attempt<T> = { kind: 'done'; value: T } | { kind: 'retry'; reason: string; backoff?: boolean };

export type RetryOutcome<T> = { kind: 'done'; value: T } | { kind: 'gave_up'; attempts: number; reason: string };

export interface RetryOptions {
  /** At most this many attempts (8 by default). */
  maxAttempts?: number;
  /** Waits before a retry; injected so tests need not sleep. */
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_MAX_ATTEMPTS = 8;

/** Runs `attempt` (numbered from 1) until it is done or the attempts run out; the caller decides what giving up means. */
export async function retryOptimistically<T>(
  attempt: (n: number) => Promise<Attempt<T>>,
  options: RetryOptions = {},
): Promise<RetryOutcome<T>> {
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const sleep = options.sleep ?? defaultSleep;
  for (let n = 1; ; n++) {
    const result = await attempt(n);
    if (result.kind === 'done') return result;
    if (n >= maxAttempts) return { kind: 'gave_up', attempts: n, reason: result.reason };
    if (result.backoff !== false) await sleep(backoffMs(n));
  }
}

/** Full jitter: a random wait up to an exponentially growing cap (AWS Architecture Blog, "Exponential Backoff And Jitter"). */
export function backoffMs(attempt: number, baseMs = 20, capMs = 2_000): number {
  return Math.floor(Math.random() * Math.min(capMs, baseMs * 2 ** attempt));
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
