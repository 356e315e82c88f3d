import type { CommittedItem } from './committed-changes';
import type { Achievement } from './loyalty';
import type { ProgramConfig } from './program';

export type NotificationType = 'points_awarded' | 'punch_card_completed' | 'bonus_awarded' | 'tier_upgraded' | 'sale_unmatched';

export interface NotificationEvent {
  /** Deterministic: the same committed change always yields the same id, so subscribers can drop repeats. */
  eventId: string;
  eventType: NotificationType;
  audience: 'customer' | 'operators';
  transactionId: string;
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
  before: CommittedItem | undefined,
  after: CommittedItem | undefined,
  program: ProgramConfig,
): NotificationEvent[] {
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
  if (program.notifications.pointsAwarded) {
    events.push({
      ...base,
      ...customer,
      eventId: `${transactionId}:points_awarded`,
      eventType: 'points_awarded',
      audience: 'customer',
      message: `You earned ${after.purchasePoints} points. Balance: ${customer.balanceAfter}.`,
      detail: { points: after.purchasePoints, amountCents: after.amountCents, product: after.product },
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
