import type { CommittedItem } from '../domain/committed-changes';
import { deriveNotifications, type NotificationEvent } from '../domain/notifications';
import type { ProgramConfig } from '../domain/program';

export interface NotificationPublisher {
  /** Publishes to every channel the event has; returns the channels used. */
  publish(event: NotificationEvent, pushEndpoint?: string): Promise<string[]>;
}

export interface NotificationLog {
  begin(event: NotificationEvent): Promise<'publish' | 'already_published'>;
  published(eventId: string, channels: string[]): Promise<void>;
}

export interface CustomerContact {
  /** The customer's device endpoint, when they registered one. */
  pushEndpoint?: string;
  /** Whether the customer agreed to marketing messages (false until they do). */
  marketingConsent: boolean;
}

/** How to reach a customer directly, and what they agreed to receive. */
export interface CustomerContacts {
  contactOf(userId: string): Promise<CustomerContact | undefined>;
}

export interface NotifyDeps {
  program: ProgramConfig;
  log: NotificationLog;
  publisher: NotificationPublisher;
  contacts: CustomerContacts;
}

/**
 * Announces what one committed change achieved. At-least-once delivery from the stream becomes effectively
 * once: each event is recorded under its deterministic id before it is published, and marked when done.
 */
export async function notifyChange(
  before: CommittedItem | undefined,
  after: CommittedItem | undefined,
  deps: NotifyDeps,
): Promise<NotificationEvent[]> {
  const sent: NotificationEvent[] = [];
  for (const event of deriveNotifications(before, after, deps.program)) {
    const contact = event.audience === 'customer' && event.userId ? await deps.contacts.contactOf(event.userId) : undefined;
    // Without consent a marketing message is not sent anywhere, nor recorded as sent.
    if (needsConsent(event, deps.program) && !contact?.marketingConsent) continue;
    if ((await deps.log.begin(event)) === 'already_published') continue;
    await deps.log.published(event.eventId, await deps.publisher.publish(event, contact?.pushEndpoint));
    sent.push(event);
  }
  return sent;
}

function needsConsent(event: NotificationEvent, program: ProgramConfig): boolean {
  return event.audience === 'customer' && (program.notifications.consentRequiredFor as string[]).includes(event.eventType);
}
