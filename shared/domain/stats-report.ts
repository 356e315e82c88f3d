import type { SalesFigures } from './stats';

/**
 * The sales report over a range of days: totals per day, per machine and per product, rolled up from the
 * per-day figures the stats function keeps. Pure: no AWS here.
 */

/** One day's figures for one machine and product. */
export interface FigureRow extends SalesFigures {
  machineId: string;
  product: string;
}

/** A day's redemptions standing (made that day, less those reversed since) and the points they took. */
export interface RedemptionFigures {
  redemptions: number;
  pointsRedeemed: number;
}

export interface StatsReport {
  from: string;
  to: string;
  byDay: Array<{ day: string } & SalesFigures & RedemptionFigures>;
  /** Busiest first. */
  byMachine: Array<{ machineId: string } & SalesFigures>;
  /** Busiest first. */
  byProduct: Array<{ product: string } & SalesFigures>;
}

const zero = (): SalesFigures => ({ sales: 0, amountCents: 0, points: 0 });

function add(total: SalesFigures, row: SalesFigures) {
  total.sales += row.sales;
  total.amountCents += row.amountCents;
  total.points += row.points;
}

function addTo(totals: Map<string, SalesFigures>, key: string, row: SalesFigures) {
  let total = totals.get(key);
  if (!total) {
    total = zero();
    totals.set(key, total);
  }
  add(total, row);
}

/** Rolls up the figures of each day of the range, given oldest first; days without sales or redemptions count as zero. */
export function statsReport(
  range: { from: string; to: string },
  days: Array<{ day: string; figures: FigureRow[]; redemptions?: Partial<RedemptionFigures> }>,
): StatsReport {
  const byMachine = new Map<string, SalesFigures>();
  const byProduct = new Map<string, SalesFigures>();
  const byDay = days.map(({ day, figures, redemptions }) => {
    const total = zero();
    for (const row of figures) {
      add(total, row);
      addTo(byMachine, row.machineId, row);
      addTo(byProduct, row.product, row);
    }
    return { day, ...total, redemptions: redemptions?.redemptions ?? 0, pointsRedeemed: redemptions?.pointsRedeemed ?? 0 };
  });
  const busiestFirst = <K extends string>(map: Map<string, SalesFigures>, name: K) =>
    [...map.entries()]
      .map(([key, figures]) => ({ [name]: key, ...figures }) as { [P in K]: string } & SalesFigures)
      .sort((a, b) => b.sales - a.sales);
  return {
    from: range.from,
    to: range.to,
    byDay,
    byMachine: busiestFirst(byMachine, 'machineId'),
    byProduct: busiestFirst(byProduct, 'product'),
  };
}
