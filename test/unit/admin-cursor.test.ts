import { randomBytes } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { CursorSigner, DynamoDbAdminQueries } from '../../shared/adapters/dynamodb/admin-queries';
import { daysIn } from '../../shared/admin/days';
import { InvalidCursorError } from '../../shared/admin/errors';

const position = z.strictObject({ day: z.string(), n: z.number().optional() });
const listing = JSON.stringify(['byDay', 'SALE', '2025-01-01', '2025-01-31', null]);

function rejection(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidCursorError);
    return (err as InvalidCursorError).rule;
  }
  throw new Error('the cursor was accepted');
}

describe('signed cursors', () => {
  const signer = new CursorSigner(randomBytes(32));
  const valid = signer.seal(listing, { day: '2025-01-20', n: 3 });

  test('a cursor this listing issued opens to its position', () => {
    expect(signer.open(listing, valid, position)).toEqual({ day: '2025-01-20', n: 3 });
    expect(valid).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  });

  test('a tampered payload or a wrong signature is refused', () => {
    const [payload, signature] = valid.split('.') as [string, string];
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), position: { day: '2025-01-31' } }),
    ).toString('base64url');
    expect(rejection(() => signer.open(listing, `${forged}.${signature}`, position))).toMatch(/altered/);
    const flipped = signature.slice(0, -1) + (signature.endsWith('A') ? 'B' : 'A');
    expect(rejection(() => signer.open(listing, `${payload}.${flipped}`, position))).toMatch(/altered/);
    expect(rejection(() => new CursorSigner(randomBytes(32)).open(listing, valid, position))).toMatch(/altered/);
  });

  test('a cursor of another listing (kind, filter or range) is refused as foreign', () => {
    for (const other of [
      JSON.stringify(['byDay', 'FAILURE', '2025-01-01', '2025-01-31', null]),
      JSON.stringify(['byDay', 'SALE', '2025-01-01', '2025-01-31', 'VEND-1']),
      JSON.stringify(['byDay', 'SALE', '2025-01-02', '2025-01-31', null]),
    ]) {
      expect(rejection(() => signer.open(other, valid, position))).toMatch(/another listing/);
    }
  });

  test('malformed and truncated cursors are refused', () => {
    for (const bad of [
      'garbage!',
      'a.b',
      valid.slice(0, -1),
      valid.slice(1 + valid.indexOf('.')),
      `${valid}.x`,
      '.'.repeat(5),
      Buffer.from('{"day":"2025-01-01"}').toString('base64url'),
    ]) {
      expect(rejection(() => signer.open(listing, bad, position))).toMatch(/not a cursor this API returned|altered/);
    }
    expect(rejection(() => signer.open(listing, 'a'.repeat(5_000), position))).toMatch(/at most 2048/);
  });

  test('a signed cursor whose position has the wrong shape is refused', () => {
    const odd = signer.seal(listing, { day: 7, extra: true });
    expect(rejection(() => signer.open(listing, odd, position))).toMatch(/position this listing cannot have/);
  });

  test('the adapter refuses a foreign cursor before it queries anything', async () => {
    const send = jest.fn();
    const queries = new DynamoDbAdminQueries({ send } as unknown as DynamoDBDocumentClient, 'table', signer);
    const range = { from: '2025-01-01', to: '2025-01-31' };
    const fromSales = signer.seal(JSON.stringify(['byDay', 'SALE', range.from, range.to, null]), { day: '2025-01-20' });
    await expect(queries.byDay('failures', range, 10, fromSales)).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(queries.customerSales('ann', 10, fromSales)).rejects.toBeInstanceOf(InvalidCursorError);
    const outOfRange = signer.seal(JSON.stringify(['byDay', 'SALE', range.from, range.to, null]), { day: '2026-01-01' });
    await expect(queries.byDay('sales', range, 10, outOfRange)).rejects.toThrow(/position this listing cannot have/);
    const wrongPartition = signer.seal(JSON.stringify(['byDay', 'SALE', range.from, range.to, null]), {
      day: '2025-01-20',
      key: { PK: 'a', SK: 'b', GSI3PK: 'FAILURE#2025-01-20', GSI3SK: 'c' },
    });
    await expect(queries.byDay('sales', range, 10, wrongPartition)).rejects.toThrow(/position this listing cannot have/);
    expect(send).not.toHaveBeenCalled();
  });

  test('the adapter pages with cursors it can open again', async () => {
    const lastKey = { PK: 'SALE#t2', SK: 'SALE', GSI1PK: 'CUSTOMER#ann', GSI1SK: '2025-01-02#t2' };
    const send = jest
      .fn()
      .mockResolvedValueOnce({ Items: [{ transactionId: 't2' }], LastEvaluatedKey: lastKey })
      .mockResolvedValueOnce({ Items: [{ transactionId: 't1' }] });
    const queries = new DynamoDbAdminQueries({ send } as unknown as DynamoDBDocumentClient, 'table', signer);
    const first = await queries.customerSales('ann', 1);
    expect(first.nextCursor).toBeDefined();
    await expect(queries.customerSales('bob', 1, first.nextCursor)).rejects.toThrow(/another listing/);
    const second = await queries.customerSales('ann', 1, first.nextCursor);
    expect(second.items).toEqual([{ transactionId: 't1' }]);
    expect(send.mock.calls[1][0].input.ExclusiveStartKey).toEqual(lastKey);
  });

  test('ranges are counted without expanding them', () => {
    expect(daysIn({ from: '2025-01-01', to: '2025-01-01' })).toBe(1);
    expect(daysIn({ from: '2024-01-01', to: '2024-12-31' })).toBe(366);
    expect(daysIn({ from: '0001-01-01', to: '9999-12-31' })).toBe(3_652_059);
  });
});
