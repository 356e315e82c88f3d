import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Mapping } from './event-source-mappings';
import { answerAndClose, answerClientError, readBody } from './http-input';
import { listenOnLoopback } from './servers';
import { writeWholeFile } from './whole-file';

export interface ControlledMapping {
  /** The mapping's UUID (Lambda) or the rule's name (EventBridge). */
  id: string;
  kind: 'mapping' | 'rule';
  mapping: Mapping;
}

export interface ControlPlaneOptions {
  port: number;
  controlled: ControlledMapping[];
  /** Which sources are stopped, kept across restarts. */
  stateFile: string;
  log(line: string): void;
}

export interface ControlPlane {
  url: string;
  close(): Promise<void>;
  /** Starts every source that was not stopped when the stack last ran. */
  applySavedState(): void;
}

const MAX_REQUEST_BYTES = 64 * 1024;
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * The two control-plane calls "Start/Stop sync" makes, answered for the local pollers and timer:
 * Lambda's Get/UpdateEventSourceMapping (REST JSON) and EventBridge's Describe/Enable/DisableRule (JSON 1.1).
 * The admin function uses the same SDK calls as in the cloud. Stopped sources stay stopped across restarts.
 */
export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const { controlled, stateFile, log } = options;
  const byId = new Map(controlled.map((c) => [c.id, c]));
  const saved = readSyncState(stateFile, controlled);
  const disabled = saved.disabled;
  const changes = serialised();
  if (saved.problem) {
    // Replaced by the state it starts in, so the next start agrees; if even that fails, the line says so too.
    const replaced = await writeSyncState(stateFile, disabled).then(
      () => '',
      (err: NodeJS.ErrnoException) => ` (it cannot be replaced either: ${err.code ?? err.message})`,
    );
    log(`the sync state file ${stateFile} ${saved.problem}${replaced}: sync starts stopped; start it with POST /admin/sync/start`);
  }

  /** One change at a time, in the order asked: a stop and a start never interleave, and the file says the last. */
  const setEnabled = (target: ControlledMapping, enabled: boolean) =>
    changes(async () => {
      if (enabled) {
        disabled.delete(target.id);
        target.mapping.start();
      } else {
        disabled.add(target.id);
        // Like a disabled mapping, in-flight batches finish; nothing new is received.
        await target.mapping.stop();
      }
      await writeSyncState(stateFile, disabled);
    });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const read = await readBody(req, { maxBytes: MAX_REQUEST_BYTES, timeoutMs: REQUEST_TIMEOUT_MS });
    if (read.kind === 'aborted') return void res.destroy();
    if (read.kind !== 'complete')
      return answerAndClose(
        res,
        read.kind === 'too_large' ? 413 : 408,
        read.kind === 'too_large' ? 'request body too large' : 'request body not received in time',
      );
    const body = parseJsonObject(read.body);
    if (body === undefined)
      return reply(
        res,
        400,
        { __type: 'SerializationException', message: 'the request body is not a JSON object' },
        { 'x-amzn-errortype': 'SerializationException' },
      );
    const mappingPath = /^\/2015-03-31\/event-source-mappings\/([^/?]+)\/?(\?.*)?$/.exec(req.url ?? '');
    if (mappingPath) {
      const target = byId.get(mappingPath[1]!);
      if (target?.kind !== 'mapping')
        return reply(
          res,
          404,
          { Type: 'User', message: 'The resource you requested does not exist.' },
          { 'x-amzn-errortype': 'ResourceNotFoundException' },
        );
      if (req.method === 'PUT' && typeof body.Enabled === 'boolean') await setEnabled(target, body.Enabled);
      return reply(res, req.method === 'PUT' ? 202 : 200, {
        UUID: target.id,
        State: target.mapping.running ? 'Enabled' : 'Disabled',
        LastModified: Date.now() / 1000,
      });
    }
    const action = String(req.headers['x-amz-target'] ?? '').replace(/^AWSEvents\./, '');
    if (['DescribeRule', 'EnableRule', 'DisableRule'].includes(action)) {
      const target = typeof body.Name === 'string' ? byId.get(body.Name) : undefined;
      if (target?.kind !== 'rule')
        return reply(
          res,
          400,
          { __type: 'ResourceNotFoundException', message: `Rule ${String(body.Name).slice(0, 64)} does not exist.` },
          {},
          'application/x-amz-json-1.1',
        );
      if (action !== 'DescribeRule') await setEnabled(target, action === 'EnableRule');
      return reply(
        res,
        200,
        action === 'DescribeRule' ? { Name: target.id, State: target.mapping.running ? 'ENABLED' : 'DISABLED' } : {},
        {},
        'application/x-amz-json-1.1',
      );
    }
    return reply(res, 404, {
      message: 'the local control plane answers only Get/UpdateEventSourceMapping and Describe/Enable/DisableRule',
    });
  }

  const server = createServer({ headersTimeout: REQUEST_TIMEOUT_MS, requestTimeout: 2 * REQUEST_TIMEOUT_MS }, (req, res) => {
    handle(req, res).catch((err: Error) => {
      log(`control plane: ${req.method} request failed: ${err.message}`);
      answerAndClose(res, 500, 'Internal Server Error');
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => answerClientError(err, socket));

  const listening = await listenOnLoopback(server, options.port, 'control plane');
  return {
    ...listening,
    async close() {
      await listening.close();
      // A change already under way finishes writing the state file before the stack goes.
      await changes(async () => undefined);
    },
    applySavedState() {
      for (const target of controlled) if (!disabled.has(target.id)) target.mapping.start();
    },
  };
}

/**
 * The saved set of stopped sources. A missing file means none stopped (a first start); a file that cannot be
 * read or is not a list of names means every source starts stopped, and says why.
 */
function readSyncState(stateFile: string, controlled: ControlledMapping[]): { disabled: Set<string>; problem?: string } {
  let text: string;
  try {
    text = readFileSync(stateFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { disabled: new Set() };
    return {
      disabled: new Set(controlled.map((c) => c.id)),
      problem: `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    };
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed) && parsed.every((id) => typeof id === 'string')) return { disabled: new Set(parsed as string[]) };
  } catch {
    // Reported below, as any other unusable content.
  }
  return { disabled: new Set(controlled.map((c) => c.id)), problem: 'is not a JSON list of stopped sources (damaged?)' };
}

/** Written whole to a temporary file, then renamed over the old one: a reader sees the old state or the new, never half. */
async function writeSyncState(stateFile: string, disabled: Set<string>) {
  await writeWholeFile(stateFile, JSON.stringify([...disabled].sort()));
}

/** Runs the operations it is given one after another, in order; a failed one does not stop the next. */
function serialised() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(operation: () => Promise<T>): Promise<T> => {
    const run = tail.then(operation, operation);
    tail = run.catch(() => undefined);
    return run;
  };
}

function parseJsonObject(body: Buffer): Record<string, unknown> | undefined {
  const text = body.toString('utf8').trim();
  if (text === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, contentType = 'application/json') {
  res.writeHead(status, { 'content-type': contentType, ...headers });
  res.end(JSON.stringify(body));
}
