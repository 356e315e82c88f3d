import type { CommittedAccountEvent, NotifiedItem } from './committed-changes';
import { localDay } from './due-review';
import { PSEUDONYM_PREFIX } from './erasure';
import type { Achievement } from './loyalty';
import type { ProgramConfig } from './program';

export type NotificationType =
  | 'points_awarded'
  | 'punch_card_completed'
  | 'bonus_awarded'
  | 'tier_upgraded'
  | 'sale_unmatched'
  | 'points_expiring'
  | 'points_expired'
  | 'tier_will_downgrade'
  | 'tier_downgraded';

export interface NotificationEvent {
  /** Deterministic: the same committed change always yields the same id, so subscribers can drop repeats. */
  eventId: string;
  eventType: NotificationType;
  audience: 'customer' | 'operators';
  /** The sale the event is about; absent for the account's own events (an expiry, a tier review, their notices). */
  transactionId?: string;
  userId?: string;
  balanceAfter?: number;
  tier?: string;
  occurredAt: string;
  /** A short message for a phone's lock screen. */
  message: string;
  detail: Record<string, unknown>;
}

/**
 * What a committed change to a sale means for people: derived from the stream's old and new images, so a
 * duplicate (which writes nothing) yields nothing, and only sales that were really awarded are announced.
 */
export function deriveNotifications(
  before: NotifiedItem | undefined,
  after: NotifiedItem | undefined,
  program: ProgramConfig,
): NotificationEvent[] {
  if (after?.kind === 'expiry' || after?.kind === 'tier_change' || after?.kind === 'notice') {
    // Written once and never changed; a copy moved to an erased customer's pseudonym was announced already.
    return before || after.userId.startsWith(PSEUDONYM_PREFIX) ? [] : [accountEvent(after, program)];
  }
  if (after?.kind !== 'sale') return [];
  const { transactionId } = after;
  const previous = before?.kind === 'sale' ? before : undefined;

  if (after.status === 'unmatched') {
    if (before) return [];
    const reason = after.unmatchedReason === 'ambiguous' ? 'the card matches more than one customer' : 'no customer has linked this card';
    return [
      {
        transactionId,
        occurredAt: after.receivedAt,
        eventId: `${transactionId}:sale_unmatched`,
        eventType: 'sale_unmatched',
        audience: 'operators',
        message: `Unmatched sale ${transactionId}: ${reason}`,
        detail: { reason: after.unmatchedReason, amountCents: after.amountCents, machineId: after.machineId },
      },
    ];
  }

  if (after.status !== 'awarded' || previous?.status === 'awarded') return [];
  const base = { transactionId, occurredAt: after.awardedAt };
  const customer = { userId: after.userId, balanceAfter: after.balanceAfter, tier: after.tierAfter };
  const events: NotificationEvent[] = [];
  const campaignPoints = after.campaignPoints ?? 0;
  if (program.notifications.pointsAwarded) {
    events.push({
      ...base,
      ...customer,
      eventId: `${transactionId}:points_awarded`,
      eventType: 'points_awarded',
      audience: 'customer',
      message:
        campaignPoints > 0
          ? `You earned ${after.purchasePoints + campaignPoints} points (${campaignPoints} from a campaign). Balance: ${customer.balanceAfter}.`
          : `You earned ${after.purchasePoints} points. Balance: ${customer.balanceAfter}.`,
      detail: {
        points: after.purchasePoints + campaignPoints,
        ...(campaignPoints > 0 ? { campaignPoints } : {}),
        amountCents: after.amountCents,
        product: after.product,
      },
    });
  }
  for (const achievement of after.achievements) {
    events.push({
      ...base,
      ...customer,
      eventId: `${transactionId}:${achievement.type}`,
      eventType: achievement.type,
      audience: 'customer',
      ...describe(achievement),
    });
  }
  return events;
}

function describe(achievement: Achievement): { message: string; detail: Record<string, unknown> } {
  switch (achievement.type) {
    case 'punch_card_completed':
      return {
        message: `Punch card complete! That's card number ${achievement.cardsCompleted}.`,
        detail: { cardsCompleted: achievement.cardsCompleted },
      };
    case 'bonus_awarded':
      return {
        message: `Punch card complete: ${achievement.points} bonus points!`,
        detail: { points: achievement.points, reason: achievement.reason },
      };
    case 'tier_upgraded':
      return {
        message: `Welcome to ${achievement.to}! You moved up from ${achievement.from}.`,
        detail: { from: achievement.from, to: achievement.to },
      };
  }
}

/** An expiry, a tier change or a notice of one, announced to the customer; its id follows from the record. */
function accountEvent(item: CommittedAccountEvent, program: ProgramConfig): NotificationEvent {
  const customer = { audience: 'customer' as const, userId: item.userId };
  switch (item.kind) {
    case 'expiry':
      return {
        ...customer,
        eventId: `${item.userId}:points_expired:${item.at}`,
        eventType: 'points_expired',
        occurredAt: item.at,
        balanceAfter: item.balanceAfter,
        message: `${item.points} points expired. Balance: ${item.balanceAfter}.`,
        detail: { points: item.points, reason: item.reason },
      };
    case 'tier_change':
      return {
        ...customer,
        eventId: `${item.userId}:tier_downgraded:${item.at}`,
        eventType: 'tier_downgraded',
        occurredAt: item.at,
        tier: item.to,
        message: `Your tier is now ${item.to} (was ${item.from}).`,
        detail: { from: item.from, to: item.to, reason: item.reason },
      };
    case 'notice':
      if (item.notice === 'points_expiring') {
        const on = localDay(item.expiresAt, program);
        const until = localDay(item.lastExpiresAt, program);
        return {
          ...customer,
          eventId: `${item.userId}:points_expiring:${item.expiresAt.slice(0, 10)}`,
          eventType: 'points_expiring',
          occurredAt: item.createdAt,
          message: on === until ? `${item.points} points expire on ${on}.` : `${item.points} points expire between ${on} and ${until}.`,
          detail: { points: item.points, expiresAt: item.expiresAt, lastExpiresAt: item.lastExpiresAt },
        };
      }
      return {
        ...customer,
        eventId: `${item.userId}:tier_will_downgrade:${item.reviewAt.slice(0, 10)}`,
        eventType: 'tier_will_downgrade',
        occurredAt: item.createdAt,
        tier: item.from,
        message: `Earn ${item.pointsNeeded} more points by ${localDay(item.reviewAt, program)} to keep ${item.from}, or your tier becomes ${item.to}.`,
        detail: { from: item.from, to: item.to, reviewAt: item.reviewAt, pointsNeeded: item.pointsNeeded },
      };
  }
}
