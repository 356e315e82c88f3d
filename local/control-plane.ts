import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Mapping } from './event-source-mappings';
import { listenOnLoopback } from './servers';

export interface ControlledMapping {
  /** The mapping's UUID (Lambda) or the rule's name (EventBridge). */
  id: string;
  kind: 'mapping' | 'rule';
  mapping: Mapping;
}

/**
 * The two control-plane calls "Start/Stop sync" makes, answered for the local pollers and timer:
 * Lambda's Get/UpdateEventSourceMapping (REST JSON) and EventBridge's Describe/Enable/DisableRule (JSON 1.1).
 * The admin function uses the same SDK calls as in the cloud. Stopped sources stay stopped across restarts.
 */
export async function startControlPlane(port: number, controlled: ControlledMapping[], stateFile: string): Promise<{ url: string; close(): Promise<void>; applySavedState(): void }> {
  const disabled = new Set<string>(existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as string[]) : []);
  const byId = new Map(controlled.map((c) => [c.id, c]));

  async function setEnabled(target: ControlledMapping, enabled: boolean) {
    if (enabled) {
      disabled.delete(target.id);
      target.mapping.start();
    } else {
      disabled.add(target.id);
      // Like a disabled mapping, in-flight batches finish; nothing new is received.
      await target.mapping.stop();
    }
    await writeFile(stateFile, JSON.stringify([...disabled]));
  }

  const server = createServer((req, res) => void handle(req, res).catch((err: Error) => reply(res, 500, { message: err.message })));

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const body = await readJson(req);
    const mappingPath = /^\/2015-03-31\/event-source-mappings\/([^/]+)\/?$/.exec(req.url ?? '');
    if (mappingPath) {
      const target = byId.get(decodeURIComponent(mappingPath[1]!));
      if (!target || target.kind !== 'mapping') return reply(res, 404, { Type: 'User', message: 'The resource you requested does not exist.' }, { 'x-amzn-errortype': 'ResourceNotFoundException' });
      if (req.method === 'PUT' && typeof body.Enabled === 'boolean') await setEnabled(target, body.Enabled);
      return reply(res, req.method === 'PUT' ? 202 : 200, { UUID: target.id, State: target.mapping.running ? 'Enabled' : 'Disabled', LastModified: Date.now() / 1000 });
    }
    const action = String(req.headers['x-amz-target'] ?? '').replace(/^AWSEvents\./, '');
    if (['DescribeRule', 'EnableRule', 'DisableRule'].includes(action)) {
      const target = byId.get(String(body.Name));
      if (!target || target.kind !== 'rule') return reply(res, 400, { __type: 'ResourceNotFoundException', message: `Rule ${body.Name} does not exist.` }, {}, 'application/x-amz-json-1.1');
      if (action !== 'DescribeRule') await setEnabled(target, action === 'EnableRule');
      return reply(res, 200, action === 'DescribeRule' ? { Name: target.id, State: target.mapping.running ? 'ENABLED' : 'DISABLED' } : {}, {}, 'application/x-amz-json-1.1');
    }
    return reply(res, 404, { message: `the local control plane does not answer ${req.method} ${req.url} ${action}` });
  }

  const listening = await listenOnLoopback(server, port, 'control plane');
  return {
    ...listening,
    /** Starts every source that was not stopped when the stack last ran. */
    applySavedState() {
      for (const target of controlled) if (!disabled.has(target.id)) target.mapping.start();
    },
  };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, contentType = 'application/json') {
  res.writeHead(status, { 'content-type': contentType, ...headers });
  res.end(JSON.stringify(body));
}
