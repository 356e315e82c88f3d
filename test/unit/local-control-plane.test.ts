import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ControlledMapping, startControlPlane } from '../../local/control-plane';
import type { Mapping } from '../../local/event-source-mappings';

/** A mapping whose stop takes a while, as a poller finishing its batch does. */
function slowMapping(name: string): Mapping & { starts: number } {
  let running = false;
  return {
    name,
    starts: 0,
    get running() {
      return running;
    },
    start() {
      running = true;
      this.starts++;
    },
    async stop() {
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 15));
      running = false;
    },
  };
}

const controlledSources = (): ControlledMapping[] => [
  { id: 'hi-vis-ingestFile', kind: 'mapping', mapping: slowMapping('ingestFile') },
  { id: 'hi-vis-ingestMessage', kind: 'mapping', mapping: slowMapping('ingestMessage') },
  { id: 'hi-vis-reconcile', kind: 'rule', mapping: slowMapping('reconcile') },
];

const stateDir = () => mkdtempSync(path.join(tmpdir(), 'hivis-control-'));

const setMapping = (url: string, id: string, enabled: boolean) =>
  fetch(`${url}/2015-03-31/event-source-mappings/${id}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ Enabled: enabled }),
  });

describe('the local control plane', () => {
  test('concurrent stops and starts are applied one at a time, in order; the state file is always whole and says the last', async () => {
    const dir = stateDir();
    const stateFile = path.join(dir, 'sync-state.json');
    const controlled = controlledSources();
    const plane = await startControlPlane({ port: 0, controlled, stateFile, log: () => undefined });
    try {
      plane.applySavedState();
      const changes = Array.from({ length: 30 }, (_, i) => setMapping(plane.url, controlled[i % 2]!.id, i % 3 === 0));
      const reads: string[] = [];
      const reader = setInterval(() => reads.push(readFileSyncOrEmpty(stateFile)), 1);
      const statuses = (await Promise.all(changes)).map((r) => r.status);
      clearInterval(reader);

      expect(new Set(statuses)).toEqual(new Set([202]));
      // Whoever read the file mid-way saw a whole list every time.
      for (const text of reads.filter(Boolean)) expect(Array.isArray(JSON.parse(text))).toBe(true);
      // The last change for ingestFile was i = 28 (stop), for ingestMessage i = 29 (stop).
      expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toEqual(['hi-vis-ingestFile', 'hi-vis-ingestMessage']);
      expect(controlled.map((c) => c.mapping.running)).toEqual([false, false, true]);
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    } finally {
      await plane.close();
    }
  });

  test('a damaged state file: one line, and every sync source starts stopped', async () => {
    for (const damage of ['["hi-vis-ingestFile"', '{"stopped": true}', '\u0000\u0000', '[1, 2]']) {
      const stateFile = path.join(stateDir(), 'sync-state.json');
      writeFileSync(stateFile, damage);
      const lines: string[] = [];
      const controlled = controlledSources();
      const plane = await startControlPlane({ port: 0, controlled, stateFile, log: (l) => lines.push(l) });
      try {
        plane.applySavedState();
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(/sync starts stopped; start it with POST \/admin\/sync\/start/);
        expect(controlled.map((c) => c.mapping.running)).toEqual([false, false, false]);
        expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toHaveLength(3);
      } finally {
        await plane.close();
      }
    }
  });

  test('a state file that cannot be read (a folder in its place) is reported the same way', async () => {
    const stateFile = path.join(stateDir(), 'sync-state.json');
    mkdirSync(stateFile);
    const lines: string[] = [];
    const controlled = controlledSources();
    const plane = await startControlPlane({ port: 0, controlled, stateFile, log: (l) => lines.push(l) });
    try {
      plane.applySavedState();
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/cannot be read \(EISDIR\).*sync starts stopped; start it with POST \/admin\/sync\/start/);
      expect(controlled.map((c) => c.mapping.running)).toEqual([false, false, false]);
    } finally {
      await plane.close();
    }
  });

  test('a missing state file is a first start: every source runs', async () => {
    const controlled = controlledSources();
    const lines: string[] = [];
    const plane = await startControlPlane({
      port: 0,
      controlled,
      stateFile: path.join(stateDir(), 'sync-state.json'),
      log: (l) => lines.push(l),
    });
    try {
      plane.applySavedState();
      expect(lines).toEqual([]);
      expect(controlled.map((c) => c.mapping.running)).toEqual([true, true, true]);
    } finally {
      await plane.close();
    }
  });

  test('malformed requests are answered 4xx, never end the server', async () => {
    const plane = await startControlPlane({
      port: 0,
      controlled: controlledSources(),
      stateFile: path.join(stateDir(), 'sync-state.json'),
      log: () => undefined,
    });
    try {
      const bad = await fetch(`${plane.url}/2015-03-31/event-source-mappings/hi-vis-ingestFile`, { method: 'PUT', body: '{ not json' });
      expect(bad.status).toBe(400);
      const rule = await fetch(plane.url, { method: 'POST', headers: { 'x-amz-target': 'AWSEvents.DisableRule' }, body: '[]' });
      expect(rule.status).toBe(400);
      const encoded = await fetch(`${plane.url}/2015-03-31/event-source-mappings/%E0%A4%A`);
      expect(encoded.status).toBe(404);
      const ok = await fetch(`${plane.url}/2015-03-31/event-source-mappings/hi-vis-ingestFile`);
      expect(ok.status).toBe(200);
    } finally {
      await plane.close();
    }
  });
});

function readFileSyncOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
