import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Context } from 'aws-lambda';
import { currentInvocation, handlerPool, type LambdaHandler, localConcurrency } from '../../local/lambda-runtime';
import { FUNCTIONS } from '../../shared/topology';

interface Probe {
  delayMs: number;
  probe?: () => void;
}
interface Answer {
  instanceId: number;
  invocations: number;
  overlapped: boolean;
  sharedLoads: number;
}

// A handler keeping per-invocation state at module scope, as a Powertools BatchProcessor does, next to a shared
// module that counts how many times the handler module was evaluated. Written as TypeScript and loaded the way
// `npm start` loads handlers (node --import tsx, CommonJS): jest has a module registry of its own, so the
// loading itself is checked in a child process.
const ROOT = path.join(__dirname, '..', '..');
const fixtureDir = mkdtempSync(path.join(tmpdir(), 'hivis-runtime-'));
writeFileSync(path.join(fixtureDir, 'shared.ts'), 'export const counters = { loads: 0 };\n');
writeFileSync(
  path.join(fixtureDir, 'handler.ts'),
  `import { counters } from './shared';
counters.loads += 1;
const instanceId = counters.loads;
let inFlight = 0;
let invocations = 0;
export const handler = async (event: { delayMs: number }) => {
  inFlight += 1;
  invocations += 1;
  const overlapped = inFlight > 1;
  await new Promise((resolve) => setTimeout(resolve, event.delayMs));
  inFlight -= 1;
  return { instanceId, invocations, overlapped, sharedLoads: counters.loads };
};
`,
);
writeFileSync(path.join(fixtureDir, 'broken.ts'), 'throw new Error("cannot initialise");\n');
writeFileSync(path.join(fixtureDir, 'nohandler.ts'), 'export const other = 1;\n');

