import { maskCardNumber, maskCardNumbers, maskCardNumbersInText, normalizeCardNumber } from '../../shared/domain/card-number';
import { describeFile, describeOrigin } from '../../shared/domain/sale';

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

describe('masking card numbers hidden beside other digits or oddly grouped', () => {
  test.each([
    ['T 12 4111111111111111', 'T 12 ************1111'],
    ['Qty 1 4111 1111 1111 1111', 'Qty 1 ************1111'],
    ['4111 1111 1111 1111 7', '************1111 7'],
    ['4111   1111   1111   1111', '************1111'],
    ['4111\n1111\n1111\n1111', '************1111'],
    ['4111 - 1111 - 1111 - 1111', '************1111'],
    ['4111.1111.1111.1111', '************1111'],
    ['TXN-20250101-001', 'TXN-20250101-001'],
    ['2025-01-01T14:30:00Z', '2025-01-01T14:30:00Z'],
  ])('%j is stored as %j', (input, masked) => {
    expect(maskCardNumbersInText(input)).toBe(masked);
  });
});

describe('origins, as sales and failures name them', () => {
  const CARD = '4111-1111-1111-1111';
  test.each([
    [{ kind: 's3', bucket: 'b', key: `in/${CARD}.json`, index: 3, line: 4 }, 's3://b/in/************1111.json line 4'],
    [{ kind: 's3-file', bucket: 'b', key: `in/${CARD}.json` }, 's3://b/in/************1111.json'],
    [{ kind: 'sqs', queue: 'moma', messageId: CARD, index: 0 }, 'sqs moma message ************1111 record 0'],
    [{ kind: 'sqs-message', queue: 'moma', messageId: CARD }, 'sqs moma message ************1111'],
    [{ kind: 'file-event', messageId: CARD }, 'file-events message ************1111'],
    [{ kind: 'csv', origin: `upload ${CARD}`, line: 2 }, 'csv upload ************1111 line 2'],
    [{ kind: 'csv-upload', origin: `upload ${CARD}` }, 'csv upload ************1111'],
    [{ kind: 'admin', action: `retry of ${CARD}` }, 'admin retry of ************1111'],
  ] as const)('%j is written with any card number masked', (origin, text) => {
    expect(describeOrigin(origin)).toBe(text);
  });

  test('a whole file is written as its origin is', () => {
    expect(describeFile({ bucket: 'b', key: `in/${CARD}.json` })).toBe(
      describeOrigin({ kind: 's3-file', bucket: 'b', key: `in/${CARD}.json` }),
    );
  });
});
