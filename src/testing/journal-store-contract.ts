/**
 * The behavioural contract every {@link JournalStore} meets, as one framework-neutral async function: the
 * built-in stores run it in their tests, and so can yours.
 *
 * @module
 */
import { isDeepStrictEqual } from 'node:util';
import type { DeadLetter, JournalOp, JournalStore } from '../journal/store.js';

/**
 * Options of {@link assertJournalStoreContract}.
 * @example
 * ```ts
 * const options: JournalStoreContractOptions = { shared: true, timeoutMs: 10_000 };
 * ```
 * @group Testing
 */
export interface JournalStoreContractOptions {
  /**
   * Whether two stores returned by `makeStore` share their data, as two nodes pointing at the same Redis
   * prefix or database schema do. When true, the suite also checks that one store sees what the other
   * queued and that a claim made through one hides the operation from the other. Leave it false for
   * stores that serve one process (memory, file).
   * @default false
   */
  shared?: boolean;
  /**
   * Longest the suite waits for any single store operation before failing the rule it checks.
   * @default 10000
   */
  timeoutMs?: number;
  /**
   * Prefix of every connection id the suite uses, so that runs against a shared backend never collide.
   * A journal store has no "forget this connection" method: clean the backend up yourself afterwards.
   * @default `journal-contract-<random>-`
   */
  idPrefix?: string;
}

/**
 * Checks that a journal store behaves as the journal expects, and throws an `Error` naming the first
 * rule it breaks. Runs with any test framework (or none): it is a plain async function.
 *
 * Rules: the ledger remembers logged calls per connection; `add` queues an operation once and a claim
 * returns it exactly, including optional fields the store does not know (the journal adds new ones
 * over time, so a store keeps the whole operation, not the fields it reads); returned and stored
 * operations are copies; `claimDue` returns due operations earliest first up to `limit`, and a claimed
 * operation is hidden from every claim until it is released, removed, buried or its lease runs out;
 * `claimCalls` returns a call's unleased operations, due or not, oldest first; `release` stores the new
 * schedule and never resurrects a removed operation; `remove` is idempotent; `pending` counts queued
 * operations (leased ones included); `bury`/`deadLetters`/`unbury` move letters out of the outbox and
 * back, oldest first; connections are isolated whatever characters their ids contain; concurrent
 * claimers never receive one operation twice; a store with `quarantined` reports nothing for a
 * healthy connection. With `shared: true`, also across two store instances.
 *
 * @param makeStore - Returns a store to test. Called once, or twice with `shared: true` (the two must
 *   share data).
 * @param options - See {@link JournalStoreContractOptions}.
 * @returns Resolves when every rule holds.
 * @throws `Error` `JournalStore contract: <rule>: <what happened>`, with the store's own error as `cause`
 *   when it threw.
 * @example
 * ```ts
 * import { it } from 'vitest';
 * import { assertJournalStoreContract } from 'zoho-crm-connector/testing';
 * import { createMemoryJournalStore } from 'zoho-crm-connector';
 *
 * it('meets the JournalStore contract', () => assertJournalStoreContract(() => createMemoryJournalStore()));
 * ```
 * @group Testing
 */
export async function assertJournalStoreContract(
  makeStore: () => JournalStore | Promise<JournalStore>,
  options: JournalStoreContractOptions = {},
): Promise<void> {
  const prefix = options.idPrefix ?? `journal-contract-${globalThis.crypto.randomUUID().slice(0, 8)}-`;
  const store = await makeStore();
  const other = options.shared ? await makeStore() : undefined;
  const ctx: Context = {
    store,
    other,
    timeoutMs: options.timeoutMs ?? 10_000,
    id: (name) => `${prefix}${name}`,
  };
  for (const [name, check] of RULES) await rule(ctx, name, check);
  if (other) for (const [name, check] of SHARED_RULES) await rule(ctx, name, check);
}

