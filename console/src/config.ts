/** What the host serves at `/console-config.json`: where to sign in (the API is this origin's `/admin/*`). */
export interface ConsoleConfig {
  environment: 'local' | 'cloud';
  auth: { authorizeUrl: string; tokenUrl: string; logoutUrl: string; clientId: string; scopes: string };
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch('/console-config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`the console's configuration is missing (/console-config.json answered ${response.status})`);
  const config = (await response.json()) as Partial<ConsoleConfig>;
  const auth = config.auth;
  if (!auth?.authorizeUrl || !auth.tokenUrl || !auth.logoutUrl || !auth.clientId) {
    throw new Error("the console's configuration does not say where to sign in (auth.authorizeUrl, tokenUrl, logoutUrl, clientId)");
  }
  return { environment: config.environment === 'cloud' ? 'cloud' : 'local', auth: { ...auth, scopes: auth.scopes || 'openid' } };
}
