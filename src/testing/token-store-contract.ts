/**
 * The behavioural contract every {@link TokenStore} meets, as one framework-neutral async function: the
 * built-in stores run it in their tests, and so can yours.
 *
 * @module
 */
import type { StoredTokens, TokenStore } from '../stores/types.js';

/**
 * Options of {@link assertTokenStoreContract}.
 * @example
 * ```ts
 * const options: TokenStoreContractOptions = { shared: true, lockTtlMs: 300, timeoutMs: 10_000 };
 * ```
 * @group Testing
 */
export interface TokenStoreContractOptions {
  /**
   * Whether two stores returned by `makeStore` share their data, as two processes pointing at the same
   * directory or Redis prefix do. When true, the suite also checks that one store reads what the other
   * wrote, that `withLock` excludes holders across the two, and that a holder that stops (its lock's TTL
   * runs out) does not block the other store forever. Leave it false for in-process stores.
   * @default false
   */
  shared?: boolean;
  /**
   * TTL in ms of the abandoned holder in the shared-lock check: the store must let another holder in
   * after roughly this long (not before half of it).
   * @default 250
   */
  lockTtlMs?: number;
  /**
   * Longest the suite waits for any single store operation or lock before failing the rule it checks.
   * @default 10000
   */
  timeoutMs?: number;
  /**
   * Concurrent `withLock` holders in the serialisation check.
   * @default 8
   */
  concurrency?: number;
  /**
   * Prefix of every connection id the suite uses, so that runs against a shared backend never collide.
   * Everything the suite writes is deleted again at the end.
   * @default `contract-<random>-`
   */
  idPrefix?: string;
}

/**
 * Checks that a token store behaves as the connector expects, and throws an `Error` naming the first
 * rule it breaks. Runs with any test framework (or none): it is a plain async function.
 *
 * Rules: `get` of an unknown id resolves to `undefined`; `set` then `get` returns every field exactly,
 * with `scope` absent when it was absent; `set` replaces (no merging); `delete` removes and is
 * idempotent; connections are isolated, including ids with spaces, slashes, `..`, braces, unicode,
 * different letter case and 1,000 characters; returned objects are copies, and so are stored ones.
 * When the store has `withLock`: it returns `fn`'s value, rejects with `fn`'s own error and releases the
 * lock either way; concurrent holders of one id never overlap and lose no read-modify-write update;
 * holding one id does not block another. With `shared: true`, also across two store instances, plus:
 * a holder whose TTL runs out stops blocking others, and when it finally finishes it does not release
 * the lock of the holder that came after it.
 *
 * @param makeStore - Returns a store to test. Called once, or twice with `shared: true` (the two must
 *   share data). It may return the same instance each time when that is all there is.
 * @param options - See {@link TokenStoreContractOptions}.
 * @returns Resolves when every rule holds; everything the suite wrote has been deleted.
 * @throws `Error` `TokenStore contract: <rule>: <what happened>`, with the store's own error as `cause`
 *   when it threw.
 * @example
 * ```ts
 * import { it } from 'vitest';
 * import { assertTokenStoreContract } from 'zoho-crm-connector/testing';
 *
 * it('meets the TokenStore contract', () => assertTokenStoreContract(() => createPostgresStore({ pool })));
 * ```
 * @group Testing
 */
export async function assertTokenStoreContract(
  makeStore: () => TokenStore | Promise<TokenStore>,
  options: TokenStoreContractOptions = {},
): Promise<void> {
  const shared = options.shared ?? false;
  const lockTtlMs = options.lockTtlMs ?? 250;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const concurrency = options.concurrency ?? 8;
  const prefix = options.idPrefix ?? `contract-${randomId()}-`;
  const used = new Set<string>();
  const id = (name: string): string => {
    const full = `${prefix}${name}`;
    used.add(full);
    return full;
  };

  const store = await makeStore();
  const other = shared ? await makeStore() : store;
  const ctx: Context = { store, other, shared, lockTtlMs, timeoutMs, concurrency, id };
  try {
    await checkData(ctx);
    if (typeof store.withLock === 'function') await checkLock(ctx);
  } finally {
    await Promise.allSettled([...used].map((connectionId) => store.delete(connectionId)));
  }
}

