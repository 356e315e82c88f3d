import fc from 'fast-check';
import { decodeStreamRecord, streamBatchId } from '../../shared/adapters/dynamodb/stream-images';
import { indexKeys, keys } from '../../shared/adapters/dynamodb/table-keys';
import { deriveNotifications } from '../../shared/domain/notifications';
import { DEFAULT_PROGRAM, TIER_NAMES } from '../../shared/domain/program';
import { type AwardedCommittedSale, awardedSale, streamRecord, unmatchedSale } from '../support/stream-fakes';

/** The sale item as the loyalty ledger stores it: the domain's facts plus keys, index keys, card hashes and provenance. */
function storedSale({ kind: _, ...sale }: ReturnType<typeof awardedSale> | ReturnType<typeof unmatchedSale>) {
  return {
    ...keys.sale(sale.transactionId),
    GSI3PK:
      sale.status === 'unmatched' ? indexKeys.byDay('UNMATCHED', sale.date) : indexKeys.byDayShard('SALE', sale.date, sale.transactionId),
    GSI3SK: `${sale.date}#${sale.transactionId}`,
    ...(sale.status === 'unmatched'
      ? { candidateCount: 0 }
      : { GSI1PK: indexKeys.customerSales(sale.userId), GSI1SK: `${sale.date}#${sale.transactionId}`, bonusPoints: 0 }),
    entity: 'sale',
    cardLast4: '1111',
    cardLast4Hash: 'f'.repeat(64),
    cardFullHash: 'e'.repeat(64),
    contentHash: 'c'.repeat(64),
    source: 'sqs:moma:m-1',
    ...sale,
  };
}

