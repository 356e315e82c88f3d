/**
 * Earning campaigns: rules an operator sets on top of the program's points per dollar. Pure: which campaigns a sale
 * meets (product, machine or machine group, day of week and hours in the program's time zone, date range), and the
 * points they add within their caps, stacked as each campaign says.
 */

export interface Campaign {
  id: string;
  /** Each change of a campaign is a new version; a sale records the versions it was awarded under. */
  version: number;
  name: string;
  reward: { kind: 'multiplier'; factor: number } | { kind: 'bonus'; points: number };
  when: CampaignConditions;
  caps?: { perCustomerPerDay?: number; total?: number };
  /**
   * `additive`: its points add to every other campaign's. `best_of`: of the best-of campaigns a sale meets, only the one
   * giving the most points counts (ties: the first in the list).
   */
  stacking: 'additive' | 'best_of';
}

export interface CampaignConditions {
  /** Exact product names, or patterns with `*` for any text; case is ignored. Absent: every product. */
  products?: string[];
  /** Machine ids, or `group:<name>` for a machine group of the program. Absent: every machine. */
  machines?: string[];
  /** ISO days of the week, 1 (Monday) to 7 (Sunday), in the program's time zone. */
  daysOfWeek?: number[];
  /** Local hours, from (included) to (excluded), 0 to 24; `from` after `to` runs over midnight. */
  hours?: { from: number; to: number };
  /** Local dates, both included (YYYY-MM-DD). */
  dates?: { from?: string; to?: string };
}

export interface CampaignSettings {
  timeZone: string;
  machineGroups: Record<string, string[]>;
  campaigns: Campaign[];
}

export interface SaleFacts {
  product: string;
  machineId: string;
  /** ISO 8601 with its zone: when the sale happened. */
  date: string;
}

/** Points a campaign has already given: this customer on the sale's local day, and everyone in all. */
export interface CampaignUsage {
  customerToday: Readonly<Record<string, number>>;
  total: Readonly<Record<string, number>>;
}

export interface AppliedCampaign {
  campaignId: string;
  version: number;
  points: number;
}

/** The sale's local day, weekday (1–7) and hour in a time zone. */
export function localTime(iso: string, timeZone: string): { day: string; weekday: number; hour: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      weekday: 'short',
      hour: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(iso))
      .map((part) => [part.type, part.value]),
  );
  const weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(parts.weekday!) + 1;
  return { day: `${parts.year}-${parts.month}-${parts.day}`, weekday, hour: Number(parts.hour) };
}

/**
 * Whether a product matches a pattern where `*` stands for any text, case ignored: the two-pointer wildcard match,
 * linear in practice and never backtracking (an operator's pattern cannot make it slow, as a regular expression could).
 */
export function matchesProduct(pattern: string, product: string): boolean {
  const p = pattern.toLowerCase();
  const text = product.toLowerCase();
  let i = 0;
  let j = 0;
  let star = -1;
  let resume = 0;
  while (j < text.length) {
    if (i < p.length && p[i] !== '*' && p[i] === text[j]) {
      i += 1;
      j += 1;
    } else if (i < p.length && p[i] === '*') {
      star = i;
      resume = j;
      i += 1;
    } else if (star >= 0) {
      i = star + 1;
      resume += 1;
      j = resume;
    } else return false;
  }
  while (i < p.length && p[i] === '*') i += 1;
  return i === p.length;
}

export function meetsCampaign(
  campaign: Campaign,
  sale: SaleFacts,
  settings: Pick<CampaignSettings, 'timeZone' | 'machineGroups'>,
): boolean {
  const { when } = campaign;
  if (when.products && !when.products.some((pattern) => matchesProduct(pattern, sale.product))) return false;
  if (
    when.machines &&
    !when.machines.some((machine) =>
      machine.startsWith('group:') ? (settings.machineGroups[machine.slice(6)] ?? []).includes(sale.machineId) : machine === sale.machineId,
    )
  )
    return false;
  const local = localTime(sale.date, settings.timeZone);
  if (when.daysOfWeek && !when.daysOfWeek.includes(local.weekday)) return false;
  if (when.hours) {
    const { from, to } = when.hours;
    const inHours = from <= to ? local.hour >= from && local.hour < to : local.hour >= from || local.hour < to;
    if (!inHours) return false;
  }
  if (when.dates?.from && local.day < when.dates.from) return false;
  if (when.dates?.to && local.day > when.dates.to) return false;
  return true;
}

/** What one campaign would give a sale of `purchasePoints`, before caps: a multiplier adds (factor − 1) × the points. */
export function campaignReward(campaign: Campaign, purchasePoints: number): number {
  if (campaign.reward.kind === 'bonus') return Math.max(0, Math.floor(campaign.reward.points));
  return Math.max(0, Math.floor(purchasePoints * (campaign.reward.factor - 1)));
}

/** Room left under a campaign's caps, for this customer today and for everyone. */
function roomUnderCaps(campaign: Campaign, usage: CampaignUsage): number {
  const caps = campaign.caps ?? {};
  const customer = caps.perCustomerPerDay === undefined ? Infinity : caps.perCustomerPerDay - (usage.customerToday[campaign.id] ?? 0);
  const total = caps.total === undefined ? Infinity : caps.total - (usage.total[campaign.id] ?? 0);
  return Math.max(0, Math.min(customer, total));
}

/**
 * The campaign points of one sale: every campaign it meets gives its reward, cut to the room under its caps; the
 * additive ones all count, and of the best-of ones the largest. Campaigns giving nothing are not listed.
 */
export function campaignPoints(
  sale: SaleFacts,
  purchasePoints: number,
  settings: CampaignSettings,
  usage: CampaignUsage,
): { points: number; applied: AppliedCampaign[] } {
  const offers = settings.campaigns
    .filter((campaign) => meetsCampaign(campaign, sale, settings))
    .map((campaign) => ({ campaign, points: Math.min(campaignReward(campaign, purchasePoints), roomUnderCaps(campaign, usage)) }))
    .filter((offer) => offer.points > 0);
  const additive = offers.filter((offer) => offer.campaign.stacking === 'additive');
  const best = offers
    .filter((offer) => offer.campaign.stacking === 'best_of')
    .reduce<(typeof offers)[number] | undefined>((top, offer) => (top === undefined || offer.points > top.points ? offer : top), undefined);
  const counted = best ? [...additive, best] : additive;
  return {
    points: counted.reduce((sum, offer) => sum + offer.points, 0),
    applied: counted.map(({ campaign, points }) => ({ campaignId: campaign.id, version: campaign.version, points })),
  };
}
