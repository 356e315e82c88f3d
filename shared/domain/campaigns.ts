/**
 * Earning campaigns: rules an operator sets on top of the program's points per dollar. Pure: which campaigns a sale
 * meets (product, machine or machine group, day of week and hours in the program's time zone, date range), and the
 * points they add within their caps, stacked as each campaign says.
 */

export type CampaignReward =
  /** Adds (factor − 1) × the sale's purchase points. */
  | { kind: 'multiplier'; factor: number }
  | { kind: 'bonus'; points: number }
  /** A punch card of its own beside the program's: every `purchases`-th qualifying sale earns `bonusPoints`. */
  | { kind: 'punch_card'; purchases: number; bonusPoints: number };

export interface Campaign {
  id: string;
  /** Each change of a campaign is a new version; a sale records the versions it was awarded under. */
  version: number;
  name: string;
  reward: CampaignReward;
  when: CampaignConditions;
  /** Points one customer may earn from the campaign: on one local day, and over the campaign's life. */
  caps?: { perCustomerPerDay?: number; perCustomer?: number };
  /**
   * `additive`: its points add to every other campaign's. `best_of`: of the best-of campaigns a sale meets, only the one
   * giving the most points counts (ties: the first in the list). A punch card always adds.
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
  machineGroups: Readonly<Record<string, readonly string[]>>;
  campaigns: readonly Campaign[];
}

export interface SaleFacts {
  product: string;
  machineId: string;
  /** ISO 8601 with its zone: when the sale happened. */
  date: string;
  /** When the sale is being awarded; the sale's date when absent. A machine's clock can be wrong, this one is ours. */
  processedAt?: string;
}

/**
 * What one customer has had from one campaign: points in all, by local day (only for a campaign capped by day, and only
 * the recent days), its punch card.
 */
export interface CampaignUse {
  points: number;
  days: Record<string, number>;
  punches: number;
  cardsCompleted: number;
}

/** A customer's use of every campaign, by campaign id: kept on the account, so caps hold under its version guard. */
export type CampaignUsage = Readonly<Record<string, CampaignUse>>;

export interface AppliedCampaign {
  campaignId: string;
  version: number;
  points: number;
  /** A punch card campaign: the card's size, and whether this sale filled it. */
  punch?: { of: number; completed: boolean };
  /** The campaign caps points per day: the sale's points count in its local day. */
  daily?: true;
}

/** A campaign as saved: in force from `validFrom` (included) until `validTo` (excluded), when a later version replaced it. */
export interface CampaignVersion {
  campaign: Campaign;
  validFrom: string;
  validTo?: string;
}

/**
 * Days of use kept per day-capped campaign, counted back from the newest: the account item every award rewrites stays
 * small. A sale whose local day is older than those earns nothing from a day-capped campaign (its day's use is no
 * longer known, so the cap could not be kept).
 */
export const USAGE_DAYS_KEPT = 14;

/** A sale dated further ahead of its processing than this (a machine's clock gone wrong) earns no campaign points. */
export const FUTURE_SALE_ALLOWANCE_DAYS = 7;

const DAY_MS = 86_400_000;
const dayNumber = (day: string) => Math.floor(Date.parse(`${day}T00:00:00Z`) / DAY_MS);

/** Each campaign's latest version, by campaign id. */
export function latestVersions<V extends CampaignVersion>(versions: readonly V[]): Map<string, V> {
  const latest = new Map<string, V>();
  for (const version of versions) {
    const held = latest.get(version.campaign.id);
    if (!held || held.campaign.version < version.campaign.version) latest.set(version.campaign.id, version);
  }
  return latest;
}

/**
 * The campaigns in force at a sale's date: of each campaign, the version saved before the date and not replaced by
 * then. Ordered by campaign id, so best-of ties are settled the same way by every process.
 */
