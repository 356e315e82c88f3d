import { maskCardNumber, maskCardNumbers, maskCardNumbersInText, normalizeCardNumber } from '../../shared/domain/card-number';

describe('card numbers', () => {
  test('normalises last four and full numbers', () => {
    expect(normalizeCardNumber('1234')).toEqual({ kind: 'lastFour', digits: '1234', lastFour: '1234' });
    expect(normalizeCardNumber('4111-1111-1111-1111')).toEqual({ kind: 'full', digits: '4111111111111111', lastFour: '1111' });
    expect(normalizeCardNumber('12345')).toBeUndefined();
    expect(normalizeCardNumber('abcd')).toBeUndefined();
  });

  test('masks all but the last four', () => {
    expect(maskCardNumber('4111 1111 1111 1111')).toBe('************1111');
    expect(maskCardNumber('1234')).toBe('****');
    expect(maskCardNumber({ not: 'a card' })).toBe('[masked]');
  });

  test('masks card fields and stray card numbers anywhere in a record', () => {
    expect(
      maskCardNumbers({ cardNumber: '4111111111111111', note: 'paid with 5500 0000 0000 0004', amount: 350, nested: [{ CardNo: '1234' }] }),
    ).toEqual({
      cardNumber: '************1111',
      note: 'paid with ************0004',
      amount: 350,
      nested: [{ CardNo: '****' }],
    });
    expect(maskCardNumbersInText('TXN-20250101-001')).toBe('TXN-20250101-001');
  });
});
