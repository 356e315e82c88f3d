import fc from 'fast-check';
import { describeErrors, momaRecordSchema, validateMomaRecord } from '../../shared/domain/moma-record';
import { momaSale } from '../support/moma';

const errorsOf = (input: unknown) => {
  const result = validateMomaRecord(input);
  if (result.ok) throw new Error('expected a rejection');
  return result.errors;
};

describe('Moma record validation', () => {
  test('accepts a complete sale and normalises the card', () => {
    const result = validateMomaRecord({
      transactionId: 'TXN-20250101-001',
      date: '2025-01-01T14:30:00Z',
      amount: 350,
      cardNumber: '1234',
      product: 'Large Coffee',
      machineId: 'VEND-001',
    });
    expect(result).toEqual({
      ok: true,
      sale: {
        transactionId: 'TXN-20250101-001',
        date: '2025-01-01T14:30:00Z',
        amount: 350,
        cardNumber: { kind: 'lastFour', digits: '1234', lastFour: '1234' },
        product: 'Large Coffee',
        machineId: 'VEND-001',
      },
    });
  });

  test('strips spaces and dashes from full card numbers', () => {
    const result = validateMomaRecord(momaSale({ cardNumber: '4111-1111 1111-1111' }));
    expect(result.ok && result.sale.cardNumber).toEqual({ kind: 'full', digits: '4111111111111111', lastFour: '1111' });
  });

  test('ignores unknown fields', () => {
    const result = validateMomaRecord(momaSale({ currency: 'USD', extra: { nested: true } }));
    expect(result.ok && Object.keys(result.sale).sort()).toEqual(['amount', 'cardNumber', 'date', 'machineId', 'product', 'transactionId']);
  });

  test.each([
    [{ transactionId: '' }, 'transactionId', 'must not be empty'],
    [{ transactionId: 'x'.repeat(129) }, 'transactionId', 'must be at most 128 characters'],
    [{ transactionId: 42 }, 'transactionId', 'is required and must be a string'],
    [{ date: '2025-01-01 14:30' }, 'date', 'must be an ISO 8601 date-time with a time zone, e.g. 2025-01-01T14:30:00Z'],
    [{ date: '2025-01-01T14:30:00' }, 'date', 'must be an ISO 8601 date-time with a time zone, e.g. 2025-01-01T14:30:00Z'],
    [{ date: '2025-02-30T14:30:00Z' }, 'date', 'is not a real date'],
    [{ amount: 3.5 }, 'amount', 'must be an integer number of cents'],
    [{ amount: 0 }, 'amount', 'must be greater than 0'],
    [{ amount: 100_001 }, 'amount', 'must be at most 100000 cents'],
    [{ amount: '350' }, 'amount', 'is required and must be a number of cents'],
    [{ cardNumber: '123' }, 'cardNumber', 'must be 4 digits (last four) or 12 to 19 digits (full number); spaces and dashes are allowed'],
    [
      { cardNumber: '4111 1111 1111 111x' },
      'cardNumber',
      'must be 4 digits (last four) or 12 to 19 digits (full number); spaces and dashes are allowed',
    ],
    [
      { cardNumber: '41111111111111111111' },
      'cardNumber',
      'must be 4 digits (last four) or 12 to 19 digits (full number); spaces and dashes are allowed',
    ],
    [{ product: '  ' }, 'product', 'must not be empty'],
    [{ machineId: 'M'.repeat(65) }, 'machineId', 'must be at most 64 characters'],
  ])('rejects %j naming the field and the rule', (override, field, rule) => {
    expect(errorsOf(momaSale(override))).toEqual([{ field, rule }]);
  });

  test('reports every broken field at once', () => {
    const errors = errorsOf({ transactionId: 'T1' });
    expect(errors.map((e) => e.field).sort()).toEqual(['amount', 'cardNumber', 'date', 'machineId', 'product']);
    expect(describeErrors(errors)).toContain('amount is required and must be a number of cents');
  });

  test.each([null, 42, 'text', [1, 2]])('rejects a record that is not an object: %j', (input) => {
    expect(errorsOf(input)).toEqual([{ field: '(record)', rule: 'must be a JSON object' }]);
  });

  describe('own properties only', () => {
    const { amount: _amount, ...withoutAmount } = momaSale();

    test('an amount on the prototype is not an amount', () => {
      expect(errorsOf({ ...withoutAmount, __proto__: { amount: 350 } })).toEqual([
        { field: 'amount', rule: 'is required and must be a number of cents' },
      ]);
      expect(errorsOf(Object.assign(Object.create({ amount: 350 }), withoutAmount))).toEqual([
        { field: 'amount', rule: 'is required and must be a number of cents' },
      ]);
    });

    test.each(['__proto__', 'constructor', 'prototype'])('a "%s" key, as JSON.parse keeps it, never matters', (key) => {
      const parsed = JSON.parse(`{"${key}": {"amount": 350, "transactionId": "X"}, ${JSON.stringify(withoutAmount).slice(1)}`);
      expect(errorsOf(parsed)).toEqual([{ field: 'amount', rule: 'is required and must be a number of cents' }]);
      const complete = JSON.parse(`{"${key}": {"amount": 1}, ${JSON.stringify(momaSale({ amount: 350 })).slice(1)}`);
      const result = validateMomaRecord(complete);
      expect(result.ok && result.sale.amount).toBe(350);
    });

    test('a polluted Object.prototype supplies nothing', () => {
      const proto = Object.prototype as Record<string, unknown>;
      proto.amount = 350;
      try {
        expect(errorsOf(withoutAmount)).toEqual([{ field: 'amount', rule: 'is required and must be a number of cents' }]);
      } finally {
        delete proto.amount;
      }
    });
  });

  test.each(['4111 1111 1111 1111', '4111111111111111', 'TXN-4111-1111-1111-1111-A', 'ref 5500000000000004'])(
    'a card number in transactionId (%s) is refused',
    (transactionId) => {
      expect(errorsOf(momaSale({ transactionId }))).toEqual([{ field: 'transactionId', rule: 'must not contain a card number' }]);
    },
  );

  test('an id with digits that are not a card number is fine', () => {
    expect(validateMomaRecord(momaSale({ transactionId: 'TXN-20250101-000123456789' })).ok).toBe(true);
  });

  test('the amount cap follows the program', () => {
    expect(validateMomaRecord(momaSale({ amount: 600 }), momaRecordSchema(500)).ok).toBe(false);
  });

  test('property: any well-formed record is accepted and keeps its last four', () => {
    const record = fc.record({
      transactionId: fc.string({ minLength: 1, maxLength: 128 }).filter((s) => s.trim().length > 0 && s.trim() === s),
      date: fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
      amount: fc.integer({ min: 1, max: 100_000 }),
      cardNumber: fc.oneof(fc.stringMatching(/^\d{4}$/), fc.stringMatching(/^\d{12,19}$/)),
      product: fc.string({ minLength: 1, maxLength: 50 }).filter((s) => s.trim() === s && s.length > 0),
      machineId: fc.stringMatching(/^[A-Z]{1,8}-\d{1,5}$/),
    });
    fc.assert(
      fc.property(record, (r) => {
        const result = validateMomaRecord(r);
        return result.ok && result.sale.cardNumber.lastFour === r.cardNumber.slice(-4) && result.sale.amount === r.amount;
      }),
    );
  });

  test('property: any amount that is not a positive integer within the cap is rejected on amount', () => {
    const badAmount = fc.oneof(
      fc.integer({ max: 0 }),
      fc.integer({ min: 100_001 }),
      fc.double({ noNaN: true }).filter((n) => !Number.isInteger(n)),
    );
    fc.assert(fc.property(badAmount, (amount) => errorsOf(momaSale({ amount })).every((e) => e.field === 'amount')));
  });
});