describe('decodeStreamRecord', () => {
  test('a stored awarded sale decodes to the domain’s sale, without keys, index keys or card attributes', () => {
    const sale = awardedSale({
      transactionId: 'T-9',
      achievements: [{ type: 'tier_upgraded', from: 'Bronze', to: 'Silver' }],
      tierAfter: 'Silver',
    });

    const decoded = decodeStreamRecord(streamRecord({ new: storedSale(sale) }));

    expect(decoded).toEqual({ ok: true, change: { old: undefined, new: sale } });
    const text = JSON.stringify(decoded);
    expect(text).not.toMatch(/PK|SK|GSI|entity|card|1111|contentHash/);
    if (decoded.ok) expect(JSON.stringify(deriveNotifications(undefined, decoded.change.new, DEFAULT_PROGRAM))).not.toMatch(/card|1111/);
  });

  test('an unmatched sale assigned to its customer decodes both images', () => {
    const held = unmatchedSale({ transactionId: 'T-3', unmatchedReason: 'ambiguous' });
    const awarded = awardedSale({ transactionId: 'T-3' });
    expect(decodeStreamRecord(streamRecord({ old: storedSale(held), new: storedSale(awarded) }))).toEqual({
      ok: true,
      change: { old: held, new: awarded },
    });
  });

  test('conflicts and failures decode to their domain values', () => {
    const conflict = {
      ...keys.conflict('T-1', 'c'.repeat(64)),
      entity: 'conflict',
      transactionId: 'T-1',
      detectedAt: '2025-01-02T00:00:00.000Z',
      existingStatus: 'awarded',
      incoming: { transactionId: 'T-1' },
    };
    expect(decodeStreamRecord(streamRecord({ new: conflict }))).toEqual({
      ok: true,
      change: { new: { kind: 'conflict', transactionId: 'T-1', detectedAt: '2025-01-02T00:00:00.000Z' } },
    });
    const failure = {
      ...keys.failure('f-1'),
      entity: 'failure',
      failureId: 'f-1',
      status: 'open',
      firstSeenAt: '2025-01-01T00:00:00.000Z',
      reason: 'x',
      occurrences: 1,
    };
    const resolved = { ...failure, status: 'resolved', resolvedAt: '2025-01-03T00:00:00.000Z' };
    expect(decodeStreamRecord(streamRecord({ old: failure, new: resolved }))).toEqual({
      ok: true,
      change: {
        old: { kind: 'failure', status: 'open', firstSeenAt: '2025-01-01T00:00:00.000Z' },
        new: { kind: 'failure', status: 'resolved', firstSeenAt: '2025-01-01T00:00:00.000Z', resolvedAt: '2025-01-03T00:00:00.000Z' },
      },
    });
  });

  test.each([
    ['a customer', { ...keys.customer('u1'), entity: 'customer', userId: 'u1', points: 10 }],
    ['a notification', { PK: 'NOTIFICATION#e', SK: 'NOTIFICATION', entity: 'notification', status: 'pending' }],
    ['a statistics item', { PK: 'STATS#2025-01-01', SK: 'TOTAL', entity: 'stats', awarded: 3 }],
    ['an item with no entity', { PK: 'X', SK: 'Y' }],
    ['an entity named like an object property', { PK: 'X', SK: 'Y', entity: 'constructor' }],
  ])('%s is not followed: its change decodes to an empty change', (_, item) => {
    expect(decodeStreamRecord(streamRecord({ old: item, new: item }))).toEqual({ ok: true, change: {} });
  });

  test('a followed item that does not parse is refused with a reason naming the image and the attribute', () => {
    const { amountCents: _, ...noAmount } = storedSale(awardedSale());
    const refused = decodeStreamRecord(streamRecord({ new: noAmount }));
    expect(refused).toEqual({ ok: false, reason: expect.stringMatching(/^new image: sale item does not parse: amountCents/) });

    const badTier = { ...storedSale(awardedSale()), tierAfter: 'Diamond' };
    expect(decodeStreamRecord(streamRecord({ old: badTier, new: storedSale(awardedSale()) }))).toEqual({
      ok: false,
      reason: expect.stringMatching(/^old image: sale item does not parse: tierAfter/),
    });
    expect(decodeStreamRecord(streamRecord({ new: { ...storedSale(awardedSale()), status: 'lost' } }))).toMatchObject({ ok: false });
  });

  test('a record without images (a keys-only stream) decodes to an empty change', () => {
    expect(decodeStreamRecord(streamRecord({}))).toEqual({ ok: true, change: {} });
  });

  const isoDate = fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }).map((d) => d.toISOString());
  const achievement = fc.oneof(
    fc.record({ type: fc.constant('punch_card_completed' as const), cardsCompleted: fc.nat() }),
    fc.record({ type: fc.constant('bonus_awarded' as const), points: fc.nat(), reason: fc.constant('punch_card' as const) }),
    fc.record({ type: fc.constant('tier_upgraded' as const), from: fc.constantFrom(...TIER_NAMES), to: fc.constantFrom(...TIER_NAMES) }),
  );
  const anySale: fc.Arbitrary<AwardedCommittedSale> = fc.record({
    kind: fc.constant('sale' as const),
    transactionId: fc.string({ minLength: 1, maxLength: 40 }),
    status: fc.constantFrom('awarded' as const, 'reversed' as const),
    date: isoDate,
    amountCents: fc.integer({ min: 1, max: 100_000 }),
    product: fc.string({ minLength: 1 }),
    machineId: fc.string({ minLength: 1 }),
    receivedAt: isoDate,
    userId: fc.string({ minLength: 1 }),
    points: fc.nat(),
    purchasePoints: fc.nat(),
    balanceAfter: fc.nat(),
    tierAfter: fc.constantFrom(...TIER_NAMES),
    achievements: fc.array(achievement, { maxLength: 3 }),
    awardedAt: isoDate,
  });

  test('property: every stored sale decodes back to the sale that was stored', () => {
    fc.assert(
      fc.property(anySale, (sale) => {
        expect(decodeStreamRecord(streamRecord({ new: storedSale(sale) }))).toEqual({ ok: true, change: { old: undefined, new: sale } });
      }),
      { seed: 20250101 },
    );
  });

  test('property: no stored content throws; a followed entity either decodes or is refused with a reason', () => {
    const anyItem = fc.dictionary(
      fc.constantFrom('entity', 'status', 'transactionId', 'date', 'amountCents', 'detectedAt', 'firstSeenAt', 'achievements', 'x'),
      fc.oneof(
        fc.constantFrom('sale', 'conflict', 'failure', 'awarded', 'open'),
        fc.string(),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
      ),
    );
    fc.assert(
      fc.property(fc.option(anyItem, { nil: undefined }), fc.option(anyItem, { nil: undefined }), (old, next) => {
        const decoded = decodeStreamRecord(streamRecord({ old, new: next }));
        if (!decoded.ok) expect(decoded.reason).toMatch(/^(old|new) image: /);
      }),
      { seed: 20250101 },
    );
  });
});

test('a batch is identified by its first and last sequence numbers', () => {
  expect(streamBatchId([streamRecord({}, '100'), streamRecord({}, '150'), streamRecord({}, '200')])).toBe('100-200');
  expect(streamBatchId([streamRecord({}, '7')])).toBe('7-7');
});
