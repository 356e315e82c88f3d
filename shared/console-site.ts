/**
 * What the operator console expects of whoever serves it, the same for the local stack and the cloud stack: the
 * configuration it reads at `/console-config.json`, and the Content-Security-Policy it is built to run under.
 */

/** What the console reads from `/console-config.json` at start. */
export interface ConsoleConfig {
  environment: 'local' | 'cloud';
  auth: { authorizeUrl: string; tokenUrl: string; logoutUrl: string; clientId: string; scopes: string };
}

export const CONSOLE_SCOPES = 'openid email profile';

/** The console's sign-in configuration for a Cognito endpoint (the local emulator's or a user pool domain). */
export function consoleConfigFor(cognitoEndpoint: string, clientId: string, environment: ConsoleConfig['environment']): ConsoleConfig {
  return {
    environment,
    auth: {
      authorizeUrl: `${cognitoEndpoint}/oauth2/authorize`,
      tokenUrl: `${cognitoEndpoint}/oauth2/token`,
      logoutUrl: `${cognitoEndpoint}/logout`,
      clientId,
      scopes: CONSOLE_SCOPES,
    },
  };
}

/** The console's Content-Security-Policy: only its own origin, plus Cognito for the token exchange and sign-in form posts. */
export function consoleContentSecurityPolicy(cognitoOrigin: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ${cognitoOrigin}`,
    `form-action 'self' ${cognitoOrigin}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join('; ');
}
