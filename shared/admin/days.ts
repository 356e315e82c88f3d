import type { DayRange } from './ports';

const DAY_MS = 86_400_000;

/** How many days a range covers, counted arithmetically (no expansion), inclusive of both ends. */
export function daysIn(range: DayRange): number {
  return Math.floor((Date.parse(`${range.to}T00:00:00Z`) - Date.parse(`${range.from}T00:00:00Z`)) / DAY_MS) + 1;
}

/** Days from `to` back to `from`, newest first (YYYY-MM-DD). Callers bound the range first (see daysIn). */
export function daysBackwards(range: DayRange): string[] {
  const days: string[] = [];
  for (let d = new Date(`${range.to}T00:00:00Z`); d >= new Date(`${range.from}T00:00:00Z`); d.setUTCDate(d.getUTCDate() - 1))
    days.push(d.toISOString().slice(0, 10));
  return days;
}

export const addDays = (day: string, days: number) => new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
