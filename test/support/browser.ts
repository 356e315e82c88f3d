import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import type { LocalEndpoints } from '../../local/local-stack';

/** Where the browser tests leave their screenshots (CI keeps the folder as an artifact). */
export const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts', 'console');

/**
 * The system's Chromium (Debian's `chromium` package; Playwright's own download is not used), or the one named
 * by CHROMIUM_PATH.
 */
export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  const found = candidates.find((c): c is string => Boolean(c && existsSync(c)));
  if (!found) throw new Error('no Chromium found: install it (apt-get install chromium) or set CHROMIUM_PATH to its binary');
  return found;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

export interface ConsoleSession {
  context: BrowserContext;
  page: Page;
  /** Messages the page logged as errors, and Content-Security-Policy refusals: a clean run has none. */
  problems: string[];
}

/** Signs in at the console as the local operator of `group`, through the user pool's sign-in form, as a person does. */
export async function signIn(browser: Browser, endpoints: LocalEndpoints, group: 'admins' | 'viewers'): Promise<ConsoleSession> {
  const operator = endpoints.operators.find((o) => o.group === group);
  if (!operator) throw new Error(`no local operator in ${group}`);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
  });
  await page.goto(endpoints.consoleUrl);
  await page.getByTestId('sign-in').click();
  await page.waitForURL((url) => url.pathname.endsWith('/oauth2/authorize'));
  await page.getByLabel('Username:').fill(operator.email);
  await page.getByLabel('Password:').fill(operator.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('operator').waitFor();
  return { context, page, problems };
}

/** Opens a console page from the navigation and waits for its title. */
export async function openPage(page: Page, id: string) {
  await page.getByTestId(`nav-${id}`).click();
  await page.getByTestId(`page-${id}`).waitFor();
  await page.getByTestId(`page-${id}`).locator('h1').first().waitFor();
}

/** axe-core's findings of serious or critical impact on the page as it is now. */
export async function seriousAccessibilityViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

export async function screenshot(page: Page, name: string) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}