// --- Internal helpers ---

interface Context {
  store: TokenStore;
  other: TokenStore;
  shared: boolean;
  lockTtlMs: number;
  timeoutMs: number;
  concurrency: number;
  id(name: string): string;
}

type Lock = NonNullable<TokenStore['withLock']>;

class ContractViolation extends Error {}

async function rule(name: string, check: () => Promise<void>): Promise<void> {
  try {
    await check();
  } catch (error) {
    if (error instanceof ContractViolation) {
      throw new Error(`TokenStore contract: ${name}: ${error.message}`, { cause: error.cause });
    }
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new Error(`TokenStore contract: ${name}: the store threw ${detail}`, { cause: error });
  }
}

function fail(message: string, cause?: unknown): never {
  throw new ContractViolation(message, cause === undefined ? undefined : { cause });
}

function randomId(): string {
  return globalThis.crypto.randomUUID().slice(0, 8);
}

function sample(label: string, withScope: boolean): StoredTokens {
  const tokens: StoredTokens = {
    accessToken: `1000.access.${label}.${randomId()}`,
    refreshToken: `1000.refresh.${label}.${randomId()}`,
    expiresAt: 1_767_225_600_123,
    apiDomain: 'https://www.zohoapis.eu',
    accountsServer: 'https://accounts.zoho.eu',
    region: 'EU',
    grantedAt: 1_767_222_000_456,
  };
  if (withScope) tokens.scope = 'ZohoCRM.modules.contacts.READ,ZohoSearch.securesearch.READ';
  return tokens;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/**
 * How `actual` differs from a flat token document: missing, unexpected and unequal (`Object.is`) keys.
 * Empty when they are exactly equal.
 */
function differences(actual: unknown, expected: StoredTokens): string[] {
  if (typeof actual !== 'object' || actual === null) return [`expected an object, got ${describe(actual)}`];
  const a = actual as Record<string, unknown>;
  const e = expected as unknown as Record<string, unknown>;
  const out: string[] = [];
  for (const key of new Set([...Object.keys(e), ...Object.keys(a)])) {
    if (!(key in a)) out.push(`"${key}" is missing`);
    else if (!(key in e)) out.push(`unexpected key "${key}" (${describe(a[key])})`);
    else if (!Object.is(a[key], e[key]))
      out.push(`"${key}" is ${describe(a[key])}, expected ${describe(e[key])}`);
  }
  return out;
}

async function expectTokens(store: TokenStore, connectionId: string, expected: StoredTokens, when: string) {
  const actual = await store.get(connectionId);
  const diff = differences(actual, expected);
  if (diff.length > 0)
    fail(`${when}: get(${describe(connectionId)}) differs from what was set: ${diff.join('; ')}`);
}

async function expectMissing(store: TokenStore, connectionId: string, when: string) {
  const actual = await store.get(connectionId);
  if (actual !== undefined)
    fail(`${when}: get(${describe(connectionId)}) returned ${describe(actual)}, expected undefined`);
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ContractViolation(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Gate {
  promise: Promise<void>;
  open(): void;
}

function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

async function checkData(ctx: Context): Promise<void> {
  const { store, other, id } = ctx;

  await rule('get of an unknown connection resolves to undefined', async () => {
    await expectMissing(store, id('never-set'), 'nothing was stored');
  });

  await rule('set then get round-trips every field exactly', async () => {
    const withScope = sample('with-scope', true);
    const withoutScope = sample('without-scope', false);
    await store.set(id('round-trip-scope'), withScope);
    await store.set(id('round-trip-no-scope'), withoutScope);
    await expectTokens(store, id('round-trip-scope'), withScope, 'after set with scope');
    await expectTokens(store, id('round-trip-no-scope'), withoutScope, 'after set without scope');
    const read = await store.get(id('round-trip-no-scope'));
    if (read && 'scope' in read) fail(`scope was absent when stored but get() returned a "scope" key`);
    if (ctx.shared) {
      await expectTokens(other, id('round-trip-scope'), withScope, 'read through the second store');
    }
  });

  await rule('set replaces the whole document (no merging)', async () => {
    const first = sample('first', true);
    const second = sample('second', false);
    await store.set(id('replace'), first);
    await store.set(id('replace'), second);
    await expectTokens(store, id('replace'), second, 'after the second set');
  });

  await rule('delete removes and is idempotent', async () => {
    await store.set(id('delete'), sample('delete', true));
    await store.delete(id('delete'));
    await expectMissing(store, id('delete'), 'after delete');
    await store.delete(id('delete'));
    await store.delete(id('delete-never-set'));
    await expectMissing(store, id('delete'), 'after deleting twice');
  });

  await rule('connections are isolated, whatever characters their ids contain', async () => {
    const names = [
      'plain',
      'with space',
      'with/slash',
      'back\\slash',
      '../../escape',
      '..',
      '.',
      '{braces}:colon',
      '%7B',
      'ünïcödé-日本-😀',
      'Tenant-Case',
      'tenant-case',
      'x'.repeat(1000),
    ];
    const ids = names.map((name) => id(name));
    const docs = ids.map((_, index) => sample(`iso-${index}`, index % 2 === 0));
    await Promise.all(ids.map((connectionId, index) => store.set(connectionId, docs[index]!)));
    for (const [index, connectionId] of ids.entries()) {
      await expectTokens(store, connectionId, docs[index]!, `id ${describe(names[index])}`);
    }
    await store.delete(ids[0]!);
    await expectMissing(store, ids[0]!, 'after deleting one of them');
    for (const [index, connectionId] of ids.entries()) {
      if (index > 0)
        await expectTokens(
          store,
          connectionId,
          docs[index]!,
          `id ${describe(names[index])} after deleting another`,
        );
    }
  });

  await rule('get returns a copy and set stores a copy', async () => {
    const original = sample('copy', true);
    const input = { ...original };
    await store.set(id('copy'), input);
    input.accessToken = 'mutated-input';
    input.expiresAt = 1;
    await expectTokens(store, id('copy'), original, 'after mutating the object passed to set');
    const read = await store.get(id('copy'));
    if (!read) fail('get returned undefined right after set');
    read.accessToken = 'mutated-output';
    delete read.scope;
    (read as unknown as Record<string, unknown>).extra = true;
    await expectTokens(store, id('copy'), original, 'after mutating the object get returned');
  });
}

async function checkLock(ctx: Context): Promise<void> {
  const { store, other, id, timeoutMs } = ctx;
  const lock = (target: TokenStore): Lock => {
    if (typeof target.withLock !== 'function') fail('the second store has no withLock but the first has');
    return target.withLock.bind(target);
  };
  const longTtl = Math.max(60_000, timeoutMs * 3);

  await rule('withLock returns what fn resolves to', async () => {
    const value = await within(
      lock(store)(id('lock-value'), longTtl, async () => ({ answer: 42 })),
      timeoutMs,
      'withLock',
    );
    if (value?.answer !== 42) fail(`returned ${describe(value)}, expected { answer: 42 }`);
  });

  await rule('withLock rejects with fn’s own error and releases the lock', async () => {
    const boom = new Error('boom from fn');
    const outcome = await within(
      lock(store)(id('lock-error'), longTtl, async () => {
        throw boom;
      }).then(
        () => 'resolved',
        (error: unknown) => error,
      ),
      timeoutMs,
      'withLock with a rejecting fn',
    );
    if (outcome !== boom)
      fail(`expected a rejection with fn's error object, got ${describe(outcome)}`, outcome);
    const syncThrow = await within(
      lock(store)(id('lock-error'), longTtl, () => {
        throw boom;
      }).then(
        () => 'resolved',
        (error: unknown) => error,
      ),
      timeoutMs,
      'withLock right after a failed holder (is the lock released?)',
    );
    if (syncThrow !== boom)
      fail(`a synchronously throwing fn: expected its error, got ${describe(syncThrow)}`, syncThrow);
    await within(
      lock(store)(id('lock-error'), longTtl, async () => undefined),
      timeoutMs,
      'withLock after two failed holders (is the lock released?)',
    );
  });

  await rule('withLock serialises holders of one connection (no overlap, no lost update)', async () => {
    const connectionId = id('lock-serial');
    const counter = sample('counter', false);
    counter.grantedAt = 0;
    await store.set(connectionId, counter);
    let active = 0;
    let overlap = 0;
    const holders = Array.from({ length: ctx.concurrency }, (_, index) =>
      lock(index % 2 === 0 ? store : other)(connectionId, longTtl, async () => {
        active += 1;
        if (active > 1) overlap += 1;
        const current = await store.get(connectionId);
        await delay(2);
        await store.set(connectionId, { ...current!, grantedAt: current!.grantedAt + 1 });
        active -= 1;
      }),
    );
    await within(Promise.all(holders), timeoutMs * 2, `${ctx.concurrency} concurrent withLock holders`);
    if (overlap > 0) fail(`holders overlapped ${overlap} time(s)`);
    const final = await store.get(connectionId);
    if (final?.grantedAt !== ctx.concurrency) {
      fail(
        `a read-modify-write counter ended at ${final?.grantedAt}, expected ${ctx.concurrency} (lost updates)`,
      );
    }
  });

  await rule('holding one connection’s lock does not block another connection', async () => {
    const held = gate();
    const entered = gate();
    const first = lock(store)(id('lock-a'), longTtl, async () => {
      entered.open();
      await held.promise;
    });
    try {
      await within(entered.promise, timeoutMs, 'the first holder');
      await within(
        lock(other)(id('lock-b'), longTtl, async () => undefined),
        timeoutMs,
        'withLock on another id',
      );
    } finally {
      held.open();
      await first;
    }
  });

  if (!ctx.shared) return;

  await rule('a holder whose TTL ran out does not block others, and cannot release their lock', async () => {
    const connectionId = id('lock-abandoned');
    const stuck = gate();
    const firstIn = gate();
    let firstAt = 0;
    // The first holder "dies": its fn never finishes while the others need the lock.
    const first = lock(store)(connectionId, ctx.lockTtlMs, async () => {
      firstAt = Date.now();
      firstIn.open();
      await stuck.promise;
      return 'first';
    });
    const secondIn = gate();
    const secondDone = gate();
    let secondActive = false;
    let second: Promise<unknown> | undefined;
    try {
      await within(firstIn.promise, timeoutMs, 'the first holder');
      second = lock(other)(connectionId, longTtl, async () => {
        secondActive = true;
        secondIn.open();
        await secondDone.promise;
        secondActive = false;
      });
      await within(secondIn.promise, ctx.lockTtlMs + timeoutMs, 'a holder waiting for an abandoned lock');
      const waited = Date.now() - firstAt;
      if (waited < ctx.lockTtlMs / 2) {
        fail(
          `the second holder got in after ${waited} ms, before the first holder's ${ctx.lockTtlMs} ms TTL ran out`,
        );
      }
      // The first holder wakes up and finishes: its release must leave the second holder's lock alone.
      stuck.open();
      await within(first, timeoutMs, 'the abandoned holder finishing');
      let overlapped = false;
      const third = lock(store)(connectionId, longTtl, async () => {
        if (secondActive) overlapped = true;
      });
      await delay(Math.min(ctx.lockTtlMs, 150));
      secondDone.open();
      await within(third, timeoutMs, 'a third holder after the second released');
      if (overlapped) fail('the abandoned holder released the lock of the holder that came after it');
    } finally {
      stuck.open();
      secondDone.open();
      await Promise.allSettled([first, second]);
    }
  });
}