// --- Internal helpers ---

interface Context {
  store: JournalStore;
  other: JournalStore | undefined;
  timeoutMs: number;
  id(name: string): string;
}

type Check = (store: JournalStore, ctx: Context) => Promise<void>;

class ContractViolation extends Error {}

/** Base time of every operation the suite queues (2025-01-10). */
const T = 1_736_540_000_000;

async function rule(ctx: Context, name: string, check: Check): Promise<void> {
  // Every store call goes through a proxy that fails the rule when the call hangs.
  const store = new Proxy(ctx.store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        within(
          Promise.resolve((value as (...a: unknown[]) => unknown).apply(target, args)),
          ctx.timeoutMs,
          `${String(key)}()`,
        );
    },
  });
  try {
    await check(store, ctx);
  } catch (error) {
    if (error instanceof ContractViolation) {
      throw new Error(`JournalStore contract: ${name}: ${error.message}`, { cause: error.cause });
    }
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new Error(`JournalStore contract: ${name}: the store threw ${detail}`, { cause: error });
  }
}

function fail(message: string): never {
  throw new ContractViolation(message);
}

function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    const text = JSON.stringify(value);
    return text.length > 300 ? `${text.slice(0, 300)}…` : text;
  } catch {
    return String(value);
  }
}

function same(actual: unknown, expected: unknown, what: string): void {
  if (isDeepStrictEqual(actual, expected)) return;
  const where = difference(actual, expected, '');
  fail(`${what}: ${where ?? `got ${show(actual)}, expected ${show(expected)}`}`);
}

/** The first path where two JSON-like values differ, e.g. `[0].marker is missing`. */
function difference(actual: unknown, expected: unknown, path: string): string | undefined {
  const bothObjects =
    typeof actual === 'object' && actual !== null && typeof expected === 'object' && expected !== null;
  if (!bothObjects || Array.isArray(actual) !== Array.isArray(expected)) {
    return path === '' ? undefined : `${path} is ${show(actual)}, expected ${show(expected)}`;
  }
  const a = actual as Record<string, unknown>;
  const e = expected as Record<string, unknown>;
  if (Array.isArray(actual) && Array.isArray(expected) && actual.length !== expected.length) {
    return `${path || 'the list'} has ${actual.length} items, expected ${expected.length}`;
  }
  for (const key of new Set([...Object.keys(e), ...Object.keys(a)])) {
    const at = Array.isArray(a) ? `${path}[${key}]` : `${path}.${key}`;
    if (!(key in a)) return `${at} is missing`;
    if (!(key in e)) return `${at} is unexpected (${show(a[key])})`;
    if (!isDeepStrictEqual(a[key], e[key])) return difference(a[key], e[key], at) ?? `${at} differs`;
  }
  return undefined;
}

