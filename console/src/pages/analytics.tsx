import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useConsole } from '../context';
import { count, daysAgo, dollars } from '../format';
import { href, type Route } from '../router';
import type { StatsReport } from '../types';
import { ErrorNote, Loading, PageHeader, showFiltered, Table, useLoad } from '../ui';

const RANGES = [7, 30, 90] as const;

/** Sales and points over a chosen range: the chart first (values on hover), then the same numbers in tables. */
export function AnalyticsPage({ route }: { route: Route }) {
  const { api } = useConsole();
  const to = route.params.get('to') || daysAgo(0);
  const from = route.params.get('from') || daysAgo(6);
  const stats = useLoad(() => api.get<StatsReport>('/admin/stats', { from, to }), [from, to]);
  const r = stats.data;
  const totals = r?.byDay.reduce(
    (t, d) => ({
      sales: t.sales + d.sales,
      amountCents: t.amountCents + d.amountCents,
      points: t.points + d.points,
      redemptions: t.redemptions + (d.redemptions ?? 0),
      pointsRedeemed: t.pointsRedeemed + (d.pointsRedeemed ?? 0),
    }),
    { sales: 0, amountCents: 0, points: 0, redemptions: 0, pointsRedeemed: 0 },
  );
  return (
    <section>
      <PageHeader title="Analytics">
        {RANGES.map((days) => (
          <a key={days} class="button secondary" href={href('analytics', undefined, { from: daysAgo(days - 1), to: daysAgo(0) })}>
            Last {days} days
          </a>
        ))}
      </PageHeader>
      <form class="filters" onSubmit={showFiltered('analytics')} aria-label="Date range">
        <label>
          From
          <input type="date" name="from" defaultValue={from} required />
        </label>
        <label>
          To
          <input type="date" name="to" defaultValue={to} required />
        </label>
        <button type="submit">Show</button>
      </form>
      <ErrorNote error={stats.error} />
      <Loading when={!r && stats.loading} />
      {r && totals ? (
        <>
          <dl class="counts" data-testid="totals">
            <div>
              <dt>Sales</dt>
              <dd data-testid="total-sales">{count(totals.sales)}</dd>
            </div>
            <div>
              <dt>Revenue</dt>
              <dd>{dollars(totals.amountCents)}</dd>
            </div>
            <div>
              <dt>Points awarded</dt>
              <dd>{count(totals.points)}</dd>
            </div>
            <div>
              <dt>Rewards redeemed</dt>
              <dd data-testid="total-redemptions">{count(totals.redemptions)}</dd>
            </div>
            <div>
              <dt>Points redeemed</dt>
              <dd data-testid="total-points-redeemed">{count(totals.pointsRedeemed)}</dd>
            </div>
          </dl>
          <DailyChart report={r} />
          <div class="two-columns">
            <Ranking title="Top machines" rows={r.byMachine.map((m) => ({ name: m.machineId, ...m }))} testId="top-machines" />
            <Ranking title="Top products" rows={r.byProduct.map((p) => ({ name: p.product, ...p }))} testId="top-products" />
          </div>
          <details>
            <summary>Numbers by day</summary>
            <Table
              caption="Sales, points and redemptions by day"
              testId="by-day"
              rows={r.byDay}
              rowKey={(d) => d.day}
              empty="No days in this range."
              columns={[
                { label: 'Day', cell: (d) => d.day },
                { label: 'Sales', numeric: true, cell: (d) => count(d.sales) },
                { label: 'Revenue', numeric: true, cell: (d) => dollars(d.amountCents) },
                { label: 'Points', numeric: true, cell: (d) => count(d.points) },
                { label: 'Redeemed', numeric: true, cell: (d) => count(d.redemptions ?? 0) },
                { label: 'Points redeemed', numeric: true, cell: (d) => count(d.pointsRedeemed ?? 0) },
              ]}
            />
          </details>
        </>
      ) : null}
    </section>
  );
}

const dayLabel = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });

function cssColor(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function DailyChart({ report }: { report: StatsReport }) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const days = report.byDay.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000);
    const text = cssColor('--text', '#1b1f24');
    const grid = cssColor('--border', '#d0d7de');
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const plot = new uPlot(
      {
        width: Math.max(element.clientWidth, 280),
        height: 280,
        title: 'Sales and points by day',
        scales: {
          x: { time: true },
          sales: { range: (_u, _min, max) => [0, Math.max(1, max)] },
          points: { range: (_u, _min, max) => [0, Math.max(1, max)] },
        },
        series: [
          { label: 'Day', value: (_u, v) => (v === null ? '—' : new Date(v * 1000).toISOString().slice(0, 10)) },
          { label: 'Sales', scale: 'sales', stroke: cssColor('--accent', '#0b5cad'), width: 2, points: { show: true } },
          { label: 'Points', scale: 'points', stroke: cssColor('--accent-2', '#b35900'), width: 2, dash: [6, 4], points: { show: true } },
        ],
        axes: [
          {
            ...axis,
            incrs: [86_400, 7 * 86_400, 28 * 86_400],
            values: (_u, splits) => splits.map((t) => dayLabel.format(new Date(t * 1000))),
          },
          { ...axis, scale: 'sales', label: 'Sales' },
          { ...axis, scale: 'points', label: 'Points', side: 1, grid: { show: false } },
        ],
      },
      [days, report.byDay.map((d) => d.sales), report.byDay.map((d) => d.points)],
      element,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(element.clientWidth, 280), height: 280 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [report]);
  return (
    <figure class="chart">
      <div
        ref={holder}
        data-testid="daily-chart"
        role="img"
        aria-label={`Sales and points for each day from ${report.from} to ${report.to}; the numbers are in the table below`}
      />
    </figure>
  );
}

function Ranking({
  title,
  rows,
  testId,
}: {
  title: string;
  rows: { name: string; sales: number; amountCents: number; points: number }[];
  testId: string;
}) {
  const top = [...rows].sort((a, b) => b.amountCents - a.amountCents).slice(0, 10);
  const highest = top[0]?.amountCents || 1;
  return (
    <section aria-label={title}>
      <h2>{title}</h2>
      {top.length ? (
        <ol class="bars" data-testid={testId}>
          {top.map((row) => (
            <li key={row.name} title={`${row.name}: ${count(row.sales)} sales, ${dollars(row.amountCents)}, ${count(row.points)} points`}>
              <span class="bar-label">{row.name}</span>
              <span class="bar" style={{ width: `${Math.max(2, (row.amountCents / highest) * 100)}%` }} aria-hidden="true" />
              <span class="bar-value">
                {dollars(row.amountCents)} · {count(row.sales)} sales
              </span>
            </li>
          ))}
        </ol>
      ) : (
        <p class="muted">No sales in this range.</p>
      )}
    </section>
  );
}
