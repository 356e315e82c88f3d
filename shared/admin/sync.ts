import type { SourceState } from '../adapters/sync-control';
import { SYNC_SOURCES, type SyncSource } from '../topology';

export interface SyncControl {
  setEnabled(source: SyncSource, enabled: boolean): Promise<SourceState>;
  state(source: SyncSource): Promise<SourceState>;
}

const SOURCES = Object.keys(SYNC_SOURCES) as SyncSource[];

export function overallState(states: Record<SyncSource, SourceState>): 'running' | 'stopped' | 'partial' {
  const values = Object.values(states);
  if (values.every((s) => s === 'running' || s === 'starting')) return 'running';
  if (values.every((s) => s === 'stopped' || s === 'stopping')) return 'stopped';
  return 'partial';
}

/** Start or stop every ingest path. Idempotent: asking for the state a source is already in changes nothing. */
export async function setSync(control: SyncControl, enabled: boolean) {
  const sources = Object.fromEntries(await Promise.all(SOURCES.map(async (s) => [s, await control.setEnabled(s, enabled)] as const))) as Record<SyncSource, SourceState>;
  return { state: overallState(sources), sources };
}

export async function syncStates(control: SyncControl) {
  const sources = Object.fromEntries(await Promise.all(SOURCES.map(async (s) => [s, await control.state(s)] as const))) as Record<SyncSource, SourceState>;
  return { state: overallState(sources), sources };
}
