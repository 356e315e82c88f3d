import fc from 'fast-check';
import type { ItemChange } from '../../shared/domain/committed-changes';
import { ALL_TIME, batchDeltas, mergeDeltas, type StatsDelta, statsDeltas } from '../../shared/domain/stats';
import { recordStats } from '../../shared/stats/record-stats';
import { awardedSale, MemoryStatsLedger, unmatchedSale } from '../support/stream-fakes';

const DAY = '2025-01-01';
const sale = awardedSale({ transactionId: 'T-1', amountCents: 350, points: 35, machineId: 'V1', product: 'Coffee' });

describe('statsDeltas', () => {
  test('a new award adds the sale to its machine and product figures and to the day’s counts', () => {
    expect(statsDeltas({ new: sale })).toEqual([
      { kind: 'sales', day: DAY, machineId: 'V1', product: 'Coffee', figures: { sales: 1, amountCents: 350, points: 35 } },
      { kind: 'counts', day: DAY, counts: { awarded: 1, points: 35 } },
    ]);
  });

  test('the day is the sale’s own date, not when it was received or awarded', () => {
    const late = awardedSale({ date: '2024-12-31T23:59:00.000Z', receivedAt: '2025-01-02T00:00:00.000Z' });
    expect(statsDeltas({ new: late }).map((d) => d.day)).toEqual(['2024-12-31', '2024-12-31']);
  });

  test('an unmatched sale is counted as unmatched, and moves to awarded when assigned', () => {
    const held = unmatchedSale({ transactionId: 'T-1' });
    expect(statsDeltas({ new: held })).toEqual([{ kind: 'counts', day: DAY, counts: { unmatched: 1 } }]);
    expect(statsDeltas({ old: held, new: sale })).toEqual([
      { kind: 'counts', day: DAY, counts: { unmatched: -1 } },
      { kind: 'sales', day: DAY, machineId: 'V1', product: 'Coffee', figures: { sales: 1, amountCents: 350, points: 35 } },
      { kind: 'counts', day: DAY, counts: { awarded: 1, points: 35 } },
    ]);
  });

  test('an unmatched sale that expires unassigned leaves the unmatched count for the expired report; an expired awarded sale changes no figure', () => {
    const held = unmatchedSale({ transactionId: 'T-1' });
    expect(statsDeltas({ old: held })).toEqual([{ kind: 'counts', day: DAY, counts: { unmatched: -1, unmatchedExpired: 1 } }]);
    expect(statsDeltas({ old: sale })).toEqual([]);
  });

  test('a reversal takes the sale back out of the figures and counts it as reversed', () => {
    expect(statsDeltas({ old: sale, new: { ...sale, status: 'reversed' } })).toEqual([
      { kind: 'sales', day: DAY, machineId: 'V1', product: 'Coffee', figures: { sales: -1, amountCents: -350, points: -35 } },
      { kind: 'counts', day: DAY, counts: { awarded: -1, points: -35, reversed: 1 } },
    ]);
  });

  test('a write that does not change the status (a duplicate, a touched item) counts nothing', () => {
    expect(statsDeltas({ old: sale, new: sale })).toEqual([]);
    expect(statsDeltas({ old: sale })).toEqual([]);
    expect(statsDeltas({})).toEqual([]);
  });

  test('a new conflict is counted once, on the day it was detected', () => {
    const conflict = { kind: 'conflict', transactionId: 'T-1', detectedAt: '2025-01-03T08:00:00.000Z' } as const;
    expect(statsDeltas({ new: conflict })).toEqual([{ kind: 'counts', day: '2025-01-03', counts: { conflicts: 1 } }]);
    expect(statsDeltas({ old: conflict, new: conflict })).toEqual([]);
  });

  test('a failure is counted when first seen, and as resolved when it is resolved', () => {
    const open = { kind: 'failure', status: 'open', firstSeenAt: '2025-01-01T10:00:00.000Z' } as const;
    const resolved = { ...open, status: 'resolved', resolvedAt: '2025-01-04T10:00:00.000Z' } as const;
    expect(statsDeltas({ new: open })).toEqual([{ kind: 'counts', day: DAY, counts: { failures: 1 } }]);
    expect(statsDeltas({ old: open, new: open })).toEqual([]);
    expect(statsDeltas({ old: open, new: resolved })).toEqual([{ kind: 'counts', day: '2025-01-04', counts: { failuresResolved: 1 } }]);
    expect(statsDeltas({ old: resolved, new: resolved })).toEqual([]);
    expect(statsDeltas({ old: open })).toEqual([]);
  });
});

