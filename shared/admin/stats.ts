import { statsReport } from '../domain/stats-report';
import { daysBackwards } from './days';
import type { DayRange, StatsReader } from './ports';

/** The sales report over a (bounded) range of days: each day's figures read in parallel, then rolled up. */
export async function salesStats(range: DayRange, deps: { stats: StatsReader }) {
  const days = await Promise.all(
    daysBackwards(range)
      .reverse()
      .map(async (day) => ({ day, figures: await deps.stats.salesFigures(day) })),
  );
  return statsReport(range, days);
}
