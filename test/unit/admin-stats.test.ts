import { salesStats } from '../../shared/admin/stats';
import { type FigureRow, statsReport } from '../../shared/domain/stats-report';
import { memoryAdmin } from '../support/admin-fakes';

const row = (machineId: string, product: string, sales: number, amountCents: number, points: number): FigureRow => ({
  machineId,
  product,
  sales,
  amountCents,
  points,
});

describe('statsReport (the roll-up, pure)', () => {
  test('totals each day, and each machine and product over the range, busiest first', () => {
    const report = statsReport({ from: '2025-01-01', to: '2025-01-03' }, [
      { day: '2025-01-01', figures: [row('VEND-1', 'Coffee', 2, 900, 90), row('VEND-2', 'Tea', 1, 300, 30)] },
      { day: '2025-01-02', figures: [], redemptions: { redemptions: 2, pointsRedeemed: 800 } },
      { day: '2025-01-03', figures: [row('VEND-2', 'Coffee', 4, 1_800, 180), row('VEND-2', 'Tea', -1, -300, -30)] },
    ]);
    expect(report).toEqual({
      from: '2025-01-01',
      to: '2025-01-03',
      byDay: [
        { day: '2025-01-01', sales: 3, amountCents: 1_200, points: 120, redemptions: 0, pointsRedeemed: 0 },
        { day: '2025-01-02', sales: 0, amountCents: 0, points: 0, redemptions: 2, pointsRedeemed: 800 },
        { day: '2025-01-03', sales: 3, amountCents: 1_500, points: 150, redemptions: 0, pointsRedeemed: 0 },
      ],
      byMachine: [
        { machineId: 'VEND-2', sales: 4, amountCents: 1_800, points: 180 },
        { machineId: 'VEND-1', sales: 2, amountCents: 900, points: 90 },
      ],
      byProduct: [
        { product: 'Coffee', sales: 6, amountCents: 2_700, points: 270 },
        { product: 'Tea', sales: 0, amountCents: 0, points: 0 },
      ],
    });
  });

  test('no days, no figures', () => {
    expect(statsReport({ from: '2025-01-01', to: '2025-01-01' }, [])).toEqual({
      from: '2025-01-01',
      to: '2025-01-01',
      byDay: [],
      byMachine: [],
      byProduct: [],
    });
  });
});

describe('salesStats', () => {
  test('reads every day of the range, with its redemptions, and reports them oldest first', async () => {
    const { app, stats } = memoryAdmin();
    stats.figuresByDay.set('2025-02-28', [row('VEND-1', 'Coffee', 1, 450, 45)]);
    stats.figuresByDay.set('2025-03-01', [row('VEND-1', 'Coffee', 2, 900, 90)]);
    stats.totalsByDay.set('2025-02-28', { awarded: 1, redemptions: 1, pointsRedeemed: 300 });
    const report = await salesStats({ from: '2025-02-27', to: '2025-03-01' }, app);
    expect(report.byDay.map((d) => [d.day, d.sales, d.redemptions, d.pointsRedeemed])).toEqual([
      ['2025-02-27', 0, 0, 0],
      ['2025-02-28', 1, 1, 300],
      ['2025-03-01', 2, 0, 0],
    ]);
    expect(report.byMachine).toEqual([{ machineId: 'VEND-1', sales: 3, amountCents: 1_350, points: 135 }]);
    expect([...stats.daysRead].sort()).toEqual(['2025-02-27', '2025-02-28', '2025-03-01']);
  });
});
