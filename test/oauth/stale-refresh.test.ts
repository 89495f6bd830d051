import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuthorizationLostEvent } from '../../src/oauth/token-manager.js';
import { createFileStore } from '../../src/stores/file.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { createRedisStore } from '../../src/stores/redis.js';
import type { StoredTokens, TokenStore } from '../../src/stores/types.js';
import { testConnector } from '../helpers/test-connector.js';

const REDIS_URL = process.env.REDIS_URL;
const OLD_REFRESH = `1000.${'1'.repeat(32)}.${'a'.repeat(32)}`;
const NEW_REFRESH = `1000.${'2'.repeat(32)}.${'b'.repeat(32)}`;
const NEW_ACCESS = `1000.${'3'.repeat(32)}.${'c'.repeat(32)}`;
const OLD_GRANTED_AT = Date.now() - 86_400_000;

const oldGrant = (): StoredTokens => ({
  accessToken: `1000.${'0'.repeat(32)}.${'e'.repeat(32)}`,
  refreshToken: OLD_REFRESH,
  expiresAt: Date.now() - 1, // expired: the next call refreshes it
  apiDomain: 'https://www.zohoapis.com',
  accountsServer: 'https://accounts.zoho.com',
  region: 'US',
  grantedAt: OLD_GRANTED_AT,
});

/** A promise and the function that resolves it: a deterministic gate. */
function gate<T = void>() {
  let open!: (value: T) => void;
  const opened = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

/**
 * A slow accounts server: the refresh of the old grant is held until the test releases it and then
 * fails with `invalid_code` (the old refresh token was revoked); the code exchange answers at once.
 */
function slowAccounts() {
  const refreshArrived = gate();
  const releaseRefresh = gate();
  const crmTokens: string[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    if (url.pathname === '/oauth/v2/token') {
      const form = new URLSearchParams(String(init?.body ?? ''));
      if (form.get('grant_type') === 'refresh_token') {
        if (form.get('refresh_token') !== OLD_REFRESH) throw new Error('unexpected refresh');
        refreshArrived.open();
        await releaseRefresh.opened;
        return Response.json({ error: 'invalid_code' });
      }
      return Response.json({
        access_token: NEW_ACCESS,
        refresh_token: NEW_REFRESH,
        api_domain: 'https://www.zohoapis.com',
        token_type: 'Bearer',
        expires_in: 3600,
      });
    }
    crmTokens.push(new Headers(init?.headers).get('authorization') ?? '');
    return new Response(null, { status: 204 });
  };
  return { fetch, refreshArrived, releaseRefresh, crmTokens };
}

/** One node's view of the shared store, reporting when it starts to store a grant. */
function nodeView(inner: TokenStore, saving: () => void): TokenStore {
  return {
    get: (id) => inner.get(id),
    delete: (id) => inner.delete(id),
    // Without a lock: reached once the write is done. With one: reached when the write waits for it.
    set: async (id, tokens) => {
      await inner.set(id, tokens);
      saving();
    },
    ...(inner.withLock
      ? {
          withLock: <T>(id: string, ttlMs: number, fn: () => Promise<T>) => {
            saving();
            return (inner.withLock as NonNullable<TokenStore['withLock']>)(id, ttlMs, fn);
          },
        }
      : {}),
  };
}

interface SharedStore {
  /** A second handle on the same data, as another process would open it. */
  open(): TokenStore;
  close(): Promise<void>;
}

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

const STORES: Array<[string, () => SharedStore]> = [
  [
    'memory',
    () => {
      const store = createMemoryStore();
      return { open: () => store, close: async () => {} };
    },
  ],
  [
    'file',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'zcc-stale-'));
      const encryptionKey = randomBytes(32).toString('base64');
      return {
        open: () => createFileStore({ path: dir, encryptionKey }),
        close: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  ],
];
if (REDIS_URL) {
  STORES.push([
    'redis',
    () => {
      const keyPrefix = `zcc-test-stale-${randomUUID()}`;
      const clients: Redis[] = [];
      return {
        open: () => {
          const client = new Redis(REDIS_URL);
          clients.push(client);
          return createRedisStore({ client, keyPrefix });
        },
        close: async () => {
          const [first] = clients;
          if (first) {
            const keys = await first.keys(`{${keyPrefix}:*`);
            if (keys.length) await first.del(...keys);
          }
          for (const client of clients) await client.quit();
        },
      };
    },
  ]);
}

