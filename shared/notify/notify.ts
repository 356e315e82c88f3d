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

/** How to reach a customer directly. */
export interface CustomerContacts {
  /** The customer's device endpoint, when they registered one. */
  pushEndpointOf(userId: string): Promise<string | undefined>;
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
    if ((await deps.log.begin(event)) === 'already_published') continue;
    const endpoint = event.audience === 'customer' && event.userId ? await deps.contacts.pushEndpointOf(event.userId) : undefined;
    await deps.log.published(event.eventId, await deps.publisher.publish(event, endpoint));
    sent.push(event);
  }
  return sent;
}
