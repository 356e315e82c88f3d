import { statsReport } from '../domain/stats-report';
import { daysBackwards } from './days';
import type { DayRange, StatsReader } from './ports';

/** The sales report over a (bounded) range of days: each day's figures and redemptions read in parallel, then rolled up. */
export async function salesStats(range: DayRange, deps: { stats: StatsReader }) {
  const days = await Promise.all(
    daysBackwards(range)
      .reverse()
      .map(async (day) => {
        const [figures, redemptions] = await Promise.all([deps.stats.salesFigures(day), deps.stats.totals(day)]);
        return { day, figures, redemptions };
      }),
  );
  return statsReport(range, days);
}