export function campaignsInForce(versions: readonly CampaignVersion[], date: string): Campaign[] {
  const at = Date.parse(date);
  const byId = new Map<string, Campaign>();
  for (const { campaign, validFrom, validTo } of versions) {
    if (Date.parse(validFrom) > at || (validTo !== undefined && Date.parse(validTo) <= at)) continue;
    const held = byId.get(campaign.id);
    if (!held || held.version < campaign.version) byId.set(campaign.id, campaign);
  }
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export interface LocalTime {
  day: string;
  weekday: number;
  hour: number;
}

// One formatter per zone for the process: building one costs far more than using it, and every sale needs one.
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      weekday: 'short',
      hour: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The sale's local day, weekday (1–7) and hour in a time zone. */
export function localTime(iso: string, timeZone: string): LocalTime {
  const parts = Object.fromEntries(
    formatterFor(timeZone)
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
  /** The sale's local time, when the caller has it already (one sale weighed against many campaigns). */
  local: LocalTime = localTime(sale.date, settings.timeZone),
): boolean {
  const { when } = campaign;
  if (when.products && !when.products.some((pattern) => matchesProduct(pattern, sale.product))) return false;
  if (
    when.machines &&
    !when.machines.some((machine) =>
      machine.startsWith('group:')
        ? Object.hasOwn(settings.machineGroups, machine.slice(6)) && settings.machineGroups[machine.slice(6)]!.includes(sale.machineId)
        : machine === sale.machineId,
    )
  )
    return false;
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
export function campaignReward(campaign: Campaign, purchasePoints: number, use: CampaignUse | undefined): number {
  const { reward } = campaign;
  if (reward.kind === 'bonus') return Math.max(0, Math.floor(reward.points));
  if (reward.kind === 'punch_card') return fillsCard(campaign, use) ? Math.max(0, Math.floor(reward.bonusPoints)) : 0;
  return Math.max(0, Math.floor(purchasePoints * (reward.factor - 1)));
}

const fillsCard = (campaign: Campaign, use: CampaignUse | undefined) =>
  campaign.reward.kind === 'punch_card' && (use?.punches ?? 0) + 1 >= campaign.reward.purchases;

/** Whether a sale's local day is older than the days of use kept (counted back from the day it is processed). */
const beyondKeptDays = (day: string, processedDay: string) => dayNumber(day) <= dayNumber(processedDay) - USAGE_DAYS_KEPT;

/** Room left under a campaign's caps for this customer, on the sale's local day and in all. */
function roomUnderCaps(campaign: Campaign, use: CampaignUse | undefined, day: string, processedDay: string): number {
  const caps = campaign.caps ?? {};
  const today =
    caps.perCustomerPerDay === undefined
      ? Infinity
      : beyondKeptDays(day, processedDay)
        ? 0
        : caps.perCustomerPerDay - (use?.days[day] ?? 0);
  const ever = caps.perCustomer === undefined ? Infinity : caps.perCustomer - (use?.points ?? 0);
  return Math.max(0, Math.min(today, ever));
}

/**
 * The campaign points of one sale: every campaign it meets gives its reward, cut to the room under its caps; the
 * additive ones all count, and of the best-of ones the largest. A punch card campaign is listed for its punch even when
 * it gives nothing; other campaigns giving nothing are not listed. `day` is the sale's local day the caps count in.
 */
export function campaignPoints(
  sale: SaleFacts,
  purchasePoints: number,
  settings: CampaignSettings,
  usage: CampaignUsage,
): { points: number; applied: AppliedCampaign[]; day: string; processedDay: string } {
  const local = localTime(sale.date, settings.timeZone);
  const { day } = local;
  const processedAt = sale.processedAt ?? sale.date;
  const processedDay = localTime(processedAt, settings.timeZone).day;
  if (Date.parse(sale.date) - Date.parse(processedAt) > FUTURE_SALE_ALLOWANCE_DAYS * DAY_MS)
    return { points: 0, applied: [], day, processedDay };
  const offers = settings.campaigns
    .filter((campaign) => meetsCampaign(campaign, sale, settings, local))
    .map((campaign) => {
      const use = usage[campaign.id];
      const points = Math.min(campaignReward(campaign, purchasePoints, use), roomUnderCaps(campaign, use, day, processedDay));
      return { campaign, points, use };
    })
    .filter((offer) => offer.points > 0 || offer.campaign.reward.kind === 'punch_card');
  const additive = offers.filter((offer) => offer.campaign.stacking === 'additive' || offer.campaign.reward.kind === 'punch_card');
  const best = offers
    .filter((offer) => offer.campaign.stacking === 'best_of' && offer.campaign.reward.kind !== 'punch_card')
    .reduce<(typeof offers)[number] | undefined>((top, offer) => (top === undefined || offer.points > top.points ? offer : top), undefined);
  const counted = best ? [...additive, best] : additive;
  return {
    points: counted.reduce((sum, offer) => sum + offer.points, 0),
    applied: counted.map(({ campaign, points, use }) => ({
      campaignId: campaign.id,
      version: campaign.version,
      points,
      ...(campaign.reward.kind === 'punch_card' ? { punch: { of: campaign.reward.purchases, completed: fillsCard(campaign, use) } } : {}),
      ...(campaign.caps?.perCustomerPerDay !== undefined ? { daily: true as const } : {}),
    })),
    day,
    processedDay,
  };
}

const unused = (): CampaignUse => ({ points: 0, days: {}, punches: 0, cardsCompleted: 0 });

/** The days of use worth keeping: none of no use, and (given the day a sale is processed) none too old to matter. */
function recentDays(days: Record<string, number>, processedDay?: string): Record<string, number> {
  const from = processedDay === undefined ? Number.NEGATIVE_INFINITY : dayNumber(processedDay) - USAGE_DAYS_KEPT;
  return Object.fromEntries(Object.entries(days).filter(([d, n]) => n > 0 && dayNumber(d) > from));
}

/** The usage after a sale of local `day`, processed on local `processedDay`, earned `applied`. */
export function withCampaignUse(
  usage: CampaignUsage,
  applied: readonly AppliedCampaign[],
  day: string,
  processedDay: string = day,
): CampaignUsage {
  const next: Record<string, CampaignUse> = { ...usage };
  for (const { campaignId, points, punch, daily } of applied) {
    const use = usage[campaignId] ?? unused();
    const punches = punch ? (punch.completed ? 0 : use.punches + 1) : use.punches;
    next[campaignId] = {
      points: use.points + points,
      days: daily ? recentDays({ ...use.days, [day]: (use.days[day] ?? 0) + points }, processedDay) : use.days,
      punches,
      cardsCompleted: use.cardsCompleted + (punch?.completed ? 1 : 0),
    };
  }
  return next;
}

/**
 * The usage after a sale that earned `applied` on local `day` is reversed: its points and its punch are taken back (a
 * card it filled reopens at its last punch, as the program's own card does).
 */
export function withoutCampaignUse(usage: CampaignUsage, applied: readonly AppliedCampaign[], day: string): CampaignUsage {
  const next: Record<string, CampaignUse> = { ...usage };
  for (const { campaignId, points, punch, daily } of applied) {
    const use = usage[campaignId];
    if (!use) continue;
    const days = { ...use.days };
    if (daily && days[day] !== undefined) days[day] = Math.max(0, days[day]! - points);
    next[campaignId] = {
      points: Math.max(0, use.points - points),
      days: daily ? recentDays(days) : use.days,
      punches: punch ? (punch.completed ? punch.of - 1 : Math.max(0, use.punches - 1)) : use.punches,
      cardsCompleted: punch?.completed ? Math.max(0, use.cardsCompleted - 1) : use.cardsCompleted,
    };
  }
  return next;
}
