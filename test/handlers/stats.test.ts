import type { DynamoDBStreamEvent } from 'aws-lambda';
import { keys } from '../../shared/adapters/dynamodb/table-keys';
import { ALL_TIME } from '../../shared/domain/stats';
import { lambdaContext } from '../support/lambda-events';
import { awardedSale, type MemoryStatsLedger, streamRecord, unmatchedSale } from '../support/stream-fakes';

// The stats port replaced by its in-memory fake: the test sees what the function adds to the statistics.
jest.mock('../../shared/wiring/stats', () => {
  const { MemoryStatsLedger } = jest.requireActual('../support/stream-fakes');
  const ledger = new MemoryStatsLedger();
  return { statsLedger: () => ledger };
});

import { handler } from '../../functions/stats/handler';

const ledger = (jest.requireMock('../../shared/wiring/stats') as { statsLedger: () => MemoryStatsLedger }).statsLedger();

const stored = ({ kind: _, ...sale }: ReturnType<typeof awardedSale> | ReturnType<typeof unmatchedSale>) => ({
  ...keys.sale(sale.transactionId),
  entity: 'sale',
  cardLast4: '1111',
  ...sale,
});
const event = (...records: DynamoDBStreamEvent['Records']): DynamoDBStreamEvent => ({ Records: records });

beforeEach(() => ledger.batches.clear());

describe('stats handler', () => {
  test('adds a batch to the statistics once, under the identity of its first and last records', async () => {
    const batch = event(
      streamRecord({ new: stored(awardedSale({ transactionId: 'S-1', amountCents: 350, points: 35 })) }, '100'),
      streamRecord({ new: { ...keys.customer('u1'), entity: 'customer', userId: 'u1', points: 35 } }, '101'),
      streamRecord({ new: stored(unmatchedSale({ transactionId: 'S-2' })) }, '102'),
    );

    await handler(batch, lambdaContext('stats'));
    await handler(batch, lambdaContext('stats'));

    expect([...ledger.batches.keys()]).toEqual(['100-102']);
    expect(ledger.batches.get('100-102')).toContainEqual({
      kind: 'sales',
      day: '2025-01-01',
      machineId: 'V1',
      product: 'Coffee',
      figures: { sales: 1, amountCents: 350, points: 35 },
    });
    expect(ledger.batches.get('100-102')).toContainEqual({
      kind: 'counts',
      day: ALL_TIME,
      counts: { awarded: 1, points: 35, unmatched: 1 },
    });
  });

  test('a record whose item does not parse is skipped; the rest of the batch still counts', async () => {
    const { amountCents: _, ...broken } = stored(awardedSale({ transactionId: 'S-3' }));
    await expect(
      handler(
        event(streamRecord({ new: broken }, '200'), streamRecord({ new: stored(awardedSale({ transactionId: 'S-4' })) }, '201')),
        lambdaContext('stats'),
      ),
    ).resolves.toBeUndefined();

    expect(ledger.batches.get('200-201')).toContainEqual({ kind: 'counts', day: ALL_TIME, counts: { awarded: 1, points: 35 } });
  });

  test('a batch with nothing to count writes nothing', async () => {
    const sale = stored(awardedSale());
    await handler(event(streamRecord({ old: sale, new: sale }, '300')), lambdaContext('stats'));
    await handler(event(), lambdaContext('stats'));
    expect(ledger.batches.size).toBe(0);
  });
});
