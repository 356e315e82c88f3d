import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { decodeNotifiedRecord, decodeStreamRecord } from '../../shared/adapters/dynamodb/stream-images';
import { keys } from '../../shared/adapters/dynamodb/table-keys';
import { deriveNotifications } from '../../shared/domain/notifications';
import { DEFAULT_PROGRAM, loadProgramConfig } from '../../shared/domain/program';
import { notifyChange } from '../../shared/notify/notify';

const insert = (item: Record<string, unknown>): DynamoDBRecord => ({
  eventName: 'INSERT',
  dynamodb: { NewImage: marshall(item) as never, SequenceNumber: '1' },
});

const expiry = {
  ...keys.expiry('u1', '2026-01-01T00:00:00.000Z', 4),
  entity: 'expiry',
  userId: 'u1',
  at: '2026-01-01T00:00:00.000Z',
  points: 70,
  balanceAfter: 30,
  reason: 'points earned on or before 2025-01-01 expired after 365 days',
};
const expiringNotice = {
  ...keys.notice('u1', 'points_expiring', '2026-02-01T00:00:00.000Z'),
  entity: 'notice',
  notice: 'points_expiring',
  userId: 'u1',
  createdAt: '2026-01-18T00:00:00.000Z',
  points: 40,
  firstExpiryAt: '2026-02-01T00:00:00.000Z',
  lastExpiresAt: '2026-02-10T00:00:00.000Z',
  coversUntil: '2026-02-15T00:00:00.000Z',
  expiresAt: 1_776_000_000,
};
const downgradeNotice = {
  ...keys.notice('u1', 'tier_will_downgrade', '2026-03-01T00:00:00.000Z'),
  entity: 'notice',
  notice: 'tier_will_downgrade',
  userId: 'u1',
  createdAt: '2026-01-30T00:00:00.000Z',
  reviewAt: '2026-03-01T00:00:00.000Z',
  from: 'Gold',
  to: 'Silver',
  pointsNeeded: 250,
};
const tierChange = {
  ...keys.tierChange('u1', '2026-03-01T00:00:00.000Z', 7),
  entity: 'tier_change',
  userId: 'u1',
  at: '2026-03-01T00:00:00.000Z',
  from: 'Gold',
  to: 'Silver',
  reason: 'r',
  points: 0,
};

const decodedNew = (item: Record<string, unknown>) => {
  const decoded = decodeNotifiedRecord(insert(item));
  if (!decoded.ok) throw new Error(decoded.reason);
  return decoded.change.new;
};

describe("the expiry run's records, announced", () => {
  test('each record yields its customer event once, under an id that follows from it', () => {
    const events = [expiry, expiringNotice, downgradeNotice, tierChange].map((item) =>
      deriveNotifications(undefined, decodedNew(item), DEFAULT_PROGRAM),
    );
    expect(events.map((e) => e.map((event) => [event.eventType, event.eventId, event.message]))).toEqual([
      [['points_expired', 'u1:points_expired:2026-01-01T00:00:00.000Z', '70 points expired. Balance: 30.']],
      [['points_expiring', 'u1:points_expiring:2026-02-01', '40 points expire between 2026-02-01 and 2026-02-10.']],
      [
        [
          'tier_will_downgrade',
          'u1:tier_will_downgrade:2026-03-01',
          'Earn 250 more points by 2026-03-01 to keep Gold, or your tier becomes Silver.',
        ],
      ],
      [['tier_downgraded', 'u1:tier_downgraded:2026-03-01T00:00:00.000Z', 'Your tier is now Silver (was Gold).']],
    ]);
    expect(
      events.flat().every((event) => event.audience === 'customer' && event.userId === 'u1' && event.transactionId === undefined),
    ).toBe(true);
  });

  test('a change to a record, or a copy moved to a pseudonym, announces nothing; the statistics decode none of them', () => {
    const item = decodedNew(expiry);
    expect(deriveNotifications(item, item, DEFAULT_PROGRAM)).toEqual([]);
    expect(deriveNotifications(undefined, decodedNew({ ...expiry, userId: 'anon-1' }), DEFAULT_PROGRAM)).toEqual([]);
    expect(decodeStreamRecord(insert(expiry))).toEqual({ ok: true, change: { old: undefined, new: undefined } });
  });

  test('service messages by default; a program may ask consent for them', async () => {
    const sent: string[] = [];
    const deps = (program = DEFAULT_PROGRAM) => ({
      program,
      log: { begin: async () => 'publish' as const, published: async () => undefined },
      publisher: {
        publish: async (event: { eventType: string }) => {
          sent.push(event.eventType);
          return ['topic'];
        },
      },
      contacts: { contactOf: async () => ({ marketingConsent: false }) },
    });
    await notifyChange(undefined, decodedNew(expiringNotice), deps());
    await notifyChange(
      undefined,
      decodedNew(expiringNotice),
      deps(loadProgramConfig(JSON.stringify({ notifications: { pointsAwarded: true, consentRequiredFor: ['points_expiring'] } }))),
    );
    expect(sent).toEqual(['points_expiring']);
  });
});
