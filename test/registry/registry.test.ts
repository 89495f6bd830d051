import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ZohoCrmConnector } from '../../src/connector.js';
import { ConfigError, ErrorCode, isZohoCrmError } from '../../src/errors.js';
import { createStateSigner } from '../../src/oauth/state.js';
import { createConnectorRegistry } from '../../src/registry/registry.js';
import type { TenantSettings } from '../../src/registry/tenant-settings.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { consent, multiTenantWorld, REDIRECT_URI, STATE_SECRET, TENANTS, type World } from './helpers.js';

let world: World;
beforeAll(async () => {
  world = await multiTenantWorld();
  world.us.seed('Contacts', [{ First_Name: 'Ada', Last_Name: 'Lovelace', Phone: '(415) 555-2671' }]);
  world.eu.seed('Contacts', [{ First_Name: 'Karl', Last_Name: 'Weber', Phone: '030 1234567' }]);
});
afterAll(() => world.close());

async function rejection(promise: Promise<unknown>) {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as Error & { code: string; issues?: Array<{ path: string }> },
  );
}

/** A registry over the shared world; closed by the test. */
const registryOf = (over: Partial<Parameters<typeof createConnectorRegistry>[0]> = {}) =>
  createConnectorRegistry({ ...world.base, tokenStore: createMemoryStore(), ...over });

