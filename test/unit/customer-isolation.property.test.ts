import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { AdminError } from '../../shared/admin/errors';
import { responseBody } from '../../shared/admin/http';
import { serveCustomerRequest } from '../../shared/customer/http';
import { CUSTOMER_ROUTES } from '../../shared/topology';
import { customerClaims, memoryCustomerApi, putCustomer, putMove, putSale } from '../support/customer-fakes';

/**
 * The guarantee of the customers' API: whatever path of it and whatever query a token of customer A sends, the answer
 * holds A's data and nothing of B's, a cursor B was given included.
 */

const event = (routeKey: string, username: string, rawQueryString: string): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey,
    rawPath: routeKey.split(' ')[1],
    rawQueryString,
    headers: {},
    requestContext: { requestId: 'req-1', authorizer: { jwt: { claims: customerClaims(username), scopes: null } } },
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEventV2;

const movement = fc.record({
  kind: fc.constantFrom('sale', 'REDEMPTION', 'ADJUSTMENT', 'EXPIRY', 'TIER'),
  minute: fc.integer({ min: 0, max: 500 }),
  points: fc.integer({ min: -500, max: 500 }),
});

test("a token of customer A never reads customer B's data, whatever path and query it sends", async () => {
  const { table, container } = memoryCustomerApi();
  await fc.assert(
    fc.asyncProperty(
      fc.array(movement, { maxLength: 12 }),
      fc.array(movement, { minLength: 1, maxLength: 12 }),
      fc.constantFrom(...CUSTOMER_ROUTES),
      fc.array(
        fc.tuple(
          fc.constantFrom('limit', 'cursor', 'userId', 'customer', 'username', 'sub', 'limit', 'cursor'),
          fc.oneof(fc.constantFrom('1', '2', '100', 'B', 'bob', 'customer-b', '0', ''), fc.string({ maxLength: 8 })),
        ),
        { maxLength: 3 },
      ),
      fc.boolean(),
      async (ofA, ofB, routeKey, params, withCursorOfB) => {
        table.items.length = 0;
        putCustomer(table, 'customer-a', { name: 'Alice A', points: 120, lifetimePoints: 700 });
        putCustomer(table, 'customer-b', { name: 'Bob B', points: 999_999, lifetimePoints: 999_999, tier: 'Platinum' });
        for (const [owner, moves] of [
          ['customer-a', ofA],
          ['customer-b', ofB],
        ] as const) {
          const tag = owner === 'customer-a' ? 'AAA' : 'BBB';
          for (const [i, m] of moves.entries()) {
            const at = new Date(Date.UTC(2026, 0, 1, 0, m.minute)).toISOString();
            if (m.kind === 'sale') putSale(table, owner, `${tag}-T${i}`, at, { product: `${tag} product`, machineId: `${tag}-M` });
            else putMove(table, owner, m.kind, at, `${tag}-${i}`, { points: m.points, reason: `${tag} reason`, code: `${tag}-CODE` });
          }
        }
        const query = new URLSearchParams(params);
        if (withCursorOfB) {
          const ofBob = await serveCustomerRequest(event('GET /customer/me/history', 'customer-b', 'limit=1'), container);
          const cursor = (ofBob.body as { nextCursor?: string }).nextCursor;
          if (cursor) query.set('cursor', cursor);
        }
        try {
          const { status, body } = await serveCustomerRequest(event(routeKey, 'customer-a', query.toString()), container);
          const text = responseBody(body);
          expect(status).toBe(200);
          expect(text).not.toMatch(/BBB|customer-b|Bob B|999999/);
          if (routeKey === 'GET /customer/me') expect(body).toMatchObject({ userId: 'customer-a', points: 120 });
        } catch (err) {
          // Anything A cannot be served is a 400 naming the parameter; never another customer's answer.
          expect(err).toBeInstanceOf(AdminError);
          expect((err as AdminError).status).toBe(400);
          expect(JSON.stringify((err as AdminError).details)).not.toMatch(/BBB|Bob B/);
        }
      },
    ),
    { numRuns: 300 },
  );
});
