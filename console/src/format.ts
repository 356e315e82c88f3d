const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const whole = new Intl.NumberFormat('en-US');
const when = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export const dollars = (cents: number | undefined) => (cents === undefined ? '—' : money.format(cents / 100));
export const count = (n: number | undefined) => (n === undefined ? '—' : whole.format(n));
export const moment = (iso: string | null | undefined) => {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : when.format(date);
};

/** "3 min ago" style age, for "last processed" and queue ages. */
export function age(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

export const since = (iso: string | null | undefined) => (iso ? `${age((Date.now() - new Date(iso).getTime()) / 1000)} ago` : 'never');

/** YYYY-MM-DD of a day some days before today (UTC, as the API counts days). */
export function daysAgo(days: number): string {
  return new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
}

export const words = (identifier: string) => identifier.replace(/_/g, ' ');
