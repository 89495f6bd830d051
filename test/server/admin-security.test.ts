/**
 * The admin page under attack (found by review): the login body is capped before it is read, a burst of
 * guesses cannot slip past the failed-login limit, one client's guesses do not lock out another,
 * passphrases with spaces log in, sessions over https are Secure, and bad percent-encoding is a 400.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ConnectorRegistry, createConnectorRegistry } from '../../src/registry/registry.js';
import { CLIENT_ADDRESS_HEADER } from '../../src/server/admin/login-limit.js';
import { createPbxService, type PbxService } from '../../src/server/index.js';
import { multiTenantWorld, type World } from '../registry/helpers.js';

const KEY = 'security-api-key-0123456789abcdef';
const PASSPHRASE = 'correct horse battery staple';
let world: World;
let registry: ConnectorRegistry;
let now = 1_000_000;

const service = (extra: Partial<Parameters<typeof createPbxService>[0]> = {}): PbxService =>
  createPbxService({
    registry,
    apiKeys: [KEY],
    settingsStore: world.settingsStore,
    adminPassword: PASSPHRASE,
    now: () => now,
    ...extra,
  });

const login = (pbx: PbxService, password: string, client = '192.0.2.1', base = 'http://pbx.test') =>
  pbx.fetch(
    new Request(`${base}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', [CLIENT_ADDRESS_HEADER]: client },
      body: new URLSearchParams({ password }),
    }),
  );

beforeEach(async () => {
  world = await multiTenantWorld();
  registry = createConnectorRegistry(world.base);
});
afterEach(async () => {
  await registry.close();
  await world.close();
});

describe('the admin login', () => {
  it('accepts a passphrase with spaces', async () => {
    expect((await login(service(), PASSPHRASE)).status).toBe(303);
    expect((await login(service(), ` ${PASSPHRASE}`)).status).toBe(401);
  });

  it('refuses a login body over 4 KiB without reading it whole', async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        if (pulled > 10_000) controller.close();
        else controller.enqueue(new TextEncoder().encode(`password=${'x'.repeat(1024)}`));
      },
    });
    const response = await service().fetch(
      new Request('http://pbx.test/admin/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
        duplex: 'half',
      } as RequestInit),
    );
    expect(response.status).toBe(413);
    expect(pulled).toBeLessThan(10);
    const declared = await service().fetch(
      new Request('http://pbx.test/admin/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '400000000' },
        body: 'password=x',
      }),
    );
    expect(declared.status).toBe(413);
  });

  it('counts a concurrent burst of guesses: at most 10 per client per minute get an answer', async () => {
    const pbx = service();
    const burst = await Promise.all(Array.from({ length: 50 }, () => login(pbx, 'wrong-guess-123')));
    const statuses = burst.map((response) => response.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(40);
    // The right password from the same client waits out the window too …
    expect((await login(pbx, PASSPHRASE)).status).toBe(429);
    // … while another client still logs in: one attacker cannot lock the admin out.
    expect((await login(pbx, PASSPHRASE, '198.51.100.7')).status).toBe(303);
    now += 60_001;
    expect((await login(pbx, PASSPHRASE)).status).toBe(303);
  });

  it('issues a Secure __Host- cookie when the service is reached over https', async () => {
    const plain = await login(service(), PASSPHRASE);
    expect(plain.headers.get('set-cookie')).toMatch(/^zcc_admin=.*HttpOnly; SameSite=Lax/);
    expect(plain.headers.get('set-cookie')).not.toContain('Secure');
    const secure = await login(service({ secureCookies: true }), PASSPHRASE);
    expect(secure.headers.get('set-cookie')).toMatch(
      /^__Host-zcc_admin=.*; Path=\/; HttpOnly; SameSite=Lax; .*; Secure$/,
    );
  });
});

describe('bad percent-encoding in a path', () => {
  it('is a typed 400, not a 500', async () => {
    const pbx = service();
    const response = await pbx.fetch(
      new Request('http://pbx.test/v1/tenants/a/calls/%E0%A4%A/notes', {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: '{"text":"x"}',
      }),
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('CONFIG_INVALID');
  });
});
