import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConnectorRegistry, createConnectorRegistry } from '../../src/registry/registry.js';
import type { ListeningServer } from '../../src/server/index.js';
import { createPbxService } from '../../src/server/index.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { createMemorySettingsStore } from '../../src/stores/settings-memory.js';
import { startZohoEmulator, type ZohoEmulator } from '../../src/testing/server.js';

// The admin page in a real browser: Debian's Chromium driven by playwright-core (no browser download).
// .ci/run installs chromium when it is missing; elsewhere the suite says why it skipped.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasBrowser = existsSync(CHROMIUM);
if (!hasBrowser)
  console.warn(`admin page browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

const PASSWORD = 'admin-password-0123';
const SECRET = 'acme-client-secret-value-42';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.skipIf(!hasBrowser)('the admin page in Chromium', () => {
  let browser: Browser;
  let emulator: ZohoEmulator;
  let registry: ConnectorRegistry;
  let server: ListeningServer;
  const settingsStore = createMemorySettingsStore();

  beforeAll(async () => {
    const port = await freePort();
    const redirectUri = `http://127.0.0.1:${port}/api/auth/callback/zoho`;
    emulator = await startZohoEmulator({ autoConsent: true, dataCenter: 'us', edition: 'Enterprise' });
    emulator.registerClient({ clientId: '1000.ACME', clientSecret: SECRET, redirectUris: [redirectUri] });
    registry = createConnectorRegistry({
      redirectUri,
      stateSecret: 'admin-test-state-secret-0123456789',
      tokenStore: createMemoryStore(),
      endpoints: { regions: { US: emulator.regions.US } },
      settings: (id) => settingsStore.get(id),
      // What the admin form does not carry: the PBX's signing secret for public recording links, and its
      // own contacts (an HTTP PBX checks those itself before it asks the service).
      connectorOptions: () => ({
        journal: { publicLinks: { secret: 'public-link-secret-0123456789abcdef' } },
        pbxContacts: { lookup: () => undefined },
      }),
    });
    const service = createPbxService({
      registry,
      apiKeys: ['pbx-api-key-0123456789abcdef'],
      settingsStore,
      adminPassword: PASSWORD,
    });
    server = await service.listen({ port });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await registry?.close();
    await emulator?.close();
  });

  it('logs in, fills the form by keyboard, saves, authorizes at Zoho and comes back authorized', {
    timeout: 60_000,
  }, async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/admin?tenant=acme`);

    // A wrong password is refused; the right one opens the tenant's form.
    await page.getByLabel('Admin password').fill('not-the-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Wrong password');
    await page.getByLabel('Admin password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/admin\?tenant=acme$/);
    await page.getByRole('button', { name: 'Open' }).click();
    await page.locator('#settings:not([hidden]):not([aria-busy])').waitFor();

    await page.getByLabel('Client ID').fill('1000.ACME');
    await page.getByLabel('Client Secret').fill(SECRET);
    await page.getByLabel('Zoho Region').selectOption('US');
    await page.getByLabel('Only when not found in PBX contacts').check();
    await page.getByLabel('Public Recording Link').check();
    await page.getByLabel('Lead', { exact: true }).check();

    // Keyboard only: move Leads to the top with its Up button; focus stays on the moved control.
    await page.getByRole('button', { name: 'Move Leads up' }).focus();
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.locator('#order li span').allTextContents())
      .toEqual(['Leads', 'Contacts', 'Accounts']);
    expect(await page.evaluate("document.activeElement?.getAttribute('aria-label')")).toBe('Move Leads up');

    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('#message').textContent()).toBe('Saved.');
    const stored = await settingsStore.get('acme');
    expect(stored).toMatchObject({
      clientId: '1000.ACME',
      clientSecret: SECRET,
      lookup: { order: ['Leads', 'Contacts', 'Accounts'], query: 'whenNotFoundInPbx' },
      journal: { recordingLink: 'public' },
      createRecords: { type: 'Leads' },
    });
    // The secret is write-only: never rendered back.
    expect(await page.content()).not.toContain(SECRET);
    expect(await page.getByLabel('Client Secret').inputValue()).toBe('');
    await expect.poll(() => page.locator('#state').textContent()).toContain('Not authorized');

    // Authorize: Zoho's consent (the emulator consents at once) and back through the one callback URL.
    const callback = page.waitForResponse((response) => response.url().includes('/api/auth/callback/zoho'));
    await page.getByRole('button', { name: 'Authorize' }).click();
    expect((await callback).status()).toBe(303);
    await page.waitForURL(/\/admin\?tenant=acme$/);
    await expect
      .poll(() => page.locator('#state').textContent())
      .toContain('Authorized: Zoho CRM is connected.');
    expect(await (await registry.get('acme')).isAuthorized()).toBe(true);

    await page.screenshot({ path: join(tmpdir(), 'zcc-admin.png'), fullPage: true });
    await page.close();
  });

  it('never lets a slower, earlier load wipe what the user typed since', { timeout: 60_000 }, async () => {
    await settingsStore.set('beta', { clientId: '1000.BETA', clientSecret: SECRET, region: 'US' });
    const context = await browser.newContext();
    // Counts the tenant's answers the page has read, so the test knows when the page has handled one.
    // (A string: the test is compiled without the DOM types.)
    await context.addInitScript(`
      const json = Response.prototype.json;
      Response.prototype.json = function () {
        const url = this.url;
        return json.call(this).then((value) => {
          if (url.endsWith('/admin/api/tenants/beta')) window.tenantReads = (window.tenantReads || 0) + 1;
          return value;
        });
      };
    `);
    const page = await context.newPage();
    await page.goto(`${server.url}/admin`);
    await page.getByLabel('Admin password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/admin$/);

    // The first load's answer is held until the user has opened the tenant again and typed.
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let requests = 0;
    await page.route('**/admin/api/tenants/beta', async (route) => {
      requests += 1;
      if (requests === 1) await held;
      await route.continue();
    });
    await page.getByLabel('Tenant', { exact: true }).fill('beta');
    await page.getByRole('button', { name: 'Open' }).click();
    await expect.poll(() => requests).toBe(1);
    expect(await page.locator('#settings').getAttribute('aria-busy')).toBe('true');
    await page.getByRole('button', { name: 'Open' }).click();
    await page.locator('#settings:not([hidden]):not([aria-busy])').waitFor();
    expect(await page.getByLabel('Client ID').inputValue()).toBe('1000.BETA');

    await page.getByLabel('Client ID').fill('1000.TYPED');
    release();
    // Read from here (DevTools evaluation): the page's CSP forbids waitForFunction's in-page eval.
    await expect.poll(() => page.evaluate('window.tenantReads')).toBe(2);
    expect(await page.getByLabel('Client ID').inputValue()).toBe('1000.TYPED');
    expect(await page.locator('#settings').getAttribute('aria-busy')).toBeNull();
    await context.close();
  });

  it('has labelled controls and no serious accessibility violations (axe)', async () => {
    // axe is injected as an inline script, which the page's own CSP forbids: this context lets it in.
    const context = await browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${server.url}/admin`);
    const axeSource = createRequire(import.meta.url)('axe-core').source as string;
    const audit = async () => {
      await page.addScriptTag({ content: axeSource });
      return page.evaluate(
        `axe.run().then((r) => r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id))`,
      ) as Promise<string[]>;
    };
    expect(await audit()).toEqual([]); // the login page
    await page.getByLabel('Admin password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/admin$/);
    await page.getByLabel('Tenant', { exact: true }).fill('acme');
    await page.getByRole('button', { name: 'Open' }).click();
    await page.getByLabel('Client ID').waitFor();
    expect(await audit()).toEqual([]); // the form
    await context.close();
  });

  it('refuses the admin API without the page’s CSRF token, and without a session', async () => {
    const noSession = await fetch(`${server.url}/admin/api/tenants`);
    expect(noSession.status).toBe(401);
    const login = await fetch(`${server.url}/admin/login`, {
      method: 'POST',
      body: new URLSearchParams({ password: PASSWORD }),
      redirect: 'manual',
    });
    expect(login.status).toBe(303);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    expect(cookie).toMatch(/^zcc_admin=/);
    const noToken = await fetch(`${server.url}/admin/api/tenants`, { headers: { cookie } });
    expect(noToken.status).toBe(403);
    const forged = await fetch(`${server.url}/admin/api/tenants`, {
      headers: { cookie, 'x-csrf-token': 'x' },
    });
    expect(forged.status).toBe(403);
  });
});
