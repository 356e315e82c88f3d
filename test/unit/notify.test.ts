import { DEFAULT_PROGRAM, loadProgramConfig } from '../../shared/domain/program';
import { type NotifyDeps, notifyChange } from '../../shared/notify/notify';
import { awardedSale, MemoryContacts, MemoryNotificationLog, RecordingPublisher, unmatchedSale } from '../support/stream-fakes';

const DEVICE = 'arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/device-1';

function fakes(endpoints: Record<string, string> = { u1: DEVICE }) {
  const log = new MemoryNotificationLog();
  const publisher = new RecordingPublisher();
  const contacts = new MemoryContacts(endpoints);
  const deps: NotifyDeps = { program: DEFAULT_PROGRAM, log, publisher, contacts };
  return { deps, log, publisher, contacts };
}

const punchCardSale = awardedSale({
  transactionId: 'T-42',
  balanceAfter: 560,
  tierAfter: 'Silver',
  achievements: [
    { type: 'punch_card_completed', cardsCompleted: 1 },
    { type: 'bonus_awarded', points: 50, reason: 'punch_card' },
  ],
});

describe('notifyChange', () => {
  test("publishes each event of a new award with the customer's device, and marks each published", async () => {
    const { deps, log, publisher, contacts } = fakes();

    const sent = await notifyChange(undefined, punchCardSale, deps);

    expect(sent.map((e) => e.eventId)).toEqual(['T-42:points_awarded', 'T-42:punch_card_completed', 'T-42:bonus_awarded']);
    expect(publisher.sent.map((s) => [s.event.eventType, s.pushEndpoint])).toEqual([
      ['points_awarded', DEVICE],
      ['punch_card_completed', DEVICE],
      ['bonus_awarded', DEVICE],
    ]);
    expect(contacts.lookups).toEqual(['u1', 'u1', 'u1']);
    expect([...log.events.values()].map((e) => [e.status, e.channels])).toEqual([
      ['published', ['topic', 'push']],
      ['published', ['topic', 'push']],
      ['published', ['topic', 'push']],
    ]);
  });

  test('a customer without a device gets the topic message only', async () => {
    const { deps, publisher, log } = fakes({});
    await notifyChange(undefined, punchCardSale, deps);
    expect(publisher.sent.every((s) => s.pushEndpoint === undefined)).toBe(true);
    expect(log.events.get('T-42:bonus_awarded')?.channels).toEqual(['topic']);
  });

  test('a redelivered change publishes nothing that was already published', async () => {
    const { deps, publisher } = fakes();
    await notifyChange(undefined, punchCardSale, deps);

    const again = await notifyChange(undefined, punchCardSale, deps);

    expect(again).toEqual([]);
    expect(publisher.sent).toHaveLength(3);
  });

  test('a failed publish fails the change; the retry publishes the events not yet published, each once', async () => {
    const { deps, log, publisher } = fakes();
    publisher.fault = (event) => (event.eventType === 'punch_card_completed' ? new Error('Rate exceeded') : undefined);

    await expect(notifyChange(undefined, punchCardSale, deps)).rejects.toThrow('Rate exceeded');
    expect(log.statusOf('T-42:points_awarded')).toBe('published');
    expect(log.statusOf('T-42:punch_card_completed')).toBe('pending');
    expect(log.statusOf('T-42:bonus_awarded')).toBeUndefined();

    publisher.fault = undefined;
    const retried = await notifyChange(undefined, punchCardSale, deps);

    expect(retried.map((e) => e.eventType)).toEqual(['punch_card_completed', 'bonus_awarded']);
    expect(publisher.sent.map((s) => s.event.eventType)).toEqual(['points_awarded', 'punch_card_completed', 'bonus_awarded']);
  });

  test('an unmatched sale goes to the operators, with no customer looked up', async () => {
    const { deps, publisher, contacts } = fakes();
    const sent = await notifyChange(undefined, unmatchedSale({ transactionId: 'T-7', unmatchedReason: 'ambiguous' }), deps);
    expect(sent.map((e) => [e.eventId, e.audience])).toEqual([['T-7:sale_unmatched', 'operators']]);
    expect(publisher.sent[0]?.pushEndpoint).toBeUndefined();
    expect(contacts.lookups).toEqual([]);
  });

  test('a change that is not a new award or a new unmatched sale touches nothing', async () => {
    const { deps, log, publisher } = fakes();
    const reversed = { ...punchCardSale, status: 'reversed' as const };
    expect(await notifyChange(punchCardSale, reversed, deps)).toEqual([]);
    expect(await notifyChange(punchCardSale, punchCardSale, deps)).toEqual([]);
    expect(
      await notifyChange(undefined, { kind: 'conflict', transactionId: 'T-42', detectedAt: '2025-01-01T10:00:00.000Z' }, deps),
    ).toEqual([]);
    expect(await notifyChange(undefined, undefined, deps)).toEqual([]);
    expect(log.events.size).toBe(0);
    expect(publisher.sent).toEqual([]);
  });

  test('an unmatched sale that is later assigned announces the award to its customer', async () => {
    const { deps, publisher } = fakes();
    await notifyChange(unmatchedSale({ transactionId: 'T-8' }), awardedSale({ transactionId: 'T-8' }), deps);
    expect(publisher.sent.map((s) => [s.event.eventId, s.pushEndpoint])).toEqual([['T-8:points_awarded', DEVICE]]);
  });
});

describe('consent to marketing messages', () => {
  test('points_awarded goes only to a customer who consented; service messages go to everyone', async () => {
    const log = new MemoryNotificationLog();
    const publisher = new RecordingPublisher();
    const deps: NotifyDeps = { program: DEFAULT_PROGRAM, log, publisher, contacts: new MemoryContacts({ u1: DEVICE }, new Set(['u1'])) };

    const sent = await notifyChange(undefined, punchCardSale, deps);

    expect(sent.map((e) => e.eventType)).toEqual(['punch_card_completed', 'bonus_awarded']);
    expect(publisher.sent.map((s) => s.event.eventType)).toEqual(['punch_card_completed', 'bonus_awarded']);
    expect(log.events.has('T-42:points_awarded')).toBe(false);
  });

  test('the program decides which messages need consent', async () => {
    const publisher = new RecordingPublisher();
    const program = {
      ...DEFAULT_PROGRAM,
      notifications: { pointsAwarded: true, consentRequiredFor: ['points_awarded' as const, 'bonus_awarded' as const] },
    };
    const deps: NotifyDeps = { program, log: new MemoryNotificationLog(), publisher, contacts: new MemoryContacts({}, new Set(['u1'])) };

    await notifyChange(undefined, punchCardSale, deps);

    expect(publisher.sent.map((s) => s.event.eventType)).toEqual(['punch_card_completed']);
  });

  test('an override that does not name consentRequiredFor keeps its default', () => {
    expect(loadProgramConfig('{"notifications":{"pointsAwarded":true}}').notifications.consentRequiredFor).toEqual(['points_awarded']);
  });
});