describe('batchDeltas', () => {
  test('merges deltas on the same figures, and adds the review counts to the all-time totals too', () => {
    const other = awardedSale({ transactionId: 'T-2', amountCents: 100, points: 10 });
    const tea = awardedSale({ transactionId: 'T-3', product: 'Tea', amountCents: 200, points: 20 });
    expect(batchDeltas([{ new: sale }, { new: other }, { new: tea }, { new: unmatchedSale({ transactionId: 'T-4' }) }])).toEqual([
      { kind: 'sales', day: DAY, machineId: 'V1', product: 'Coffee', figures: { sales: 2, amountCents: 450, points: 45 } },
      { kind: 'counts', day: DAY, counts: { awarded: 3, points: 65, unmatched: 1 } },
      { kind: 'sales', day: DAY, machineId: 'V1', product: 'Tea', figures: { sales: 1, amountCents: 200, points: 20 } },
      { kind: 'counts', day: ALL_TIME, counts: { awarded: 3, points: 65, unmatched: 1 } },
    ]);
  });

  test('an award and its reversal in one batch cancel out', () => {
    const deltas = batchDeltas([{ new: sale }, { old: sale, new: { ...sale, status: 'reversed' } }]);
    expect(deltas).toContainEqual({
      kind: 'sales',
      day: DAY,
      machineId: 'V1',
      product: 'Coffee',
      figures: { sales: 0, amountCents: 0, points: 0 },
    });
    expect(deltas).toContainEqual({ kind: 'counts', day: ALL_TIME, counts: { awarded: 0, points: 0, reversed: 1 } });
  });

  test('property: merging keeps every total, and leaves one delta per figures and per day', () => {
    const days = fc.constantFrom('2025-01-01', '2025-01-02');
    const change = fc
      .record({
        transactionId: fc.string({ minLength: 1, maxLength: 4 }),
        date: days.map((d) => `${d}T10:00:00.000Z`),
        machineId: fc.constantFrom('V1', 'V2'),
        product: fc.constantFrom('Coffee', 'Tea'),
        amountCents: fc.integer({ min: 1, max: 100_000 }),
        points: fc.integer({ min: 0, max: 10_000 }),
        transition: fc.constantFrom('award', 'hold', 'assign', 'reverse', 'duplicate'),
      })
      .map(({ transition, ...facts }): ItemChange => {
        const awarded = awardedSale(facts);
        const held = unmatchedSale(facts);
        if (transition === 'award') return { new: awarded };
        if (transition === 'hold') return { new: held };
        if (transition === 'assign') return { old: held, new: awarded };
        if (transition === 'reverse') return { old: awarded, new: { ...awarded, status: 'reversed' } };
        return { old: awarded, new: awarded };
      });
    const totals = (deltas: StatsDelta[]) => {
      const sum: Record<string, number> = {};
      for (const d of deltas) {
        const values = d.kind === 'sales' ? d.figures : d.counts;
        for (const [name, value] of Object.entries(values)) sum[`${d.kind}.${name}`] = (sum[`${d.kind}.${name}`] ?? 0) + (value ?? 0);
      }
      return sum;
    };
    fc.assert(
      fc.property(fc.array(change, { maxLength: 30 }), (changes) => {
        const each = changes.flatMap(statsDeltas);
        const merged = mergeDeltas(each);
        expect(totals(merged)).toEqual(totals(each));
        const identities = merged.map((d) => (d.kind === 'sales' ? `${d.day}|${d.machineId}|${d.product}` : d.day));
        expect(new Set(identities).size).toBe(identities.length);
        const batch = batchDeltas(changes);
        const allTime = batch.find((d) => d.kind === 'counts' && d.day === ALL_TIME);
        const daily = batch.filter((d) => d.kind === 'counts' && d.day !== ALL_TIME);
        expect(totals(allTime ? [allTime] : [])).toEqual(totals(daily));
      }),
      { seed: 20250101 },
    );
  });
});

describe('recordStats', () => {
  test('applies a batch’s merged deltas once under its id; a redelivered batch is already applied', async () => {
    const ledger = new MemoryStatsLedger();

    expect(await recordStats('100-102', [{ new: sale }, { new: unmatchedSale({ transactionId: 'T-2' }) }], ledger)).toEqual({
      deltas: 3,
      outcome: 'applied',
    });
    expect(ledger.batches.get('100-102')).toEqual(batchDeltas([{ new: sale }, { new: unmatchedSale({ transactionId: 'T-2' }) }]));
    expect(await recordStats('100-102', [{ new: sale }], ledger)).toEqual({ deltas: 3, outcome: 'already_applied' });
  });

  test('a batch with nothing to count writes nothing', async () => {
    const ledger = new MemoryStatsLedger();
    expect(await recordStats('7-9', [{ old: sale, new: sale }, {}], ledger)).toEqual({ deltas: 0, outcome: 'applied' });
    expect(ledger.batches.size).toBe(0);
  });
});
