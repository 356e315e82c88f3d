import type { ConsoleConfig } from './config';

/**
 * Sign-in by OAuth 2.0 authorization code with PKCE against the operators' user pool: Cognito's managed login in
 * the cloud (which asks for the second factor), the local emulator's form on `npm start`. Tokens stay in this tab's
 * session storage; the access token is refreshed a minute before it expires and after a 401.
 */
export type Role = 'admin' | 'viewer';

interface Tokens {
  accessToken: string;
  idToken?: string;
  refreshToken?: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export interface Operator {
  name: string;
  role: Role | undefined;
  groups: string[];
}

const TOKENS = 'hivis.console.tokens';
const PENDING = 'hivis.console.sign-in';

export const redirectUri = () => `${location.origin}/`;

export class SignInError extends Error {}

export class Session {
  private tokens: Tokens | undefined;
  private refreshing: Promise<boolean> | undefined;
  private timer: number | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(readonly config: ConsoleConfig) {
    this.tokens = readTokens();
    this.schedule();
  }

  get signedIn(): boolean {
    return this.tokens !== undefined;
  }

  get accessToken(): string | undefined {
    return this.tokens?.accessToken;
  }

  get operator(): Operator | undefined {
    if (!this.tokens) return undefined;
    const access = claimsOf(this.tokens.accessToken);
    const id = this.tokens.idToken ? claimsOf(this.tokens.idToken) : {};
    const groups = Array.isArray(access['cognito:groups'])
      ? access['cognito:groups'].filter((g): g is string => typeof g === 'string')
      : [];
    const role: Role | undefined = groups.includes('admins') ? 'admin' : groups.includes('viewers') ? 'viewer' : undefined;
    const name =
      [id.email, access.username, id['cognito:username'], access.sub].find((v): v is string => typeof v === 'string') ?? 'operator';
    return { name, role, groups };
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Off to the user pool's sign-in page; it comes back to this origin with a code. */
  async signIn(returnTo = location.hash): Promise<never> {
    const verifier = randomText(48);
    const state = randomText(24);
    sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, returnTo }));
    const url = new URL(this.config.auth.authorizeUrl);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: this.config.auth.clientId,
      redirect_uri: redirectUri(),
      scope: this.config.auth.scopes,
      state,
      code_challenge: await sha256Base64Url(verifier),
      code_challenge_method: 'S256',
    }).toString();
    location.assign(url.toString());
    return new Promise<never>(() => undefined);
  }

  /** Finishes a sign-in when this page is the redirect back from the user pool; false when it is not. */
  async completeSignIn(): Promise<boolean> {
    const params = new URLSearchParams(location.search);
    if (!params.has('code') && !params.has('error')) return false;
    const pending = readPending();
    sessionStorage.removeItem(PENDING);
    history.replaceState(null, '', `/${pending?.returnTo ?? ''}`);
    if (params.has('error')) throw new SignInError(`sign-in was refused: ${params.get('error_description') || params.get('error')}`);
    if (!pending || pending.state !== params.get('state')) {
      throw new SignInError('this sign-in answer does not belong to a sign-in started here (its state differs): sign in again');
    }
    this.store(
      await this.tokenRequest({
        grant_type: 'authorization_code',
        client_id: this.config.auth.clientId,
        code: params.get('code') ?? '',
        redirect_uri: redirectUri(),
        code_verifier: pending.verifier,
      }),
    );
    return true;
  }

  /** A new access token from the refresh token; false (and signed out) when the user pool no longer accepts it. */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.refreshOnce().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  signOut(): void {
    this.clear();
    const url = new URL(this.config.auth.logoutUrl);
    url.search = new URLSearchParams({ client_id: this.config.auth.clientId, logout_uri: redirectUri() }).toString();
    location.assign(url.toString());
  }

  /** Forgets the tokens here (the user pool's sign-in page decides what comes next). */
  clear(): void {
    this.tokens = undefined;
    sessionStorage.removeItem(TOKENS);
    window.clearTimeout(this.timer);
    this.emit();
  }

  private async refreshOnce(): Promise<boolean> {
    const refreshToken = this.tokens?.refreshToken;
    if (!refreshToken) {
      this.clear();
      return false;
    }
    try {
      const fresh = await this.tokenRequest({
        grant_type: 'refresh_token',
        client_id: this.config.auth.clientId,
        refresh_token: refreshToken,
      });
      this.store({ ...fresh, refreshToken: fresh.refreshToken ?? refreshToken });
      return true;
    } catch {
      this.clear();
      return false;
    }
  }

  private async tokenRequest(form: Record<string, string>): Promise<Tokens> {
    const response = await fetch(this.config.auth.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok || typeof body.access_token !== 'string') {
      const reason = [body.error, body.error_description].filter((v) => typeof v === 'string').join(': ');
      throw new SignInError(`the user pool refused the sign-in (${response.status}${reason ? `, ${reason}` : ''})`);
    }
    const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 3600;
    return {
      accessToken: body.access_token,
      idToken: typeof body.id_token === 'string' ? body.id_token : undefined,
      refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : undefined,
      expiresAt: Date.now() + expiresIn * 1000,
    };
  }

  private store(tokens: Tokens) {
    this.tokens = tokens;
    sessionStorage.setItem(TOKENS, JSON.stringify(tokens));
    this.schedule();
    this.emit();
  }

  private schedule() {
    window.clearTimeout(this.timer);
    if (!this.tokens) return;
    const wait = Math.max(this.tokens.expiresAt - Date.now() - 60_000, 5_000);
    this.timer = window.setTimeout(() => void this.refresh(), Math.min(wait, 2 ** 31 - 1));
  }

  private emit() {
    for (const listener of this.listeners) listener();
  }
}

function readTokens(): Tokens | undefined {
  try {
    const stored = JSON.parse(sessionStorage.getItem(TOKENS) ?? 'null') as Tokens | null;
    return stored && typeof stored.accessToken === 'string' && typeof stored.expiresAt === 'number' ? stored : undefined;
  } catch {
    return undefined;
  }
}

function readPending(): { verifier: string; state: string; returnTo: string } | undefined {
  try {
    const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null');
    return pending && typeof pending.verifier === 'string' && typeof pending.state === 'string' ? pending : undefined;
  } catch {
    return undefined;
  }
}

/** A JWT's payload, read for display and roles only: the API verifies every token itself. */
function claimsOf(jwt: string): Record<string, unknown> {
  try {
    const payload = jwt.split('.')[1] ?? '';
    const json = atob(
      payload
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(payload.length / 4) * 4, '='),
    );
    const claims: unknown = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
    return claims && typeof claims === 'object' ? (claims as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function randomText(bytes: number): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

async function sha256Base64Url(text: string): Promise<string> {
  return base64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))));
}

function base64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}
