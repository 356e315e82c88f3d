import fc from 'fast-check';
import { withQuery } from '../src/api';
import { href, parseHash } from '../src/router';

describe("the console's hash routes", () => {
  test('a page, an id of any characters and filters survive the trip through the address', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('transactions', 'customers', 'review', 'audit'),
        fc.option(fc.string({ minLength: 1, maxLength: 40 }), { nil: undefined }),
        fc.dictionary(fc.constantFrom('customer', 'machine', 'from', 'tab'), fc.string({ minLength: 1, maxLength: 20 })),
        (page, id, params) => {
          const route = parseHash(href(page, id, params));
          expect(route.page).toBe(page);
          expect(route.id).toBe(id);
          expect(Object.fromEntries(route.params)).toEqual(params);
        },
      ),
    );
  });

  test('an empty or hostile hash falls back to a page name, never throws', () => {
    expect(parseHash('').page).toBe('integration');
    expect(parseHash('#/').page).toBe('integration');
    fc.assert(
      fc.property(fc.string(), (hash) => {
        expect(typeof parseHash(hash).page).toBe('string');
      }),
    );
    expect(parseHash('#/transactions/%E0%A4%A').id).toBe('%E0%A4%A');
  });

  test('queries drop empty values and encode the rest', () => {
    expect(withQuery('/admin/transactions', { customer: 'a b&c', machine: '', limit: 25, cursor: undefined })).toBe(
      '/admin/transactions?customer=a+b%26c&limit=25',
    );
    expect(withQuery('/admin/stats', {})).toBe('/admin/stats');
  });
});
