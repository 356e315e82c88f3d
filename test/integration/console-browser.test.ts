import { readFile } from 'node:fs/promises';
import { CreateQueueCommand, DeleteQueueCommand } from '@aws-sdk/client-sqs';
import type { Browser, Page } from 'playwright-core';
import { LocalStackClient, waitFor } from '../../local/local-client';
import { type ConsoleSession, launchBrowser, openPage, screenshot, seriousAccessibilityViolations, signIn } from '../support/browser';
import { luhnCard } from '../support/cards';

/**
 * The operator console in a real browser (the system's Chromium) against the local stack, as an operator uses
 * it: signed in through the user pool's form, every page checked by axe-core and photographed.
 */
jest.setTimeout(90_000);

let local: LocalStackClient;
let browser: Browser;
let admin: ConsoleSession;
const run = Date.now().toString(36).toUpperCase();
const anaCard = luhnCard('4000', Date.now() % 1e9);
const strangerCard = luhnCard('5100', (Date.now() + 7) % 1e9);
const sale = (n: number, amount: number, cardNumber = anaCard) => ({
  transactionId: `WEB-${run}-${n}`,
  date: new Date().toISOString(),
  amount,
  cardNumber,
  product: 'Large Coffee',
  machineId: 'VEND-WEB',
});

const numberIn = async (page: Page, testId: string) =>
  Number(((await page.getByTestId(testId).textContent()) ?? '').replace(/[^\d-]/g, ''));

async function expectAccessible(page: Page, name: string) {
  await screenshot(page, name);
  expect(await seriousAccessibilityViolations(page)).toEqual([]);
}

async function confirm(page: Page) {
  await page.getByTestId('confirm-dialog').and(page.locator('[open]')).getByTestId('confirm').click();
}

beforeAll(async () => {
  local = LocalStackClient.fromEnv();
  await local.admin('POST', '/admin/sync/start');
  await local.addCustomer(`web-ana-${run}`, anaCard);
  browser = await launchBrowser();
  admin = await signIn(browser, local.endpoints, 'admins');
});

afterAll(async () => {
  await browser?.close();
  await local.admin('POST', '/admin/sync/start');
  local.destroy();
});

beforeEach(async () => {
  // Each test starts from a fresh load (the session survives it), whatever the one before left open.
  await admin.page.goto(`${local.endpoints.consoleUrl}/#/integration`);
  await admin.page.getByTestId('operator').waitFor();
});

afterEach(() => {
  expect(admin.problems).toEqual([]);
});

test('Integration shows the sync running; Stop holds a sale in its queue, Start awards it and the count grows', async () => {
  const { page } = admin;
  await openPage(page, 'integration');
  await expect(page.getByTestId('sync-state').textContent()).resolves.toBe('Running');
  await expectAccessible(page, 'integration');
  const before = await numberIn(page, 'count-awarded');

  await page.getByTestId('sync-stop').click();
  await confirm(page);
  await page.getByTestId('sync-state').getByText('Stopped').waitFor();
  await local.sendMomaMessage(sale(1, 350));
  await page
    .getByTestId('queue-moma-waiting')
    .getByText(/^[1-9]/)
    .waitFor({ timeout: 20_000 });
  expect((await local.sale(`WEB-${run}-1`))?.status).toBeUndefined();

  await page.getByTestId('sync-start').click();
  await confirm(page);
  await page.getByTestId('sync-state').getByText('Running').waitFor();
  await waitFor(async () => (await local.customer(`web-ana-${run}`))?.points === 35, 'the sale held while stopped');
  await waitFor(async () => (await numberIn(page, 'count-awarded')) > before || undefined, 'the awarded count to grow', 30_000);
  await page.getByTestId('latest-sales').getByText(`WEB-${run}-1`).waitFor();
});

test('Test connection is green, then red with the fix when a queue is gone', async () => {
  const { page } = admin;
  await openPage(page, 'integration');
  await page.getByTestId('test-connection').click();
  await page.getByTestId('checks-result').getByText('All connected').waitFor();
  expect(await page.locator('[data-testid^="check-"][data-ok="false"]').count()).toBe(0);

  await local.sqs.send(new DeleteQueueCommand({ QueueUrl: local.endpoints.fileEventsDlqUrl }));
  try {
    await page.getByTestId('test-connection').click();
    await page.getByTestId('checks-result').getByText('Something is wrong').waitFor();
    const failed = page.getByTestId('check-queue:fileEventsDlq');
    await expect(failed.getAttribute('data-ok')).resolves.toBe('false');
    expect(await failed.textContent()).toMatch(/does not exist/);
    await expectAccessible(page, 'integration-connection-failed');
  } finally {
    await local.sqs.send(new CreateQueueCommand({ QueueName: 'hi-vis-file-events-dlq' }));
  }
});