/** Runs a script under `node --import tsx` from the repository root and returns what it printed as JSON. */
function runUnderTsx(script: string): unknown {
  const file = path.join(fixtureDir, `script-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(
    file,
    `import { handlerPool, loadHandlerInstance } from ${JSON.stringify(path.join(ROOT, 'local', 'lambda-runtime'))};\nconst dir = ${JSON.stringify(fixtureDir)};\nvoid handlerPool; void loadHandlerInstance;\n${script}`,
  );
  return JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 }));
}

describe('loading a handler instance (as npm start does)', () => {
  test('evaluates the handler module again each time: its module scope is its own, the modules it requires are shared', () => {
    const out = runUnderTsx(`
const first = loadHandlerInstance(dir + '/handler.ts');
const second = loadHandlerInstance(dir + '/handler.ts');
(async () => {
  const a1 = await first({ delayMs: 0 }, {});
  const a2 = await first({ delayMs: 0 }, {});
  const b1 = await second({ delayMs: 0 }, {});
  console.log(JSON.stringify({ a1, a2, b1, cached: Object.keys(require.cache).some((k) => k.endsWith('handler.ts')) }));
})();`) as Record<'a1' | 'a2' | 'b1', Answer> & { cached: boolean };

    expect(out.a1.instanceId).not.toBe(out.b1.instanceId);
    expect([out.a1.invocations, out.a2.invocations, out.b1.invocations]).toEqual([1, 2, 1]);
    // One shared module, which counted both evaluations of the handler.
    expect(out.b1.sharedLoads).toBe(2);
    expect(out.a2.sharedLoads).toBe(2);
    expect(out.cached).toBe(false);
  });

  test('two overlapping invocations through a pool run on two separately loaded instances, neither overlapping itself', () => {
    const out = runUnderTsx(`
const fn = handlerPool({ name: 'fixture', concurrency: 4, contextFor: () => ({}), load: () => loadHandlerInstance(dir + '/handler.ts') });
Promise.all([fn.invoke({ delayMs: 50 }), fn.invoke({ delayMs: 50 })]).then((answers) => console.log(JSON.stringify({ answers, instances: fn.instances })));`) as {
      answers: Answer[];
      instances: number;
    };

    expect(out.answers[0]!.instanceId).not.toBe(out.answers[1]!.instanceId);
    expect(out.answers.map((a) => a.overlapped)).toEqual([false, false]);
    expect(out.instances).toBe(2);
  });

  test('a module that fails to initialise, or exports no handler, is an error at load', () => {
    const out = runUnderTsx(`
const attempt = (file: string) => { try { loadHandlerInstance(dir + file); return 'loaded'; } catch (err) { return (err as Error).message; } };
console.log(JSON.stringify([attempt('/broken.ts'), attempt('/nohandler.ts')]));`) as string[];

    expect(out[0]).toBe('cannot initialise');
    expect(out[1]).toMatch(/exports no handler function/);
  });
});

/** In-process instances for the pool's own behaviour: each closure is one instance with its own state. */
let instanceIds = 0;
const closureInstance = (): LambdaHandler<Probe, Answer> => {
  const instanceId = ++instanceIds;
  let inFlight = 0;
  let invocations = 0;
  return async (event) => {
    inFlight += 1;
    invocations += 1;
    const overlapped = inFlight > 1;
    event.probe?.();
    await new Promise((resolve) => setTimeout(resolve, event.delayMs));
    inFlight -= 1;
    return { instanceId, invocations, overlapped, sharedLoads: 0 };
  };
};

const context = {} as Context;
const pool = (concurrency: number) => {
  let loads = 0;
  const created = handlerPool<Probe, Answer>({
    name: 'fixture',
    concurrency,
    contextFor: () => context,
    load: () => {
      loads++;
      return closureInstance();
    },
  });
  return { pool: created, loads: () => loads };
};

describe('a pool of handler instances', () => {
  test('two overlapping invocations of one function run on different instances', async () => {
    const { pool: fn } = pool(2);
    const [a, b] = await Promise.all([fn.invoke({ delayMs: 50 }), fn.invoke({ delayMs: 50 })]);

    expect(a!.instanceId).not.toBe(b!.instanceId);
    expect([a!.overlapped, b!.overlapped]).toEqual([false, false]);
    expect(fn.instances).toBe(2);
  });

  test('never more instances than its concurrency; an invocation beyond waits for a free one, and none ever overlaps another on one instance', async () => {
    const { pool: fn, loads } = pool(3);
    let maxBusy = 0;
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        fn.invoke({
          delayMs: 5 + (i % 4) * 5,
          probe: () => {
            maxBusy = Math.max(maxBusy, fn.busy);
          },
        }),
      ),
    );

    expect(answers.every((a) => !a.overlapped)).toBe(true);
    expect(new Set(answers.map((a) => a.instanceId)).size).toBe(3);
    expect(loads()).toBe(3);
    expect(maxBusy).toBe(3);
    // Every invocation counted once, on the instance that ran it.
    const perInstance = new Map<number, number>();
    for (const a of answers) perInstance.set(a.instanceId, Math.max(perInstance.get(a.instanceId) ?? 0, a.invocations));
    expect([...perInstance.values()].reduce((x, y) => x + y, 0)).toBe(12);
    expect(fn.busy).toBe(0);
  });

  test('sequential invocations reuse the warm instance', async () => {
    const { pool: fn, loads } = pool(4);
    const first = await fn.invoke({ delayMs: 0 });
    const second = await fn.invoke({ delayMs: 0 });

    expect(second.instanceId).toBe(first.instanceId);
    expect(second.invocations).toBe(2);
    expect(loads()).toBe(1);
  });

  test('a failed invocation frees its instance', async () => {
    const failing = handlerPool<Probe, never>({
      name: 'failing',
      concurrency: 1,
      contextFor: () => context,
      load: () => async () => Promise.reject(new Error('boom')),
    });

    await expect(failing.invoke({ delayMs: 0 })).rejects.toThrow('boom');
    await expect(failing.invoke({ delayMs: 0 })).rejects.toThrow('boom');
    expect(failing.busy).toBe(0);
  });

  test('everything an invocation does is attributed to its function', async () => {
    const { pool: fn } = pool(1);
    let seen: string | undefined;
    await fn.invoke({ delayMs: 0, probe: () => (seen = currentInvocation.getStore()?.functionName) });

    expect(seen).toBe('fixture');
    expect(currentInvocation.getStore()).toBeUndefined();
  });

  test('a handler that cannot load stops the pool from being made', () => {
    const load = () => {
      throw new Error('cannot initialise');
    };
    expect(() => handlerPool({ name: 'broken', concurrency: 2, contextFor: () => context, load })).toThrow('cannot initialise');
  });
});

test('local concurrency follows the topology: one instance per poller, one per stream, the gateway concurrency for HTTP', () => {
  expect(localConcurrency(FUNCTIONS.ingestMessage.trigger)).toBe(
    (FUNCTIONS.ingestMessage.trigger as { localPollers: number }).localPollers,
  );
  expect(localConcurrency(FUNCTIONS.stats.trigger)).toBe(1);
  expect(localConcurrency(FUNCTIONS.adminApi.trigger)).toBeGreaterThan(1);
});
