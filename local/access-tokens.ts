import { JwtVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';

export interface AccessTokenIssuer {
  issuer: string;
  jwksUri: string;
  /** The app clients whose tokens the API accepts (API Gateway's JWT authorizer `audience`). */
  clientIds: readonly string[];
}

export type Verification = { ok: true; claims: JwtPayload } | { ok: false; reason: string };

const MAX_JWKS_BYTES = 64 * 1024;

/** The local issuer speaks plain HTTP on loopback; aws-jwt-verify's own fetcher only speaks HTTPS. */
const loopbackFetcher = {
  async fetch(uri: string): Promise<ArrayBuffer> {
    const res = await fetch(uri, { signal: AbortSignal.timeout(3_000) });
    if (!res.ok) throw new Error(`JWKS answered ${res.status}`);
    const body = await res.arrayBuffer();
    if (body.byteLength > MAX_JWKS_BYTES) throw new Error('JWKS is too large');
    return body;
  },
};

/**
 * Verifies a bearer token as API Gateway's JWT authorizer does for this API: signature against the issuer's
 * JWKS (RS256, the key named by `kid`), `iss`, `exp` and `nbf`, the app client (`client_id` of an access token
 * among the accepted clients), and, as this API requires, `token_use` = `access` (an ID token is refused).
 */
export function createAccessTokenVerifier(issuer: AccessTokenIssuer) {
  const verifier = JwtVerifier.create(
    {
      issuer: issuer.issuer,
      jwksUri: issuer.jwksUri,
      audience: null,
      customJwtCheck: ({ payload }) => {
        if (payload.token_use !== 'access') throw new Error('not an access token');
        if (typeof payload.client_id !== 'string' || !issuer.clientIds.includes(payload.client_id))
          throw new Error('issued to another app client');
      },
    },
    { jwksCache: new SimpleJwksCache({ fetcher: loopbackFetcher }) },
  );
  return async (token: string): Promise<Verification> => {
    try {
      return { ok: true, claims: await verifier.verify(token) };
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
  };
}