test("a dropped CSV shows each row's outcome; a failed row is in Review, and its retry says why it still fails", async () => {
  const { page } = admin;
  await openPage(page, 'import');
  await expectAccessible(page, 'import');
  const csv = [
    'transactionId,date,amount,cardNumber,product,machineId',
    `WEB-${run}-CSV1,${new Date().toISOString()},250,${anaCard},Tea,VEND-WEB`,
    `WEB-${run}-CSV2,${new Date().toISOString()},abc,${anaCard},Tea,VEND-WEB`,
  ].join('\n');
  await page.getByTestId('csv-file').setInputFiles({ name: 'moma-export.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByTestId('import-result').waitFor();
  const rows = page.getByTestId('import-rows').locator('tbody tr');
  await expect(rows.count()).resolves.toBe(2);
  expect(await rows.nth(0).textContent()).toMatch(/awarded/i);
  expect(await rows.nth(1).textContent()).toMatch(/failed[\s\S]*amount/i);
  expect(await page.getByTestId('import-result').textContent()).not.toContain(anaCard);
  await screenshot(page, 'import-result');

  await openPage(page, 'review');
  const failure = page.getByTestId('failure').filter({ hasText: `WEB-${run}-CSV2` });
  await failure.waitFor();
  await expectAccessible(page, 'review');
  await failure.getByTestId('retry').click();
  await confirm(page);
  await page
    .getByTestId('confirm-error')
    .getByText(/still fails: invalid record: amount/)
    .waitFor();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('confirm-dialog').and(page.locator('[open]')).count()).resolves.toBe(0);
});

test('an unmatched sale is credited to the customer found by id', async () => {
  const { page } = admin;
  await local.sendMomaMessage(sale(2, 500, strangerCard));
  await waitFor(async () => (await local.sale(`WEB-${run}-2`))?.status === 'unmatched', 'the unmatched sale');
  await openPage(page, 'review');
  await page.getByTestId('tab-unmatched').click();
  const row = page.getByTestId('unmatched').locator('tr', { hasText: `WEB-${run}-2` });
  await row.waitFor();
  await expectAccessible(page, 'review-unmatched');
  await row.getByTestId('assign').click();
  await page.getByTestId('customer-search').fill(`web-ana-${run}`);
  await page.getByTestId('customer-search-go').click();
  await page.getByRole('radio', { name: new RegExp(`web-ana-${run}`) }).check();
  await confirm(page);
  await page.getByTestId('notice').getByText(`WEB-${run}-2 credited to web-ana-${run}`).waitFor();
  await waitFor(async () => (await local.customer(`web-ana-${run}`))?.points === 35 + 25 + 50, 'the assigned sale');
});

test('a reversed sale takes its points back from the balance', async () => {
  const { page } = admin;
  await openPage(page, 'transactions');
  await page
    .getByTestId('transactions')
    .getByRole('link', { name: `WEB-${run}-1` })
    .click();
  await page.getByTestId('sale-detail').waitFor();
  await expectAccessible(page, 'transaction');
  await page.getByTestId('reverse').click();
  await page.getByTestId('reverse-reason').fill('customer refunded at the machine');
  await confirm(page);
  await page
    .getByTestId('sale-status')
    .getByText(/reversed/i)
    .waitFor();

  await page
    .getByRole('link', { name: `web-ana-${run}` })
    .first()
    .click();
  await page.getByTestId('customer-detail').waitFor();
  await expect(numberIn(page, 'customer-points')).resolves.toBe(25 + 50);
  await expectAccessible(page, 'customer');
});

/** The next weekday morning, 08:30 UTC (the local program's time zone), at least a day ahead. */
function nextWeekdayMorning(): string {
  const day = new Date();
  day.setUTCHours(8, 30, 0, 0);
  do day.setUTCDate(day.getUTCDate() + 1);
  while (day.getUTCDay() === 0 || day.getUTCDay() === 6);
  return day.toISOString();
}

test('an operator creates “double points on coffee at VEND-001 weekdays 7–10”; the next matching sale earns double, once', async () => {
  const { page } = admin;
  await openPage(page, 'campaigns');
  const form = page.getByTestId('campaign-form');
  const name = `Coffee mornings ${run}`;
  await form.getByLabel('Name').fill(name);
  await form.getByTestId('reward-kind').selectOption('multiplier');
  await form.getByLabel(/^Factor/).fill('2');
  await form.getByLabel(/^Products/).fill('*coffee*');
  await form.getByLabel(/^Machines/).fill('VEND-001');
  for (const day of [1, 2, 3, 4, 5]) await form.getByTestId(`day-${day}`).check();
  await form.getByLabel(/^From hour/).fill('7');
  await form.getByLabel(/^To hour/).fill('10');
  await expectAccessible(page, 'campaigns');
  await form.getByTestId('save-campaign').click();
  await page.getByTestId('campaign-created').waitFor();
  await page.getByTestId('campaigns').getByRole('link', { name }).waitFor();

  const customer = `web-ana-${run}`;
  const before = (await local.admin('GET', `/admin/users/${customer}`)).body as { points: number };
  const coffee = {
    transactionId: `WEB-${run}-CAMPAIGN`,
    date: nextWeekdayMorning(),
    amount: 350,
    cardNumber: anaCard,
    product: 'Flat White Coffee',
    machineId: 'VEND-001',
  };
  // The campaign is in force a second after it was saved (locally); the same sale twice is awarded once.
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  await local.sendMomaMessage(coffee);
  await local.sendMomaMessage(coffee);
  const awarded = await waitFor(async () => {
    const stored = await local.sale(coffee.transactionId);
    return stored?.status === 'awarded' ? stored : undefined;
  }, 'the campaign sale awarded');
  expect(awarded).toMatchObject({ purchasePoints: 35, campaignPoints: 35, points: 70 });
  await page.goto(`${local.endpoints.consoleUrl}/#/transactions/${coffee.transactionId}`);
  await page.getByTestId('sale-campaigns').getByText('35 points').waitFor();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = (await local.admin('GET', `/admin/users/${customer}`)).body as { points: number };
  expect(after.points - before.points).toBe(70);

  // Ended from its page, it stops applying; the console says so.
  await page.getByTestId('sale-campaigns').getByRole('link').click();
  await page.getByTestId('campaign-versions').waitFor();
  await page.getByTestId('end-campaign').click();
  await confirm(page);
  await page.getByTestId('campaign-saved').waitFor();
  await expectAccessible(page, 'campaign');
});

test('an admin redeems a reward and reads its code; a double click redeems once; the redemption is reversed', async () => {
  const { page } = admin;
  const userId = `web-rex-${run}`;
  await local.admin('PUT', `/admin/users/${userId}`, { name: 'Rex' });
  await local.admin('POST', `/admin/users/${userId}/adjustments`, { points: 400, reason: 'welcome', idempotencyKey: `web-rex-${run}` });
  await page.goto(`${local.endpoints.consoleUrl}/#/customers/${userId}`);
  await page.getByTestId('customer-detail').waitFor();
  await page.getByTestId('redeem-reward').selectOption('free-vend');
  await page.getByTestId('redeem').getByRole('button', { name: 'Redeem' }).dblclick();
  await expect(page.getByTestId('redemption-code').textContent()).resolves.toMatch(/[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}/);
  await page.getByTestId('customer-redemptions').getByText('Free vend').waitFor();
  await expect(numberIn(page, 'customer-points')).resolves.toBe(100);
  expect((await local.admin('GET', `/admin/users/${userId}/redemptions`)).body.items).toHaveLength(1);
  await expectAccessible(page, 'customer-redeemed');

  await page.getByTestId('reverse-redemption').click();
  await page.getByTestId('reverse-redemption-reason').fill('redeemed by mistake');
  await confirm(page);
  await page.getByTestId('customer-redemptions').getByText('reversed').waitFor();
  await expect(numberIn(page, 'customer-points')).resolves.toBe(400);
});

test('charts and tables render with data; notifications and audit list what happened', async () => {
  const { page } = admin;
  await openPage(page, 'analytics');
  await page.getByTestId('daily-chart').locator('canvas').waitFor();
  expect(await numberIn(page, 'total-sales')).toBeGreaterThan(0);
  expect(await page.getByTestId('top-machines').textContent()).toContain('VEND-WEB');
  await expectAccessible(page, 'analytics');

  await openPage(page, 'notifications');
  await page.getByTestId('notifications').locator('tbody tr').first().waitFor();
  await expectAccessible(page, 'notifications');

  await openPage(page, 'audit');
  await page.getByTestId('audit').getByText('POST /admin/transactions/{transactionId}/reverse').first().waitFor();
  await expectAccessible(page, 'audit');

  await openPage(page, 'customers');
  await expectAccessible(page, 'customers');
});

test("an admin downloads a customer's data as one document, then erases the customer; the page no longer shows them", async () => {
  const { page } = admin;
  const userId = `web-erin-${run}`;
  const erinCard = luhnCard('4000', (Date.now() + 13) % 1e9);
  await local.addCustomer(userId, erinCard);
  await local.sendMomaMessage(sale(9, 400, erinCard));
  await waitFor(async () => (await local.customer(userId))?.points === 40, "Erin's sale");

  await page.goto(`${local.endpoints.consoleUrl}/#/customers/${userId}`);
  await page.getByTestId('customer-detail').waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-customer').click()]);
  expect(download.suggestedFilename()).toBe(`customer-${userId}-export.json`);
  const text = await readFile((await download.path())!, 'utf8');
  const exported = JSON.parse(text);
  expect(exported).toMatchObject({ userId, profile: { name: userId, points: 40 }, cards: [{ last4: erinCard.slice(-4) }] });
  expect(exported.sales.map((s: { transactionId: string }) => s.transactionId)).toEqual([`WEB-${run}-9`]);
  expect(exported.audit).toEqual(expect.any(Array));
  expect(text).not.toMatch(/hash/i);
  expect(text).not.toContain(erinCard);
  await page
    .getByTestId('export-progress')
    .getByText(/^Exported \d+ part\(s\)/)
    .waitFor();
  await expectAccessible(page, 'customer-personal-data');

  await page.getByTestId('erase-customer').click();
  await page.getByTestId('erase-reason').fill('the customer asked to be forgotten (ticket 4411)');
  await expectAccessible(page, 'customer-erase-dialog');
  await confirm(page);
  await page.getByTestId('notice').getByText(`Customer ${userId} erased`).waitFor();
  await page.getByText(`customer ${userId} was erased`).waitFor();
  expect(await page.getByTestId('customer-detail').count()).toBe(0);
  expect(await page.locator('body').textContent()).not.toContain(erinCard.slice(-4));
  expect(await local.admin('GET', `/admin/users/${userId}`)).toMatchObject({ status: 410 });
});

test('a viewer reads every page and finds no control that changes anything', async () => {
  const viewer = await signIn(browser, local.endpoints, 'viewers');
  try {
    const { page } = viewer;
    await expect(page.getByTestId('role').textContent()).resolves.toBe('Viewer');
    expect(await page.getByTestId('nav-import').count()).toBe(0);
    expect(await page.getByTestId('nav-audit').count()).toBe(0);
    const mutating =
      '[data-testid="sync-start"], [data-testid="sync-stop"], [data-testid="test-connection"], [data-testid="dlq-redrive"], [data-testid="reverse"], [data-testid="retry"], [data-testid="assign"], [data-testid="create-customer"], [data-testid="link-card"], [data-testid="adjust"], [data-testid="redeem"], [data-testid="reverse-redemption"], [data-testid="unlink-card"], [data-testid="export-customer"], [data-testid="erase-customer"]';
    for (const id of ['integration', 'transactions', 'review', 'customers', 'analytics', 'notifications']) {
      await openPage(page, id);
      await page.waitForLoadState('networkidle');
      expect({ page: id, controls: await page.locator(mutating).count() }).toEqual({ page: id, controls: 0 });
    }
    await page.goto(`${local.endpoints.consoleUrl}/#/transactions/WEB-${run}-2`);
    await page.getByTestId('sale-detail').waitFor();
    expect(await page.locator(mutating).count()).toBe(0);
    await page.goto(`${local.endpoints.consoleUrl}/#/customers/web-ana-${run}`);
    await page.getByTestId('customer-detail').waitFor();
    expect(await page.locator(mutating).count()).toBe(0);
    await screenshot(page, 'viewer-customer');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await page.goto(`${local.endpoints.consoleUrl}/#/import`);
    await page.getByText('Page not found').waitFor();
    expect(viewer.problems).toEqual([]);
  } finally {
    await viewer.context.close();
  }
});

test('an access token the API refuses is renewed with the refresh token, and the page loads', async () => {
  const session = await signIn(browser, local.endpoints, 'admins');
  try {
    const { page } = session;
    await page.evaluate(`(() => {
      const key = 'hivis.console.tokens';
      const tokens = JSON.parse(sessionStorage.getItem(key));
      sessionStorage.setItem(key, JSON.stringify({ ...tokens, accessToken: tokens.accessToken.slice(0, -8) + 'tampered', expiresAt: Date.now() + 3600000 }));
    })()`);
    const renewed = page.waitForResponse((r) => r.url().endsWith('/oauth2/token') && r.request().method() === 'POST');
    await page.reload();
    expect((await renewed).status()).toBe(200);
    await page.getByTestId('sync-state').waitFor();
    expect(session.problems).toEqual([]);
  } finally {
    await session.context.close();
  }
});

test('signing out ends the session; the console asks to sign in again', async () => {
  const session = await signIn(browser, local.endpoints, 'admins');
  try {
    await session.page.getByTestId('sign-out').click();
    await session.page.getByTestId('sign-in').waitFor();
    expect(await session.page.evaluate('sessionStorage.length')).toBe(0);
  } finally {
    await session.context.close();
  }
});
