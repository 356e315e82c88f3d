/**
 * Sales statistics, derived from committed changes (the table's stream): what each change adds to the
 * per-day, per-machine, per-product figures and to the review counts. Pure: no AWS here.
 */

export interface ItemChange {
  old?: Record<string, unknown>;
  new?: Record<string, unknown>;
}

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
  conflicts: number;
  failures: number;
  failuresResolved: number;
}

export type StatsDelta =
  | { kind: 'sales'; day: string; machineId: string; product: string; figures: SalesFigures }
  | { kind: 'counts'; day: string; counts: Partial<ReviewCounts> };

const dayOf = (iso: unknown) => String(iso ?? '').slice(0, 10);

export function statsDeltas(change: ItemChange): StatsDelta[] {
  const item = change.new ?? change.old;
  if (!item) return [];
  switch (item.entity) {
    case 'sale':
      return saleDeltas(change.old, change.new);
    case 'conflict':
      return !change.old && change.new ? [{ kind: 'counts', day: dayOf(change.new.detectedAt), counts: { conflicts: 1 } }] : [];
    case 'failure': {
      if (!change.new) return [];
      if (!change.old) return [{ kind: 'counts', day: dayOf(change.new.firstSeenAt), counts: { failures: 1 } }];
      if (change.old.status === 'open' && change.new.status === 'resolved')
        return [{ kind: 'counts', day: dayOf(change.new.resolvedAt), counts: { failuresResolved: 1 } }];
      return [];
    }
    default:
      return [];
  }
}

function saleDeltas(before: Record<string, unknown> | undefined, after: Record<string, unknown> | undefined): StatsDelta[] {
  const was = before?.status;
  const is = after?.status;
  if (was === is) return [];
  const sale = (after ?? before)!;
  const day = dayOf(sale.date);
  const figures = (sign: 1 | -1, s: Record<string, unknown>): StatsDelta => ({
    kind: 'sales',
    day,
    machineId: String(s.machineId),
    product: String(s.product),
    figures: { sales: sign, amountCents: sign * Number(s.amountCents ?? 0), points: sign * Number(s.points ?? 0) },
  });
  const deltas: StatsDelta[] = [];
  if (was === 'unmatched') deltas.push({ kind: 'counts', day, counts: { unmatched: -1 } });
  if (is === 'unmatched') deltas.push({ kind: 'counts', day, counts: { unmatched: 1 } });
  if (is === 'awarded')
    deltas.push(figures(1, after!), { kind: 'counts', day, counts: { awarded: 1, points: Number(after!.points ?? 0) } });
  if (was === 'awarded' && is === 'reversed') {
    deltas.push(figures(-1, before!), { kind: 'counts', day, counts: { awarded: -1, points: -Number(before!.points ?? 0), reversed: 1 } });
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
