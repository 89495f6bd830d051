/**
 * The in-memory token store: the default, and right for a single process that can afford to
 * re-authorize after a restart (or for tests).
 *
 * @module
 */
import type { StoredTokens, TokenStore } from './types.js';

/**
 * A token store that lives in this process's memory. Values are copied in and out, so callers cannot
 * mutate what is stored. `withLock` serialises callers within this process.
 * @example
 * ```ts
 * const zoho = new ZohoCrmConnector({ ...options, tokenStore: createMemoryStore() });
 * ```
 * @group Token stores
 */
export function createMemoryStore(): TokenStore {
  const tokens = new Map<string, StoredTokens>();
  const locks = new Map<string, Promise<unknown>>();
  return {
    async get(connectionId) {
      const found = tokens.get(connectionId);
      return found ? { ...found } : undefined;
    },
    async set(connectionId, value) {
      tokens.set(connectionId, { ...value });
    },
    async delete(connectionId) {
      tokens.delete(connectionId);
    },
    async withLock(connectionId, _ttlMs, fn) {
      const previous = locks.get(connectionId) ?? Promise.resolve();
      const run = previous.then(fn, fn);
      const settled = run.catch(() => undefined);
      locks.set(connectionId, settled);
      try {
        return await run;
      } finally {
        if (locks.get(connectionId) === settled) locks.delete(connectionId);
      }
    },
  };
}
