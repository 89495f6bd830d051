import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StoredTokens, TokenStore } from '../../src/stores/types.js';
import { assertTokenStoreContract } from '../../src/testing/token-store-contract.js';

/** One way a store can be wrong; the suite must name the rule it breaks. */
interface Flaws {
  sharesObjects?: boolean;
  merges?: boolean;
  nullForMissing?: boolean;
  deleteThrowsWhenMissing?: boolean;
  caseInsensitiveIds?: boolean;
  keepsUndefinedScope?: boolean;
  noMutualExclusion?: boolean;
  swallowsErrors?: boolean;
  keepsLockAfterError?: boolean;
  globalLock?: boolean;
  lockNeverExpires?: boolean;
  releasesAnyLock?: boolean;
}

interface Backend {
  data: Map<string, StoredTokens>;
  locks: Map<string, { owner: number; expiresAt: number }>;
}

let owners = 0;

/** A small store with a TTL lock over a shared backend, with switchable flaws. */
function fakeStore(backend: Backend, flaws: Flaws = {}): TokenStore {
  const key = (id: string) => (flaws.caseInsensitiveIds ? id.toLowerCase() : id);
  const copy = (t: StoredTokens) => (flaws.sharesObjects ? t : { ...t });
  const lockKey = (id: string) => (flaws.globalLock ? '*' : key(id));
  return {
    async get(id) {
      const found = backend.data.get(key(id));
      if (!found) return flaws.nullForMissing ? (null as never) : undefined;
      return copy(found);
    },
    async set(id, tokens) {
      const previous = flaws.merges ? backend.data.get(key(id)) : undefined;
      const next = { ...previous, ...copy(tokens) };
      if (flaws.keepsUndefinedScope) next.scope = tokens.scope;
      backend.data.set(key(id), flaws.sharesObjects ? tokens : next);
    },
    async delete(id) {
      if (!backend.data.delete(key(id)) && flaws.deleteThrowsWhenMissing) throw new Error('no such key');
    },
    async withLock(id, ttlMs, fn) {
      const owner = ++owners;
      if (!flaws.noMutualExclusion) {
        for (;;) {
          const held = backend.locks.get(lockKey(id));
          if (!held || (!flaws.lockNeverExpires && held.expiresAt <= Date.now())) break;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        backend.locks.set(lockKey(id), { owner, expiresAt: Date.now() + ttlMs });
      }
      const release = () => {
        const held = backend.locks.get(lockKey(id));
        if (held && (flaws.releasesAnyLock || held.owner === owner)) backend.locks.delete(lockKey(id));
      };
      try {
        const value = await fn();
        release();
        return value;
      } catch (error) {
        if (!flaws.keepsLockAfterError) release();
        if (flaws.swallowsErrors) return undefined as never;
        throw error;
      }
    },
  };
}

const newBackend = (): Backend => ({ data: new Map(), locks: new Map() });

afterEach(() => {
  vi.useRealTimers();
});

/**
 * Runs the suite on fake time (its timers and clock, and the fake store's): the clock moves 1 ms a step
 * once everything that can run without time has run, so lock TTLs, polling and the suite's own time
 * limits play out the same however slow the machine is.
 */
async function onFakeTime(run: () => Promise<void>): Promise<void> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  let done = false;
  const result = run().finally(() => {
    done = true;
  });
  result.catch(() => undefined);
  for (let step = 0; !done && step < 100_000; step++) await vi.advanceTimersByTimeAsync(1);
  return result;
}

describe('assertTokenStoreContract', () => {
  it('passes a correct store, alone and shared between two instances', async () => {
    await onFakeTime(() => assertTokenStoreContract(() => fakeStore(newBackend())));
    const backend = newBackend();
    await onFakeTime(() =>
      assertTokenStoreContract(() => fakeStore(backend), { shared: true, lockTtlMs: 100 }),
    );
  });

  it('leaves nothing behind in the store', async () => {
    const backend = newBackend();
    await onFakeTime(() =>
      assertTokenStoreContract(() => fakeStore(backend), { shared: true, lockTtlMs: 100 }),
    );
    expect(backend.data.size).toBe(0);
  });

  it.each([
    ['nullForMissing', /get of an unknown connection resolves to undefined/],
    [
      'keepsUndefinedScope',
      /round-trips every field exactly: after set without scope.*unexpected key "scope"/,
    ],
    ['merges', /set replaces the whole document/],
    ['deleteThrowsWhenMissing', /delete removes and is idempotent: the store threw Error: no such key/],
    ['caseInsensitiveIds', /connections are isolated/],
    ['sharesObjects', /get returns a copy and set stores a copy/],
    ['swallowsErrors', /withLock rejects with fn’s own error/],
    ['keepsLockAfterError', /withLock rejects with fn’s own error.*is the lock released/],
    ['noMutualExclusion', /withLock serialises holders of one connection/],
    ['globalLock', /does not block another connection/],
    ['lockNeverExpires', /a holder whose TTL ran out does not block others/],
    ['releasesAnyLock', /cannot release their lock: the abandoned holder released/],
  ] as const)('catches a store that %s', async (flaw, message) => {
    const backend = newBackend();
    await expect(
      onFakeTime(() =>
        assertTokenStoreContract(() => fakeStore(backend, { [flaw]: true }), {
          shared: true,
          lockTtlMs: 100,
          timeoutMs: 400,
        }),
      ),
    ).rejects.toThrow(message);
  });
});
