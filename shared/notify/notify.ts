import type { NotifiedItem } from '../domain/committed-changes';
import { deriveNotifications, type NotificationEvent } from '../domain/notifications';
import type { ProgramConfig } from '../domain/program';
import { BoundedCache } from '../support/bounded-cache';

export interface NotificationPublisher {
  /** Publishes to every channel the event has; returns the channels used. */
  publish(event: NotificationEvent, pushEndpoint?: string): Promise<string[]>;
}

export interface NotificationLog {
  begin(event: NotificationEvent): Promise<'publish' | 'already_published'>;
  published(event: NotificationEvent, channels: string[]): Promise<void>;
}

export interface CustomerContact {
  /** The customer's device endpoint, when they registered one. */
  pushEndpoint?: string;
  /** Whether the customer agreed to marketing messages (false until they do). */
  marketingConsent: boolean;
}

/** How to reach a customer directly, and what they agreed to receive. */
export interface CustomerContacts {
  contactOf(userId: string, options?: { fresh?: boolean }): Promise<CustomerContact | undefined>;
}

export interface NotifyDeps {
  program: ProgramConfig;
  log: NotificationLog;
  publisher: NotificationPublisher;
  contacts: CustomerContacts;
}

/**
 * Announces what one committed change achieved, each event under its deterministic id: published, then recorded. A
 * change delivered again publishes only what was not published yet (the log knows what this process published).
 */
export async function notifyChange(
  before: NotifiedItem | undefined,
  after: NotifiedItem | undefined,
  deps: NotifyDeps,
): Promise<NotificationEvent[]> {
  const sent: NotificationEvent[] = [];
  for (const event of deriveNotifications(before, after, deps.program)) {
    const consentNeeded = needsConsent(event, deps.program);
    // A consent is read fresh each time (a withdrawal counts at once); a device endpoint may come from the cache.
    const contact =
      event.audience === 'customer' && event.userId ? await deps.contacts.contactOf(event.userId, { fresh: consentNeeded }) : undefined;
    // Without consent a marketing message is not sent anywhere, nor recorded as sent.
    if (consentNeeded && !contact?.marketingConsent) continue;
    if ((await deps.log.begin(event)) === 'already_published') continue;
    await deps.log.published(event, await deps.publisher.publish(event, contact?.pushEndpoint));
    sent.push(event);
  }
  return sent;
}

/**
 * Remembers customers' contacts for ten seconds: a customer's events come together (an award, its punch card, its
 * tier), and a removed device (an erasure, a new endpoint) stops receiving within that time.
 */
export class CachingCustomerContacts implements CustomerContacts {
  private readonly contacts: BoundedCache<string, CustomerContact | undefined>;

  constructor(
    private readonly source: CustomerContacts,
    options: { ttlMs?: number; maxEntries?: number; now?: () => number } = {},
  ) {
    this.contacts = new BoundedCache(options.maxEntries ?? 10_000, options.ttlMs ?? 10_000, options.now);
  }

  async contactOf(userId: string, options: { fresh?: boolean } = {}): Promise<CustomerContact | undefined> {
    if (!options.fresh) {
      const cached = this.contacts.get(userId);
      if (cached) return cached;
    }
    const contact = await this.source.contactOf(userId, options);
    if (contact) this.contacts.set(userId, contact);
    return contact;
  }
}

function needsConsent(event: NotificationEvent, program: ProgramConfig): boolean {
  return event.audience === 'customer' && (program.notifications.consentRequiredFor as string[]).includes(event.eventType);
}
