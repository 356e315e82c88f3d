import type { ItemChange } from '../domain/committed-changes';
import { batchDeltas, type StatsDelta } from '../domain/stats';

export interface StatsLedger {
  /** Adds a batch's deltas once: a batch applied before (same id) changes nothing. */
  apply(batchId: string, deltas: StatsDelta[]): Promise<'applied' | 'already_applied'>;
}

export interface StatsOutcome {
  deltas: number;
  outcome: 'applied' | 'already_applied';
}

/**
 * Adds what one stream batch changed to the statistics. The batch id is its identity across deliveries: the stream
 * delivers the same records again after a failure, and they must count once.
 */
export async function recordStats(batchId: string, changes: ItemChange[], ledger: StatsLedger): Promise<StatsOutcome> {
  const deltas = batchDeltas(changes);
  const outcome = deltas.length > 0 ? await ledger.apply(batchId, deltas) : 'applied';
  return { deltas: deltas.length, outcome };
}