function ids(ops: readonly JournalOp[]): string[] {
  return ops.map((o) => o.id);
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ContractViolation(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function op(id: string, callId: string, extra: Partial<JournalOp> = {}): JournalOp {
  const create = id.startsWith('create:');
  return {
    id,
    callId,
    kind: create ? 'create' : 'note',
    ...(create ? { call: sampleCall(callId) } : { note: `note of ${callId}` }),
    createdAt: T,
    attempts: 0,
    nextAttemptAt: T,
    ...extra,
  };
}

function sampleCall(callId: string): NonNullable<JournalOp['call']> {
  return {
    id: callId,
    direction: 'inbound',
    trunk: true,
    from: '+14155552671',
    to: '201',
    startedAt: T - 60_000,
    endedAt: T,
    status: 'answered',
    notes: ['Zoë ☎ 👍', 'line\nbreak "quoted"'],
    agent: { extension: '201', email: 'a@example.com' },
  } as NonNullable<JournalOp['call']>;
}

/** A create operation with a full call, unicode, and optional fields no store knows about. */
function richCreate(callId: string): JournalOp {
  const extra = {
    lastError: { code: 'NETWORK', message: 'down', details: { attempt: 1, nested: [true, null, 'x'] } },
    // Fields a later version of the journal may add: a store must keep them.
    marker: 'zcc-7f3a',
    readBack: { startedAt: T - 60_000, subject: 'Incoming call', tries: [1, 2] },
  } as unknown as Partial<JournalOp>;
  return op(`create:${callId}`, callId, extra);
}

function letter(o: JournalOp, failedAt: number): DeadLetter {
  return {
    op: o,
    error: {
      code: 'ZOHO_API',
      zohoCode: 'INVALID_DATA',
      message: 'invalid data',
      details: { api_name: 'Subject' },
    },
    failedAt,
  };
}

const claim = (now: number, extra: { limit?: number; leaseMs?: number; dueBefore?: number } = {}) => ({
  now,
  leaseMs: extra.leaseMs ?? 1_000,
  limit: extra.limit ?? 100,
  ...(extra.dueBefore === undefined ? {} : { dueBefore: extra.dueBefore }),
});

const RULES: Array<[string, Check]> = [
  [
    'the ledger remembers logged calls per connection',
    async (store, { id }) => {
      same(await store.getLogged(id('ledger'), 'c1'), undefined, 'getLogged of an unknown call');
      await store.setLogged(id('ledger'), 'c1', 'z1');
      await store.setLogged(id('ledger'), 'c1', 'z1');
      same(await store.getLogged(id('ledger'), 'c1'), 'z1', 'getLogged after setLogged');
      same(await store.getLogged(id('ledger-other'), 'c1'), undefined, 'getLogged on another connection');
    },
  ],
  [
    'add queues an operation once and claims return it exactly, unknown optional fields included',
    async (store, { id }) => {
      const cid = id('round-trip');
      const create = richCreate('c1');
      same(await store.add(cid, create), true, 'the first add');
      same(await store.add(cid, { ...create, attempts: 9 }), false, 'a second add with the same id');
      const claimed = await store.claimDue(cid, claim(T));
      same(claimed, [create], 'claimDue after add');
    },
  ],
  [
    'returned and stored operations are copies',
    async (store, { id }) => {
      const cid = id('copies');
      const original = richCreate('c1');
      const input = structuredClone(original);
      await store.add(cid, input);
      input.attempts = 5;
      (input.call as { notes: string[] }).notes.push('mutated');
      const [claimed] = await store.claimDue(cid, claim(T));
      same(claimed, original, 'an operation mutated by the caller after add');
      (claimed as JournalOp).attempts = 42;
      await store.release(cid, original);
      const [again] = await store.claimDue(cid, claim(T));
      same(again, original, 'an operation after mutating what a claim returned');
    },
  ],
  [
    'claimDue returns due operations earliest first, up to the limit, hidden while leased',
    async (store, { id }) => {
      const cid = id('claim-due');
      await store.add(cid, op('note:c1:3', 'c1', { nextAttemptAt: T + 300 }));
      await store.add(cid, op('note:c1:1', 'c1', { nextAttemptAt: T + 100 }));
      await store.add(cid, op('note:c2:2', 'c2', { nextAttemptAt: T + 200 }));
      await store.add(cid, op('note:c3:9', 'c3', { nextAttemptAt: T + 900 }));
      same(ids(await store.claimDue(cid, claim(T))), [], 'a claim before anything is due');
      const first = await store.claimDue(cid, claim(T + 500, { limit: 2 }));
      same(ids(first), ['note:c1:1', 'note:c2:2'], 'a claim with limit 2');
      same(ids(await store.claimDue(cid, claim(T + 500))), ['note:c1:3'], 'the next claim');
      same(ids(await store.claimDue(cid, claim(T + 500))), [], 'a claim while everything due is leased');
      const rest = await store.claimDue(cid, claim(T + 500, { dueBefore: Number.POSITIVE_INFINITY }));
      same(ids(rest), ['note:c3:9'], 'a claim with dueBefore Infinity (not-yet-due work, leased excluded)');
      const expired = await store.claimDue(cid, claim(T + 1_501));
      same(
        ids(expired).sort(),
        ['note:c1:1', 'note:c1:3', 'note:c2:2', 'note:c3:9'],
        'a claim after the leases ran out',
      );
    },
  ],
  [
    'claimCalls returns the unleased operations of given calls, due or not, oldest first',
    async (store, { id }) => {
      const cid = id('claim-calls');
      await store.add(cid, op('note:c1:b', 'c1', { createdAt: T + 2, nextAttemptAt: T + 10_000 }));
      await store.add(cid, op('create:c1', 'c1', { createdAt: T + 1 }));
      await store.add(cid, op('note:c2:a', 'c2'));
      await store.add(cid, op('note:c3:a', 'c3'));
      const due = await store.claimCalls(cid, ['c1', 'c1'], { now: T, leaseMs: 1_000, dueBefore: T });
      same(ids(due), ['create:c1'], 'claimCalls with dueBefore');
      const all = await store.claimCalls(cid, ['c1', 'c2', 'nope'], { now: T, leaseMs: 1_000 });
      same(ids(all), ['note:c2:a', 'note:c1:b'], 'claimCalls without dueBefore');
      same(
        ids(await store.claimCalls(cid, ['c1', 'c2'], { now: T, leaseMs: 1_000 })),
        [],
        'claimCalls again',
      );
      same(ids(await store.claimDue(cid, claim(T))), ['note:c3:a'], 'claimDue after claimCalls');
    },
  ],
  [
    'release stores the new schedule, remove is final and idempotent, pending counts',
    async (store, { id }) => {
      const cid = id('release');
      same(await store.pending(cid), { count: 0 }, 'pending of an empty outbox');
      const note = op('note:c1:1', 'c1');
      await store.add(cid, note);
      await store.add(cid, op('note:c1:2', 'c1', { nextAttemptAt: T + 50 }));
      same(await store.pending(cid), { count: 2, nextAttemptAt: T }, 'pending with two queued');
      const [claimed] = await store.claimDue(cid, claim(T, { limit: 1 }));
      same((await store.pending(cid)).count, 2, 'pending counts leased operations');
      const retry: JournalOp = {
        ...(claimed as JournalOp),
        attempts: 1,
        nextAttemptAt: T + 5_000,
        lastError: { code: 'NETWORK', message: 'down' },
      };
      await store.release(cid, retry);
      same(
        ids(await store.claimDue(cid, claim(T + 4_999, { dueBefore: T + 4_999 }))),
        ['note:c1:2'],
        'a claim before the released operation is due',
      );
      const [back] = await store.claimDue(cid, claim(T + 5_000));
      same(back, retry, 'the released operation when due');
      await store.remove(cid, note);
      await store.release(cid, retry);
      same(
        ids(await store.claimCalls(cid, ['c1'], { now: T + 10_000, leaseMs: 1 })),
        ['note:c1:2'],
        'claimCalls after releasing a removed operation (must not come back)',
      );
      await store.remove(cid, op('note:c1:2', 'c1'));
      await store.remove(cid, op('note:c1:2', 'c1'));
      same(await store.pending(cid), { count: 0 }, 'pending after removing everything');
    },
  ],
  [
    'bury moves operations to the dead letters, oldest first, and unbury takes them back',
    async (store, { id }) => {
      const cid = id('dead');
      const create = richCreate('c1');
      await store.add(cid, create);
      await store.add(cid, op('create:c2', 'c2'));
      await store.bury(cid, letter(op('create:c2', 'c2'), T + 2));
      await store.bury(cid, letter(create, T + 1));
      same(await store.pending(cid), { count: 0 }, 'pending after burying both');
      same(ids(await store.claimCalls(cid, ['c1', 'c2'], { now: T, leaseMs: 1 })), [], 'claims after bury');
      const dead = await store.deadLetters(cid);
      same(dead, [letter(create, T + 1), letter(op('create:c2', 'c2'), T + 2)], 'deadLetters');
      same(await store.deadLetters(id('dead-other')), [], 'deadLetters of another connection');
      same(await store.unbury(cid, 'create:c1'), letter(create, T + 1), 'unbury');
      same(await store.unbury(cid, 'create:c1'), undefined, 'unbury twice');
      same(
        (await store.deadLetters(cid)).map((l) => l.op.id),
        ['create:c2'],
        'deadLetters after unbury',
      );
      same(await store.add(cid, create), true, 'add of an unburied operation');
    },
  ],
  [
    'connections are isolated, whatever characters their ids contain',
    async (store, { id }) => {
      const names = [
        'with space',
        'with/slash',
        '../../escape',
        '{braces}:colon',
        '%7B',
        'ünï-日本-😀',
        'Case',
        'case',
      ];
      const cids = names.map((name) => id(`iso-${name}`));
      cids.push(id('x'.repeat(500)));
      await Promise.all(cids.map((cid, index) => store.add(cid, op(`note:c:${index}`, 'c'))));
      await Promise.all(cids.map((cid, index) => store.setLogged(cid, 'c', `z${index}`)));
      for (const [index, cid] of cids.entries()) {
        same(
          ids(await store.claimCalls(cid, ['c'], { now: T, leaseMs: 1 })),
          [`note:c:${index}`],
          `claimCalls on id #${index}`,
        );
        same(await store.getLogged(cid, 'c'), `z${index}`, `getLogged on id #${index}`);
      }
    },
  ],
  [
    'concurrent claimers never receive one operation twice',
    async (store, { id }) => {
      const cid = id('concurrent');
      for (let i = 0; i < 40; i++)
        await store.add(cid, op(`note:c${i}:x`, `c${i}`, { nextAttemptAt: T + i }));
      const claims = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          i % 2 === 0
            ? store.claimDue(cid, claim(T + 100, { limit: 3, leaseMs: 10_000 }))
            : store.claimCalls(cid, [`c${i}`, `c${i + 1}`, `c${i + 2}`], { now: T + 100, leaseMs: 10_000 }),
        ),
      );
      const all = claims.flat().map((o) => o.id);
      if (new Set(all).size !== all.length) fail(`one operation was handed out twice: ${show(all.sort())}`);
      if (all.length <= 20) fail(`only ${all.length} operations were claimed by 20 claimers of 40`);
    },
  ],
  [
    'quarantined (when implemented) reports nothing for a healthy connection',
    async (store, { id }) => {
      if (typeof store.quarantined !== 'function') return;
      await store.add(id('quarantine'), op('create:c1', 'c1'));
      same(await store.quarantined(id('quarantine')), { count: 0, entries: [] }, 'quarantined');
    },
  ],
];

const SHARED_RULES: Array<[string, Check]> = [
  [
    'two instances share the outbox, the ledger and the leases',
    async (store, { id, other }) => {
      const second = other as JournalStore;
      const cid = id('shared');
      await store.add(cid, richCreate('c1'));
      await store.setLogged(cid, 'c0', 'z0');
      same(await second.getLogged(cid, 'c0'), 'z0', 'getLogged through the second store');
      same(await second.add(cid, richCreate('c1')), false, 'add of the same id through the second store');
      same(ids(await store.claimDue(cid, claim(T, { leaseMs: 10_000 }))), ['create:c1'], 'a claim');
      same(ids(await second.claimDue(cid, claim(T))), [], 'a claim through the second store while leased');
      await store.remove(cid, richCreate('c1'));
      same(await second.pending(cid), { count: 0 }, 'pending through the second store after remove');
    },
  ],
];
