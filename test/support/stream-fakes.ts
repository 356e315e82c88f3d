import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { CommittedSale } from '../../shared/domain/committed-changes';
import type { NotificationEvent } from '../../shared/domain/notifications';
import type { StatsDelta } from '../../shared/domain/stats';
import type { CustomerContact, CustomerContacts, NotificationLog, NotificationPublisher } from '../../shared/notify/notify';
import type { StatsLedger } from '../../shared/stats/record-stats';

export type AwardedCommittedSale = Extract<CommittedSale, { status: 'awarded' | 'reversed' }>;
export type UnmatchedCommittedSale = Extract<CommittedSale, { status: 'unmatched' }>;

const saleFacts = {
  kind: 'sale',
  date: '2025-01-01T09:59:00.000Z',
  amountCents: 350,
  product: 'Coffee',
  machineId: 'V1',
  receivedAt: '2025-01-01T10:00:00.000Z',
} as const;

/** An awarded sale as the domain sees it once the stream image is decoded. */
export function awardedSale(overrides: Partial<AwardedCommittedSale> = {}): AwardedCommittedSale {
  return {
    ...saleFacts,
    transactionId: 'T-1',
    status: 'awarded',
    userId: 'u1',
    points: 35,
    purchasePoints: 35,
    balanceAfter: 35,
    tierAfter: 'Bronze',
    achievements: [],
    awardedAt: '2025-01-01T10:00:01.000Z',
    ...overrides,
  };
}

export function unmatchedSale(overrides: Partial<UnmatchedCommittedSale> = {}): UnmatchedCommittedSale {
  return { ...saleFacts, transactionId: 'T-1', status: 'unmatched', unmatchedReason: 'unknown_card', ...overrides };
}

/** A DynamoDB stream record (NEW_AND_OLD_IMAGES) carrying these stored items. */
export function streamRecord(
  images: { old?: Record<string, unknown>; new?: Record<string, unknown> },
  sequenceNumber = '100',
): DynamoDBRecord {
  const eventName = !images.old ? 'INSERT' : !images.new ? 'REMOVE' : 'MODIFY';
  return {
    eventID: `event-${sequenceNumber}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    eventSourceARN: 'arn:aws:dynamodb:us-east-1:123456789012:table/hi-vis/stream/2025',
    dynamodb: {
      SequenceNumber: sequenceNumber,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
      ...(images.old ? { OldImage: marshall(images.old, { removeUndefinedValues: true }) as never } : {}),
      ...(images.new ? { NewImage: marshall(images.new, { removeUndefinedValues: true }) as never } : {}),
    },
  };
}

/** The notification log: each event's state by id; `beginFault` and `publishedFault` inject DynamoDB errors. */
export class MemoryNotificationLog implements NotificationLog {
  readonly events = new Map<string, { event: NotificationEvent; status: 'pending' | 'published'; channels?: string[] }>();
  beginFault?: (event: NotificationEvent) => Error | undefined;

  async begin(event: NotificationEvent): Promise<'publish' | 'already_published'> {
    const fault = this.beginFault?.(event);
    if (fault) throw fault;
    const existing = this.events.get(event.eventId);
    if (existing?.status === 'published') return 'already_published';
    if (!existing) this.events.set(event.eventId, { event, status: 'pending' });
    return 'publish';
  }

  async published(event: NotificationEvent, channels: string[]): Promise<void> {
    const entry = this.events.get(event.eventId);
    if (!entry) throw new Error(`${event.eventId} was never begun`);
    Object.assign(entry, { status: 'published', channels });
  }

  statusOf(eventId: string) {
    return this.events.get(eventId)?.status;
  }
}

/** A publisher that records what it was asked to send; `fault` makes a publish fail (an SNS outage). */
export class RecordingPublisher implements NotificationPublisher {
  readonly sent: Array<{ event: NotificationEvent; pushEndpoint?: string }> = [];
  fault?: (event: NotificationEvent) => Error | undefined;

  async publish(event: NotificationEvent, pushEndpoint?: string): Promise<string[]> {
    const fault = this.fault?.(event);
    if (fault) throw fault;
    this.sent.push({ event, pushEndpoint });
    return pushEndpoint ? ['topic', 'push'] : ['topic'];
  }
}

/** Customers' device endpoints and consents (everyone consents unless told); the lookups made are kept. */
export class MemoryContacts implements CustomerContacts {
  readonly lookups: string[] = [];

  constructor(
    private readonly endpoints: Record<string, string> = {},
    private readonly withoutConsent: ReadonlySet<string> = new Set(),
  ) {}

  async contactOf(userId: string): Promise<CustomerContact> {
    this.lookups.push(userId);
    return { pushEndpoint: this.endpoints[userId], marketingConsent: !this.withoutConsent.has(userId) };
  }
}

/** The statistics: batches applied once by id, with every delta they carried. */
export class MemoryStatsLedger implements StatsLedger {
  readonly batches = new Map<string, StatsDelta[]>();

  async apply(batchId: string, deltas: StatsDelta[]): Promise<'applied' | 'already_applied'> {
    if (this.batches.has(batchId)) return 'already_applied';
    this.batches.set(batchId, deltas);
    return 'applied';
  }
}
