import { retryFailure } from '../../shared/admin/failures';
import type { StoredFailure } from '../../shared/admin/ports';
import { normalizeCardNumber } from '../../shared/domain/card-number';
import { memoryAdmin } from '../support/admin-fakes';
import { testHasher } from '../support/fakes';
import { momaSale } from '../support/moma';

const ID = '0123456789abcdef0123456789abcdef';

function retryCopy(record: Record<string, unknown>) {
  const { cardNumber, ...fields } = record;
  return JSON.stringify({ record: fields, card: testHasher.hash(normalizeCardNumber(String(cardNumber))!) });
}

function world(failure: Partial<StoredFailure>) {
  const admin = memoryAdmin();
  admin.storedFailures.items.set(ID, { status: 'open', reason: 'invalid record', source: 'sqs message m-1', ...failure });
  return { ...admin, deps: { ...admin.deps, storedFailures: admin.storedFailures } };
}

describe('retryFailure, against in-memory ports', () => {
  test('a fixed failure is reprocessed through the award path and resolved; asking again changes nothing', async () => {
    const { deps, ledger, storedFailures } = world({ retryRecord: retryCopy(momaSale({ transactionId: 'T-1', amount: 450 })) });
    expect(await retryFailure(ID, deps)).toEqual({ failureId: ID, status: 'resolved', outcome: 'awarded', alreadyResolved: false });
    expect(ledger.accounts.get('pat')).toMatchObject({ points: 45, purchaseCount: 1 });
    expect(storedFailures.items.get(ID)).toMatchObject({ status: 'resolved', outcome: 'awarded', retries: 1 });
    expect(await retryFailure(ID, deps)).toEqual({ failureId: ID, status: 'resolved', outcome: 'awarded', alreadyResolved: true });
    expect(ledger.accounts.get('pat')).toMatchObject({ purchaseCount: 1 });
  });

  test('a record that still fails is 422 with its errors, and the failure keeps the new reason', async () => {
    const { deps, storedFailures } = world({ retryRecord: retryCopy(momaSale({ transactionId: 'T-2', amount: -5 })) });
    await expect(retryFailure(ID, deps)).rejects.toMatchObject({ status: 422, message: expect.stringContaining('still fails') });
    expect(storedFailures.items.get(ID)).toMatchObject({
      status: 'open',
      reason: expect.stringMatching(/^invalid record: /),
      errors: [expect.objectContaining({ field: 'amount' })],
      retries: 1,
    });
  });

  test('an unknown failure is 404; one without a retry copy is 409', async () => {
    const { deps } = world({ retryRecord: null, reason: 'not JSON' });
    await expect(retryFailure('f'.repeat(32), deps)).rejects.toMatchObject({ status: 404 });
    await expect(retryFailure(ID, deps)).rejects.toMatchObject({ status: 409, message: expect.stringContaining('(not JSON)') });
  });
});
