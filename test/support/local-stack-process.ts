import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { LocalEndpoints } from '../../local/local-stack';

const ROOT = path.join(__dirname, '..', '..');

export interface LocalStackProcess {
  endpoints: LocalEndpoints;
  process: ChildProcess;
  output(): string;
  /** Ctrl-C, as an operator would; resolves when the process has exited. */
  stop(): Promise<void>;
  /** An abrupt death: no cleanup runs. */
  kill(): Promise<void>;
}

/** Runs `npm start`'s entry point as its own process, with its state in `stateDir`, and waits until it is ready. */
export async function spawnLocalStack(stateDir: string, args: string[] = [], timeoutMs = 60_000): Promise<LocalStackProcess> {
  const endpointsFile = path.join(stateDir, 'local.json');
  rmSync(endpointsFile, { force: true });
  // One process, as `npm start` runs it (tsx as a loader, not as a wrapper process), so a kill reaches the stack itself.
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'local', 'start.ts'), '--state-dir', stateDir, '--quiet', ...args],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR' },
    },
  );
  let output = '';
  // The stack's whole output is also kept in its state folder, for reading after a failed run.
  const log = createWriteStream(path.join(stateDir, 'stack.log'), { flags: 'a' });
  const keep = (d: Buffer) => {
    output = (output + d).slice(-20_000);
    log.write(d);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(endpointsFile)) {
    if (child.exitCode !== null) throw new Error(`the local stack exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the local stack was not ready within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const endpoints = JSON.parse(readFileSync(endpointsFile, 'utf8')) as LocalEndpoints;
  return {
    endpoints,
    process: child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGINT');
      await exited;
    },
    kill: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