describe('connector registry: one redirect URI for every tenant', () => {
  it('three tenants with their own clients in two data centres authorize through one redirect URI', async () => {
    const tokenStore = createMemoryStore();
    const zohos = registryOf({ tokenStore });
    try {
      const callbacks: string[] = [];
      for (const id of ['a', 'b', 'c']) {
        const { url, connectionId } = await zohos.authorizationUrl(id);
        expect(connectionId).toBe(id);
        expect(new URL(url).searchParams.get('client_id')).toBe(TENANTS[id as 'a'].clientId);
        const callback = await consent(url);
        expect(callback.startsWith(`${REDIRECT_URI}?`)).toBe(true);
        callbacks.push(callback);
      }
      // Callbacks arrive in any order, at the one route; each is routed by its state alone.
      const results = [];
      for (const callback of [callbacks[2], callbacks[0], callbacks[1]] as string[]) {
        results.push(await zohos.handleCallback(callback));
      }
      expect(results.map((r) => [r.connectionId, r.region])).toEqual([
        ['c', 'US'],
        ['a', 'US'],
        ['b', 'EU'],
      ]);
      for (const id of ['a', 'b', 'c'])
        expect((await tokenStore.get(id))?.region).toBe(id === 'b' ? 'EU' : 'US');
      // Each tenant now talks to its own org.
      expect((await (await zohos.get('a')).lookupCaller('+14155552671'))?.name).toBe('Ada Lovelace');
      expect((await (await zohos.get('b')).lookupCaller('030 1234567'))?.name).toBe('Karl Weber');
      expect(await (await zohos.get('c')).isAuthorized()).toBe(true);
    } finally {
      await zohos.close();
    }
  });

  it('refuses a tampered, foreign, missing or expired state before any token request', async () => {
    const zohos = registryOf();
    try {
      const callback = new URL(await consent((await zohos.authorizationUrl('a')).url));
      const before = world.spy.tokenRequests.length;
      const state = callback.searchParams.get('state') ?? '';
      const variants = [
        `${state.slice(0, -10)}${state.at(-10) === 'A' ? 'B' : 'A'}${state.slice(-9)}`, // tampered signature
        `${state.split('.')[0]}x.${state.split('.')[1]}`, // tampered payload
        await createStateSigner({
          secret: 'another-pbx-secret-0123456789',
          derive: false,
          connectionId: 'a',
        }).issue(), // another PBX's state for the same tenant id
        '',
      ];
      for (const bad of variants) {
        const url = new URL(callback);
        url.searchParams.set('state', bad);
        expect((await rejection(zohos.handleCallback(url))).code).toBe(ErrorCode.AUTH_STATE_MISMATCH);
      }
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 11 * 60_000);
      try {
        expect((await rejection(zohos.handleCallback(callback))).code).toBe(ErrorCode.AUTH_STATE_MISMATCH);
      } finally {
        vi.useRealTimers();
      }
      expect(world.spy.tokenRequests.length).toBe(before);
    } finally {
      await zohos.close();
    }
  });

  it("refuses tenant A's state with a code issued to tenant C's client: one token request to A's client, nothing granted", async () => {
    const tokenStore = createMemoryStore();
    const zohos = registryOf({ tokenStore });
    try {
      const { url: urlA } = await zohos.authorizationUrl('a');
      const stateA = new URL(urlA).searchParams.get('state') ?? '';
      const callbackC = new URL(await consent((await zohos.authorizationUrl('c')).url));
      callbackC.searchParams.set('state', stateA);
      const before = world.spy.tokenRequests.length;
      const error = await rejection(zohos.handleCallback(callbackC));
      expect(error.code).toBe(ErrorCode.AUTH_INVALID_GRANT);
      expect(world.spy.tokenRequests.length - before).toBe(1);
      expect(await tokenStore.get('a')).toBeUndefined();
      expect(await tokenStore.get('c')).toBeUndefined();
      expect(JSON.stringify(error)).not.toContain(TENANTS.a.clientSecret);
    } finally {
      await zohos.close();
    }
  });

  it('refuses the callback of a tenant that is gone or disabled, without a token request', async () => {
    let current: Record<string, TenantSettings | undefined> = { x: TENANTS.a, y: TENANTS.c };
    const zohos = registryOf({ settings: (id) => current[id] });
    try {
      const callbackX = await consent((await zohos.authorizationUrl('x')).url);
      const callbackY = await consent((await zohos.authorizationUrl('y')).url);
      current = { y: { ...TENANTS.c, enabled: false } };
      await zohos.evict('x');
      await zohos.evict('y');
      const before = world.spy.tokenRequests.length;
      const gone = await rejection(zohos.handleCallback(callbackX));
      expect(gone).toBeInstanceOf(ConfigError);
      expect(gone.message).toContain('tenant "x"');
      const disabled = await rejection(zohos.handleCallback(callbackY));
      expect(disabled.code).toBe(ErrorCode.TENANT_DISABLED);
      expect(world.spy.tokenRequests.length).toBe(before);
      expect((await rejection(zohos.authorizationUrl('y'))).code).toBe(ErrorCode.TENANT_DISABLED);
    } finally {
      await zohos.close();
    }
  });

  it('a denied consent is routed to its tenant and reported as AUTH_ACCESS_DENIED', async () => {
    const zohos = registryOf();
    try {
      const { url } = await zohos.authorizationUrl('a');
      const state = new URL(url).searchParams.get('state') ?? '';
      const denied = `${REDIRECT_URI}?error=access_denied&state=${encodeURIComponent(state)}`;
      expect((await rejection(zohos.handleCallback(denied))).code).toBe(ErrorCode.AUTH_ACCESS_DENIED);
    } finally {
      await zohos.close();
    }
  });
});

