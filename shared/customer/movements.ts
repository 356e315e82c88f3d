import type { EarnedLot } from '../domain/expiry';
import type { HistoryEntry } from './ports';

/**
 * What a customer is shown of each movement of points: an allowlist of fields, so a card's hashes, the content hash,
 * the sale's source or an operator's id never reach the app, whatever the stored item holds.
 */

export interface AppliedCampaignShown {
  campaignId: string;
  /** The campaign's name, as the version that applied had it. */
  name?: string;
  version?: number;
  points: number;
}

export type Movement =
  | {
      kind: 'sale';
      at: string;
      reason: string;
      transactionId: string;
      status: 'awarded' | 'reversed';
      /** Everything the sale earned: purchase points, the punch card's bonus, campaigns' points. */
      points: number;
      purchasePoints: number;
      bonusPoints: number;
      campaignPoints?: number;
      campaigns?: AppliedCampaignShown[];
      amountCents?: number;
      product?: string;
      machineId?: string;
      /** When a refund took the sale's points back. */
      reversedAt?: string;
    }
  | {
      kind: 'redemption';
      at: string;
      reason: string;
      points: number;
      code?: string;
      status?: string;
      rewardId?: string;
      rewardName?: string;
      /** When a reversal gave the points back. */
      reversedAt?: string;
    }
  | { kind: 'adjustment'; at: string; reason: string; points: number }
  | { kind: 'expiry'; at: string; reason: string; points: number }
  | { kind: 'tier_change'; at: string; reason: string; points: 0; from?: string; to?: string };

const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const str = (value: unknown, max = 256) => (typeof value === 'string' && value.length > 0 ? value.slice(0, max) : undefined);
/** `{ [key]: value }`, or nothing when the value is absent: a field shown only when there is one. */
export const optional = <K extends string, V>(key: K, value: V | undefined) =>
  value === undefined ? {} : ({ [key]: value } as Record<K, V>);

/** The time a history entry happened: its sort key begins with it. */
const timeOf = (entry: HistoryEntry) => entry.sortKey.slice(0, entry.sortKey.indexOf('#') === -1 ? undefined : entry.sortKey.indexOf('#'));

type MoveKind = Exclude<Movement['kind'], 'sale'>;

/** The kind of a movement other than a sale: its `entity`, or else the kind its sort key names (`<at>#REDEMPTION#<key>`). */
function moveKind(entry: HistoryEntry): MoveKind | undefined {
  const named = `${str(entry.item.entity, 40) ?? entry.sortKey.split('#')[1] ?? ''}`.toLowerCase().replace(/[-\s]/g, '_');
  if (named === 'redemption' || named === 'adjustment' || named === 'expiry') return named;
  if (named === 'tier' || named === 'tier_change' || named === 'tierchange') return 'tier_change';
  return undefined;
}

function campaignsOf(value: unknown): AppliedCampaignShown[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const shown = value.flatMap((applied: unknown) => {
    if (applied === null || typeof applied !== 'object') return [];
    const { campaignId, version, points } = applied as Record<string, unknown>;
    const id = str(campaignId, 64);
    return id ? [{ campaignId: id, ...optional('version', num(version)), points: num(points) ?? 0 }] : [];
  });
  return shown.length > 0 ? shown : undefined;
}

/** A stored history entry as the customer sees it; undefined for an item of a kind not shown to customers. */
export function movementOf(entry: HistoryEntry): Movement | undefined {
  const { item } = entry;
  const at = str(item.date) ?? timeOf(entry);
  if (entry.partition === 'sales') {
    const status = item.status === 'reversed' ? 'reversed' : item.status === 'awarded' ? 'awarded' : undefined;
    const transactionId = str(item.transactionId, 128);
    if (!status || !transactionId) return undefined;
    return {
      kind: 'sale',
      at,
      reason: status === 'reversed' ? 'Purchase refunded' : 'Purchase',
      transactionId,
      status,
      points: num(item.points) ?? 0,
      purchasePoints: num(item.purchasePoints) ?? num(item.points) ?? 0,
      bonusPoints: num(item.bonusPoints) ?? 0,
      ...optional('campaignPoints', num(item.campaignPoints)),
      ...optional('campaigns', campaignsOf(item.campaigns)),
      ...optional('amountCents', num(item.amountCents)),
      ...optional('product', str(item.product)),
      ...optional('machineId', str(item.machineId, 64)),
      ...optional('reversedAt', status === 'reversed' ? str(item.reversedAt) : undefined),
    };
  }
  const kind = moveKind(entry);
  const time = timeOf(entry);
  const points = num(item.points) ?? 0;
  switch (kind) {
    case 'redemption':
      return {
        kind,
        at: time,
        reason: 'Reward redeemed',
        points: -Math.abs(points),
        ...optional('code', str(item.code, 64)),
        ...optional('status', str(item.status, 32)),
        ...optional('rewardId', str(item.rewardId, 64)),
        ...optional('rewardName', str(item.rewardName, 80)),
        ...optional('reversedAt', str(item.reversedAt)),
      };
    case 'adjustment':
      return { kind, at: time, reason: str(item.reason, 500) ?? 'Adjustment', points };
    case 'expiry':
      return { kind, at: time, reason: 'Points expired', points: -Math.abs(points) };
    case 'tier_change':
      return {
        kind,
        at: time,
        reason: 'Tier changed',
        points: 0,
        ...optional('from', str(item.from ?? item.tierBefore, 32)),
        ...optional('to', str(item.to ?? item.tierAfter, 32)),
      };
    default:
      return undefined;
  }
}

/** The points a movement earned, as a lot the expiry rules spend oldest first: awarded sales and positive adjustments. */
export function earnedLotOf(movement: Movement): EarnedLot | undefined {
  if (movement.kind === 'sale')
    return movement.status === 'awarded' && movement.points > 0 ? { earnedAt: movement.at, points: movement.points } : undefined;
  if (movement.kind === 'adjustment' && movement.points > 0) return { earnedAt: movement.at, points: movement.points };
  return undefined;
}
