import { HmacCardHasher } from '../../shared/adapters/card-hasher';
import { parseCardPeppers } from '../../shared/adapters/pepper';
import { normalizeCardNumber } from '../../shared/domain/card-number';

const A = 'pepper-a-0123456789abcdef0123456789abcdef';
const B = 'pepper-b-0123456789abcdef0123456789abcdef';
const card = normalizeCardNumber('4111 1111 1111 1111')!;

describe('the card pepper secret', () => {
  test('a plain value is the pepper, without surrounding whitespace', () => {
    expect(parseCardPeppers(`  ${A}\n`, 'secret x')).toEqual({ current: A });
  });

  test('during a rotation it holds the current and the previous pepper', () => {
    expect(parseCardPeppers(JSON.stringify({ current: B, previous: A }), 'secret x')).toEqual({ current: B, previous: A });
  });

  test.each([
    ['{"current": ', 'looks like JSON but is not'],
    ['{"previous": "x"}', 'must be {"current"'],
    ['{"current": "x", "next": "y"}', 'must be {"current"'],
    ['{"current": ""}', 'must be {"current"'],
  ])('%s is refused with a message naming the secret', (value, message) => {
    expect(() => parseCardPeppers(value, 'secret hivis/card-pepper')).toThrow(message);
    expect(() => parseCardPeppers(value, 'secret hivis/card-pepper')).toThrow('secret hivis/card-pepper');
  });
});

describe('hashing cards during a pepper rotation', () => {
  test('hashes under the current pepper, and under the previous one beside them', () => {
    const before = new HmacCardHasher(A).hash(card);
    const during = new HmacCardHasher({ current: B, previous: A }).hash(card);
    const after = new HmacCardHasher(B).hash(card);

    expect(during.fullHash).toBe(after.fullHash);
    expect(during.lastFourHash).toBe(after.lastFourHash);
    expect(during.previous).toEqual({ fullHash: before.fullHash, lastFourHash: before.lastFourHash });
    expect(during.fullHash).not.toBe(before.fullHash);
    expect(after.previous).toBeUndefined();
  });

  test('a last-four card has no full hash under either pepper', () => {
    const during = new HmacCardHasher({ current: B, previous: A }).hash(normalizeCardNumber('1111')!);
    expect(during.fullHash).toBeUndefined();
    expect(during.previous?.fullHash).toBeUndefined();
  });

  test('a previous pepper equal to the current one is no rotation', () => {
    expect(new HmacCardHasher({ current: A, previous: A }).hash(card).previous).toBeUndefined();
  });

  test('a short pepper, current or previous, is refused', () => {
    expect(() => new HmacCardHasher('short')).toThrow('at least 32 characters');
    expect(() => new HmacCardHasher({ current: B, previous: 'short' })).toThrow('at least 32 characters');
  });
});
