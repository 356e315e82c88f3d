/**
 * Who a customer is, from the access token the customers' API was called with. Customers sign in to their own user
 * pool, whose username is their loyalty id: the token names the customer, so no request can name another one.
 */

/** The customers' pool and its app client: only their access tokens name a customer. */
export interface CustomerTokenIssuer {
  /** The pool's issuer (`https://cognito-idp.<region>.amazonaws.com/<poolId>` in the cloud). */
  issuer: string;
  appClientId: string;
}

export type CustomerCaller = { ok: true; userId: string } | { ok: false; reason: string };

const text = (value: unknown) => (typeof value === 'string' && value.length > 0 ? value : undefined);

/** Loyalty ids are at most 128 characters, with no control characters (the admin API's rule for a customer id). */
const isLoyaltyId = (value: string) => value.length <= 128 && !/\p{Cc}/u.test(value) && !/\p{Cs}/u.test(value);

/**
 * The customer a verified token's claims name, or why they name none. The JWT authorizer already accepts only this
 * pool's app client; this is the second check, so a misconfigured authorizer still lets no operator's token, ID token
 * or client-credentials token (which has no user) read a customer's data.
 */
export function customerFromClaims(claims: Record<string, unknown> | undefined, expected: CustomerTokenIssuer): CustomerCaller {
  if (!claims) return { ok: false, reason: 'no verified token' };
  if (claims.token_use !== 'access') return { ok: false, reason: 'not an access token' };
  if (claims.iss !== expected.issuer) return { ok: false, reason: "not issued by the customers' user pool" };
  if (claims.client_id !== expected.appClientId) return { ok: false, reason: "not issued to the customers' app" };
  const username = text(claims.username);
  // A client-credentials token has the app client as its subject and no user.
  if (!username || claims.sub === claims.client_id) return { ok: false, reason: 'names no signed-in customer' };
  if (!isLoyaltyId(username)) return { ok: false, reason: 'names no loyalty customer' };
  return { ok: true, userId: username };
}
