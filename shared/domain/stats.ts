/**
 * Sales statistics, derived from committed changes (the table's stream): what each change adds to the
 * per-day, per-machine, per-product figures and to the review counts. Pure: no AWS here.
 */

import type { CommittedRedemption, CommittedSale, ItemChange } from './committed-changes';

export type { ItemChange } from './committed-changes';

export interface SalesFigures {
  sales: number;
  amountCents: number;
  points: number;
}

export interface ReviewCounts {
  awarded: number;
  points: number;
  reversed: number;
  unmatched: number;
  /** Unmatched sales nobody assigned within their retention, deleted by the table's TTL: the report of what expired. */
  unmatchedExpired: number;
  conflicts: number;
  failures: number;
  failuresResolved: number;
  /** Redemptions standing (made, less those reversed), and the points they took. */
  redemptions: number;
  pointsRedeemed: number;
  redemptionsReversed: number;
}

export type StatsDelta =
  | { kind: 'sales'; day: string; machineId: string; product: string; figures: SalesFigures }
  | { kind: 'counts'; day: string; counts: Partial<ReviewCounts> };

const dayOf = (iso: string) => iso.slice(0, 10);

export function statsDeltas(change: ItemChange): StatsDelta[] {
  const { old: before, new: after } = change;
  const item = after ?? before;
  if (!item) return [];
  switch (item.kind) {
    case 'sale':
      return saleDeltas(before?.kind === 'sale' ? before : undefined, after?.kind === 'sale' ? after : undefined);
    case 'conflict':
      return !before && after?.kind === 'conflict' ? [{ kind: 'counts', day: dayOf(after.detectedAt), counts: { conflicts: 1 } }] : [];
    case 'failure': {
      if (after?.kind !== 'failure') return [];
      if (!before) return [{ kind: 'counts', day: dayOf(after.firstSeenAt), counts: { failures: 1 } }];
      if (before.kind === 'failure' && before.status === 'open' && after.status === 'resolved')
        return [{ kind: 'counts', day: dayOf(after.resolvedAt ?? ''), counts: { failuresResolved: 1 } }];
      return [];
    }
    case 'redemption':
      return redemptionDeltas(before?.kind === 'redemption' ? before : undefined, after?.kind === 'redemption' ? after : undefined);
  }
}

/**
 * A redemption counts on the day it was made, from when it is issued until it is reversed. A copy moved to an erased
 * customer's pseudonym counted under the customer already, and the original's deletion is not followed.
 */
function redemptionDeltas(before: CommittedRedemption | undefined, after: CommittedRedemption | undefined): StatsDelta[] {
  if (!after) return [];
  if (!before && after.status === 'issued' && !after.pseudonymous)
    return [{ kind: 'counts', day: dayOf(after.createdAt), counts: { redemptions: 1, pointsRedeemed: after.points } }];
  if (before?.status === 'issued' && after.status === 'reversed')
    return [
      { kind: 'counts', day: dayOf(before.createdAt), counts: { redemptions: -1, pointsRedeemed: -before.points, redemptionsReversed: 1 } },
    ];
  return [];
}

function saleDeltas(before: CommittedSale | undefined, after: CommittedSale | undefined): StatsDelta[] {
  const was = before?.status;
  const is = after?.status;
  if (was === is) return [];
  const sale = (after ?? before)!;
  const day = dayOf(sale.date);
  const figures = (sign: 1 | -1, s: CommittedSale & { points: number }): StatsDelta => ({
    kind: 'sales',
    day,
    machineId: s.machineId,
    product: s.product,
    figures: { sales: sign, amountCents: sign * s.amountCents, points: sign * s.points },
  });
  const deltas: StatsDelta[] = [];
  // Only the TTL deletes a sale: an unmatched one gone is one that expired unassigned.
  if (was === 'unmatched') deltas.push({ kind: 'counts', day, counts: after ? { unmatched: -1 } : { unmatched: -1, unmatchedExpired: 1 } });
  if (is === 'unmatched') deltas.push({ kind: 'counts', day, counts: { unmatched: 1 } });
  if (after?.status === 'awarded') deltas.push(figures(1, after), { kind: 'counts', day, counts: { awarded: 1, points: after.points } });
  if (before?.status === 'awarded' && after?.status === 'reversed') {
    deltas.push(figures(-1, before), { kind: 'counts', day, counts: { awarded: -1, points: -before.points, reversed: 1 } });
  }
  return deltas;
}

/** Adds up deltas that land on the same figures, so a batch costs one write per day, machine and product. */
export function mergeDeltas(deltas: StatsDelta[]): StatsDelta[] {
  const merged = new Map<string, StatsDelta>();
  for (const delta of deltas) {
    const key = delta.kind === 'sales' ? `sales|${delta.day}|${delta.machineId}|${delta.product}` : `counts|${delta.day}`;
    const existing = merged.get(key);
    if (!existing) {
      merged.set(key, structuredClone(delta));
    } else if (existing.kind === 'sales' && delta.kind === 'sales') {
      existing.figures.sales += delta.figures.sales;
      existing.figures.amountCents += delta.figures.amountCents;
      existing.figures.points += delta.figures.points;
    } else if (existing.kind === 'counts' && delta.kind === 'counts') {
      for (const [name, value] of Object.entries(delta.counts) as [keyof ReviewCounts, number][])
        existing.counts[name] = (existing.counts[name] ?? 0) + value;
    }
  }
  return [...merged.values()];
}

/** The all-time review counts live under this pseudo-day, written in the same batch as the daily ones. */
export const ALL_TIME = 'ALL';

/** Every delta of a batch, merged, with the review counts also added to the all-time totals. */
export function batchDeltas(changes: ItemChange[]): StatsDelta[] {
  const deltas = changes.flatMap(statsDeltas);
  const allTime = deltas
    .filter((d): d is Extract<StatsDelta, { kind: 'counts' }> => d.kind === 'counts')
    .map((d) => ({ ...d, day: ALL_TIME }));
  return mergeDeltas([...deltas, ...allTime]);
}