describe('connector registry: get()', () => {
  it('builds a connector once: concurrent get()s share one build and one settings() call', async () => {
    const settings = vi.fn(async (id: string) => (id === 'a' ? TENANTS.a : undefined));
    const zohos = registryOf({ settings });
    try {
      const [one, two] = await Promise.all([zohos.get('a'), zohos.get('a')]);
      expect(one).toBeInstanceOf(ZohoCrmConnector);
      expect(one).toBe(two);
      expect(await zohos.get('a')).toBe(one);
      expect(settings).toHaveBeenCalledTimes(1);
      expect(one.connectionId).toBe('a');
    } finally {
      await zohos.close();
    }
  });

  it('does not cache a failed build', async () => {
    let calls = 0;
    const zohos = registryOf({
      settings: async () => {
        calls++;
        if (calls === 1) throw new Error('settings database unavailable');
        return TENANTS.a;
      },
    });
    try {
      await expect(zohos.get('a')).rejects.toThrow('settings database unavailable');
      expect(zohos.size).toBe(0);
      expect(await zohos.get('a')).toBeInstanceOf(ZohoCrmConnector);
      expect(calls).toBe(2);
    } finally {
      await zohos.close();
    }
  });

  it('an unknown tenant is a ConfigError naming the tenant', async () => {
    const zohos = registryOf({ settings: () => undefined });
    try {
      const error = await rejection(zohos.get('tenant-9'));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toContain('tenant "tenant-9"');
      expect(error.issues?.[0]?.path).toBe('settings');
    } finally {
      await zohos.close();
    }
  });

  it('invalid settings name the tenant and the path, never a value', async () => {
    const secret = 'super-secret-client-secret-value';
    const zohos = registryOf({
      settings: () =>
        ({
          clientId: '1000.X',
          clientSecret: secret,
          region: secret,
          lookup: { order: ['Contacts', 'Contacts'], query: secret },
        }) as never,
    });
    try {
      const error = await rejection(zohos.get('tenant-7'));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toContain('tenant "tenant-7"');
      expect(error.issues?.map((i) => i.path).sort()).toEqual(['lookup.order', 'lookup.query', 'region']);
      expect(JSON.stringify(error)).not.toContain(secret);
      expect(error.message).not.toContain(secret);
    } finally {
      await zohos.close();
    }
  });

  it('connector options the settings cannot satisfy name the tenant (public links without a secret)', async () => {
    const zohos = registryOf({ settings: () => ({ ...TENANTS.a, journal: { recordingLink: 'public' } }) });
    try {
      const error = await rejection(zohos.get('a'));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toContain('tenant "a"');
      expect(error.issues?.[0]?.path).toBe('journal.publicLinks');
    } finally {
      await zohos.close();
    }
    const withLinks = registryOf({
      settings: () => ({ ...TENANTS.a, journal: { recordingLink: 'public' } }),
      connectorOptions: () => ({ journal: { publicLinks: { secret: 'recording-link-secret-0123456789' } } }),
    });
    try {
      expect(await withLinks.get('a')).toBeInstanceOf(ZohoCrmConnector);
    } finally {
      await withLinks.close();
    }
  });

  it.each([
    ['a path', '../etc/passwd'],
    ['a slash', 'tenant/1'],
    ['a backslash', 'tenant\\1'],
    ['a control character', 'tenant\n1'],
    ['a NUL', 'tenant\u00001'],
    ['a space', 'tenant 1'],
    ['nothing', ''],
    ['a dot start', '.hidden'],
    ['101 characters', 'x'.repeat(101)],
    ['a number', 42],
  ])('refuses an id with %s (ConfigError) without asking for settings', async (_what, id) => {
    const settings = vi.fn(() => TENANTS.a);
    const zohos = registryOf({ settings });
    try {
      const error = await rejection(zohos.get(id as string));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.issues?.[0]?.path).toBe('connectionId');
      expect((await rejection(zohos.authorizationUrl(id as string))).code).toBe(ErrorCode.CONFIG_INVALID);
      expect(settings).not.toHaveBeenCalled();
    } finally {
      await zohos.close();
    }
  });

  it('refuses bad registry options, naming each and echoing none', () => {
    const error = (() => {
      try {
        createConnectorRegistry({
          redirectUri: REDIRECT_URI,
          stateSecret: 'short',
          tokenStore: {} as never,
          settings: 'nope' as never,
          idleMs: -1,
        });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error.issues.map((i) => i.path).sort()).toEqual([
      'idleMs',
      'settings',
      'stateSecret',
      'tokenStore',
    ]);
    expect(error.message).not.toContain('short');
  });
});

describe('connector registry: events, evict, close', () => {
  it('forwards every connector event with its connectionId; unsubscribing stops it', async () => {
    const zohos = registryOf();
    try {
      const seen: Array<[string, string | undefined]> = [];
      const off = zohos.on('lookup', (e) => seen.push([e.connectionId, e.number]));
      await zohos.handleCallback(await consent((await zohos.authorizationUrl('a')).url));
      await (await zohos.get('a')).lookupCaller('+14155552671');
      const late = await zohos.get('c'); // built after the subscription
      await late.lookupCaller('+14155550000');
      expect(seen.map(([id]) => id)).toEqual(['a', 'c']);
      off();
      await (await zohos.get('a')).lookupCaller('+14155552671');
      expect(seen).toHaveLength(2);
    } finally {
      await zohos.close();
    }
  });

  it('evict() closes the connector; the next get() rebuilds it with the new settings', async () => {
    let region: 'US' | 'EU' = 'US';
    const zohos = registryOf({ settings: () => ({ ...TENANTS.a, region }) });
    try {
      const first = await zohos.get('a');
      expect(first.region.code).toBe('US');
      region = 'EU';
      expect(await zohos.get('a')).toBe(first); // settings are read at build time only
      await zohos.evict('a');
      await expect(first.authorizationUrl()).rejects.toMatchObject({ code: ErrorCode.CONNECTOR_CLOSED });
      const second = await zohos.get('a');
      expect(second).not.toBe(first);
      expect(second.region.code).toBe('EU');
      await zohos.evict('never-built'); // nothing to do
    } finally {
      await zohos.close();
    }
  });

  it('a get() racing an evict() gets the rebuilt connector, never a closed one', async () => {
    let release: () => void = () => {};
    let version = 0;
    const zohos = registryOf({
      settings: async () => {
        version++;
        if (version === 1) await new Promise<void>((resolve) => (release = resolve));
        return { ...TENANTS.a, edition: version === 1 ? 'Standard' : 'Enterprise' };
      },
    });
    try {
      const pending = zohos.get('a');
      const evicted = zohos.evict('a');
      release();
      await evicted;
      const connector = await pending;
      await expect(connector.authorizationUrl()).resolves.toMatchObject({ state: expect.any(String) });
      expect(version).toBe(2);
    } finally {
      await zohos.close();
    }
  });

  it('close(): lookups in flight finish with their answer, later calls get CONNECTOR_CLOSED', async () => {
    let hold: (() => void) | undefined;
    const gate = new Promise<void>((resolve) => (hold = resolve));
    const slowFetch: typeof fetch = async (input, init) => {
      if (String(input instanceof Request ? input.url : input).includes('/search')) await gate;
      return world.spy.fetch(input, init);
    };
    const tokenStore = createMemoryStore();
    const zohos = registryOf({ tokenStore, fetch: slowFetch });
    await zohos.handleCallback(await consent((await zohos.authorizationUrl('a')).url));
    const connector = await zohos.get('a');
    const lookup = connector.lookupCaller('+14155552671');
    const building = rejection(zohos.get('c')); // a build in flight while the registry closes
    const closing = zohos.close();
    hold?.();
    await closing;
    const match = await lookup;
    expect(match === null || match.name === 'Ada Lovelace').toBe(true);
    const racing = await building;
    expect(isZohoCrmError(racing) && racing.code).toBe(ErrorCode.CONNECTOR_CLOSED);
    expect((await rejection(zohos.get('a'))).code).toBe(ErrorCode.CONNECTOR_CLOSED);
    expect((await rejection(zohos.handleCallback('state=x&code=y'))).code).toBe(ErrorCode.CONNECTOR_CLOSED);
    await expect(connector.logCall({} as never)).rejects.toMatchObject({ code: ErrorCode.CONNECTOR_CLOSED });
    await expect(connector.lookupCaller('+14155552671')).rejects.toMatchObject({
      code: ErrorCode.CONNECTOR_CLOSED,
    });
    await zohos.close(); // twice is fine
    expect(zohos.size).toBe(0);
  });

  it('the state secret and client secrets never reach the logger', async () => {
    const lines: string[] = [];
    const record = (obj: unknown, msg?: string) => lines.push(JSON.stringify(obj) + (msg ?? ''));
    const zohos = registryOf({ logger: { debug: record, info: record, warn: record, error: record } });
    try {
      await zohos.handleCallback(await consent((await zohos.authorizationUrl('a')).url));
      await zohos.evict('a');
    } finally {
      await zohos.close();
    }
    expect(lines.length).toBeGreaterThan(0);
    const all = lines.join('\n');
    expect(all).not.toContain(STATE_SECRET);
    expect(all).not.toContain(TENANTS.a.clientSecret);
  });
});