describe('finding 1: a freshly stored grant is never deleted by a stale refresh', () => {
  it.each(
    STORES.flatMap(([name, make]) => [
      [`${name} store, two connectors`, make, true] as const,
      [`${name} store, one connector`, make, false] as const,
    ]),
  )('%s (Redis skipped without REDIS_URL)', async (_label, make, twoNodes) => {
    const shared = make();
    cleanups.push(() => shared.close());
    const accounts = slowAccounts();
    const bSaving = gate();
    const seed = shared.open();
    await seed.set('t1', oldGrant());

    const lost = { a: [] as AuthorizationLostEvent[], b: [] as AuthorizationLostEvent[] };
    const node = (store: TokenStore, events: AuthorizationLostEvent[]) => {
      const zoho = testConnector({ tokenStore: store, fetch: accounts.fetch });
      zoho.on('authorizationLost', (event) => events.push(event));
      return zoho;
    };
    let saving = false;
    const onSaving = () => {
      if (saving) bSaving.open();
    };
    const a = node(nodeView(shared.open(), onSaving), lost.a);
    const b = twoNodes ? node(nodeView(shared.open(), onSaving), lost.b) : a;
    try {
      // Node A starts refreshing the old grant; Zoho is slow to answer.
      const aCall = a.searchDirectory('smith').catch((error: unknown) => error);
      await accounts.refreshArrived.opened;

      // Meanwhile the admin authorizes again through node B, which stores the new grant.
      const { url } = await b.authorizationUrl();
      const state = new URL(url).searchParams.get('state') ?? '';
      saving = true;
      const callback = b.handleCallback(
        `https://pbx.example.com/cb?code=1000.code&state=${encodeURIComponent(state)}&location=us&accounts-server=${encodeURIComponent('https://accounts.zoho.com')}`,
      );
      await bSaving.opened;

      // Now Zoho answers node A's refresh of the old grant: invalid_code.
      accounts.releaseRefresh.open();
      await aCall;
      expect(await callback).toMatchObject({ region: 'US' });

      expect((await seed.get('t1'))?.refreshToken).toBe(NEW_REFRESH);
      expect(await a.isAuthorized()).toBe(true);
      expect(await b.isAuthorized()).toBe(true);
      // A loss may be reported for the revoked old grant, never for the new one.
      expect(lost.b.filter((event) => event.grantedAt !== OLD_GRANTED_AT)).toEqual([]);
      expect(lost.a.filter((event) => event.grantedAt !== OLD_GRANTED_AT)).toEqual([]);

      // Both nodes work with the new grant.
      accounts.crmTokens.length = 0;
      await a.searchDirectory('jones'); // queries not asked before: the directory cache cannot answer
      await b.searchDirectory('brown');
      expect(new Set(accounts.crmTokens)).toEqual(new Set([`Zoho-oauthtoken ${NEW_ACCESS}`]));
      expect((await seed.get('t1'))?.refreshToken).toBe(NEW_REFRESH);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('no grant slips in between the re-read and the delete: storing a grant waits for the refresh lock', async () => {
    const shared = createMemoryStore();
    await shared.set('t1', oldGrant());
    const accounts = slowAccounts();
    accounts.releaseRefresh.open(); // Zoho answers invalid_code at once
    const bSaving = gate();
    let startB: () => Promise<unknown> = async () => undefined;
    let reads = 0;
    // Node A's view: right after its re-read (the 2nd read), node B tries to store the new grant.
    const aView: TokenStore = {
      ...shared,
      get: async (id) => {
        const value = await shared.get(id);
        if (++reads === 2) {
          const done = startB();
          await Promise.race([bSaving.opened, done]);
        }
        return value;
      },
    };
    const make = (store: TokenStore) => testConnector({ tokenStore: store, fetch: accounts.fetch });
    const a = make(aView);
    const b = make(nodeView(shared, () => bSaving.open()));
    try {
      const { url } = await b.authorizationUrl();
      const state = new URL(url).searchParams.get('state') ?? '';
      let callback: Promise<unknown> | undefined;
      startB = () => {
        callback = b.handleCallback(
          `https://pbx.example.com/cb?code=1000.code&state=${encodeURIComponent(state)}&location=us`,
        );
        return callback;
      };
      await a.searchDirectory('smith').catch(() => undefined);
      expect(reads).toBeGreaterThanOrEqual(2);
      await callback;
      expect((await shared.get('t1'))?.refreshToken).toBe(NEW_REFRESH);
      expect(await a.isAuthorized()).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a refresh that succeeds never overwrites a grant stored meanwhile, nor brings back a revoked one', async () => {
    const memory = createMemoryStore();
    const store: TokenStore = { get: memory.get, set: memory.set, delete: memory.delete };
    for (const meanwhile of ['new grant', 'revoked'] as const) {
      await store.set('t1', oldGrant());
      const arrived = gate();
      const release = gate();
      let refreshed = 0;
      const fetch: typeof globalThis.fetch = async (input) => {
        if (String(input).endsWith('/oauth/v2/token')) {
          refreshed++;
          arrived.open();
          await release.opened;
          return Response.json({
            access_token: `1000.${'9'.repeat(32)}.${'d'.repeat(32)}`,
            expires_in: 3600,
          });
        }
        return new Response(null, { status: 204 });
      };
      const zoho = testConnector({ tokenStore: store, fetch });
      try {
        const call = zoho.searchDirectory('smith').catch((error: unknown) => error);
        await arrived.opened;
        const fresh = {
          ...oldGrant(),
          refreshToken: NEW_REFRESH,
          accessToken: NEW_ACCESS,
          expiresAt: Date.now() + 3_600_000,
        };
        if (meanwhile === 'new grant') await store.set('t1', fresh);
        else await store.delete('t1');
        release.open();
        const outcome = await call;
        expect(refreshed).toBe(1);
        if (meanwhile === 'new grant') {
          expect(outcome).toEqual([]);
          expect(await store.get('t1')).toEqual(fresh);
        } else {
          expect(outcome).toMatchObject({ code: 'AUTH_NOT_CONNECTED' });
          expect(await store.get('t1')).toBeUndefined();
        }
      } finally {
        await zoho.close();
      }
    }
  });

  it('a store without a lock: the refresh re-reads before deleting and keeps the grant stored meanwhile', async () => {
    const memory = createMemoryStore();
    const store: TokenStore = { get: memory.get, set: memory.set, delete: memory.delete };
    await store.set('t1', oldGrant());
    const accounts = slowAccounts();
    const events: AuthorizationLostEvent[] = [];
    const zoho = testConnector({ tokenStore: store, fetch: accounts.fetch });
    zoho.on('authorizationLost', (event) => events.push(event));
    try {
      const call = zoho.searchDirectory('smith');
      await accounts.refreshArrived.opened;
      // Another node (no lock to wait for) stores a new grant while the refresh is in flight.
      await store.set('t1', {
        ...oldGrant(),
        refreshToken: NEW_REFRESH,
        accessToken: NEW_ACCESS,
        expiresAt: Date.now() + 3_600_000,
        grantedAt: Date.now(),
      });
      accounts.releaseRefresh.open();
      await call;
      expect((await store.get('t1'))?.refreshToken).toBe(NEW_REFRESH);
      expect(events).toEqual([]);
      expect(await zoho.isAuthorized()).toBe(true);
      expect(accounts.crmTokens.every((header) => header === `Zoho-oauthtoken ${NEW_ACCESS}`)).toBe(true);
    } finally {
      await zoho.close();
    }
  });
});
