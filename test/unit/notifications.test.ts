import type { CommittedSale } from '../../shared/domain/committed-changes';
import { newAccount, planAward } from '../../shared/domain/loyalty';
import { deriveNotifications } from '../../shared/domain/notifications';
import { DEFAULT_PROGRAM } from '../../shared/domain/program';

/** The sale the award transaction writes, as the stream's new image shows it once decoded. */
function awardedSaleImage(
  transactionId: string,
  accountBefore = newAccount('u1'),
  amountCents = 350,
): Extract<CommittedSale, { status: 'awarded' | 'reversed' }> {
  const plan = planAward(accountBefore, amountCents, DEFAULT_PROGRAM);
  return {
    kind: 'sale',
    transactionId,
    status: 'awarded',
    userId: 'u1',
    date: '2025-01-01T09:59:00.000Z',
    amountCents,
    product: 'Coffee',
    machineId: 'V1',
    receivedAt: '2025-01-01T10:00:00.000Z',
    purchasePoints: plan.purchasePoints,
    points: plan.totalPoints,
    balanceAfter: plan.after.points,
    tierAfter: plan.after.tier,
    achievements: plan.achievements,
    awardedAt: '2025-01-01T10:00:00.000Z',
  };
}

describe('deriveNotifications', () => {
  test('a sale a campaign doubled says how many of its points the campaign gave', () => {
    const doubled = { ...awardedSaleImage('T-CAMPAIGN'), campaignPoints: 35, points: 70, balanceAfter: 70 };
    const [awarded] = deriveNotifications(undefined, doubled, DEFAULT_PROGRAM);
    expect(awarded).toMatchObject({
      eventType: 'points_awarded',
      message: 'You earned 70 points (35 from a campaign). Balance: 70.',
      detail: { points: 70, campaignPoints: 35 },
    });
  });

  test('a sale that completes a punch card and crosses a tier at once yields each event once', () => {
    const nearly = { ...newAccount('u1'), points: 440, lifetimePoints: 440, punchCount: 9, purchaseCount: 9 };
    const events = deriveNotifications(undefined, awardedSaleImage('T10', nearly, 100), DEFAULT_PROGRAM);
    expect(events.map((e) => [e.eventId, e.eventType])).toEqual([
      ['T10:points_awarded', 'points_awarded'],
      ['T10:punch_card_completed', 'punch_card_completed'],
      ['T10:bonus_awarded', 'bonus_awarded'],
      ['T10:tier_upgraded', 'tier_upgraded'],
    ]);
    expect(events.every((e) => e.userId === 'u1' && e.balanceAfter === 500 && e.transactionId === 'T10')).toBe(true);
    expect(events.find((e) => e.eventType === 'tier_upgraded')!.detail).toEqual({ from: 'Bronze', to: 'Silver' });
    expect(events.find((e) => e.eventType === 'bonus_awarded')!.message).toBe('Punch card complete: 50 bonus points!');
    expect(JSON.stringify(events)).not.toMatch(/cardNumber|cardLast4|1111/);
  });

  test('a duplicate writes nothing, so yields nothing; neither does a change that is not a new award', () => {
    const sale = awardedSaleImage('T1');
    expect(deriveNotifications(sale, sale, DEFAULT_PROGRAM)).toEqual([]);
    expect(deriveNotifications(sale, { ...sale, status: 'reversed' }, DEFAULT_PROGRAM)).toEqual([]);
    expect(
      deriveNotifications(undefined, { kind: 'failure', status: 'open', firstSeenAt: '2025-01-01T10:00:00.000Z' }, DEFAULT_PROGRAM),
    ).toEqual([]);
  });

  test('an unmatched sale is announced to operators, an assigned one to its customer', () => {
    const held: CommittedSale = {
      kind: 'sale',
      transactionId: 'T2',
      status: 'unmatched',
      unmatchedReason: 'ambiguous',
      date: '2025-01-01T09:59:00.000Z',
      amountCents: 250,
      product: 'Coffee',
      machineId: 'V1',
      receivedAt: '2025-01-01T10:00:00.000Z',
    };
    expect(deriveNotifications(undefined, held, DEFAULT_PROGRAM)).toEqual([
      expect.objectContaining({
        eventId: 'T2:sale_unmatched',
        audience: 'operators',
        message: 'Unmatched sale T2: the card matches more than one customer',
      }),
    ]);
    expect(deriveNotifications(held, awardedSaleImage('T2'), DEFAULT_PROGRAM).map((e) => e.eventType)).toEqual(['points_awarded']);
  });

  test('points_awarded can be turned off in the program', () => {
    const quiet = { ...DEFAULT_PROGRAM, notifications: { ...DEFAULT_PROGRAM.notifications, pointsAwarded: false } };
    expect(deriveNotifications(undefined, awardedSaleImage('T3'), quiet)).toEqual([]);
  });
});
