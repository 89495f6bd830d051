/**
 * The shared caller-ID cache (src/lookup/shared-cache.ts) and its subscriber hub, one rule at a time, over
 * an in-memory fake of the Redis commands it uses: what is read as absent, when writes are skipped, what
 * an invalidation deletes and publishes, which notices are heard, how failures are logged. The behaviour
 * across real nodes and a real Redis is in shared-cache.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CacheEntry } from '../../src/lookup/cache-entry.js';
import { createSharedCache, SHARED_CACHE_RETRY_MS, type SharedCache } from '../../src/lookup/shared-cache.js';
import { decodeNotice, encodeEntry, encodeNotice } from '../../src/lookup/shared-cache-codec.js';
import type { SharedCacheClient } from '../../src/lookup/shared-cache-types.js';
import { FAKE_TIME } from '../helpers/time.js';
import { keepingLogger } from './emulated-org.js';

const ADA = '+14155550101';
const BOB = '+14155550102';
const ENTRY: CacheEntry = { module: 'Contacts', id: 'r1', name: 'Ada', field: 'Phone' };
const TAG = '{zoho-crm-connector:c1}';
const CHANNEL = `${TAG}:forget`;

type Handler = (...args: unknown[]) => void;

/** A sorted-set range bound as Redis reads it ('-inf', '+inf' or a number). */
const bound = (value: number | string): number =>
  value === '+inf' ? Number.POSITIVE_INFINITY : value === '-inf' ? Number.NEGATIVE_INFINITY : Number(value);

/** A fake client: a key-value map with TTLs, the calls made, and commands that fail on demand. */
function fakeRedis() {
  const values = new Map<string, string>();
  const ttls = new Map<string, number>();
  const sets = new Map<string, Set<string>>();
  const zsets = new Map<string, Map<string, number>>();
  const calls: Array<[string, ...unknown[]]> = [];
  const published: string[] = [];
  let failure: unknown;
  const run = <T>(name: string, args: unknown[], value: () => T): Promise<T> => {
    calls.push([name, ...args]);
    return failure === undefined ? Promise.resolve(value()) : Promise.reject(failure);
  };
  const handlers = new Map<string, Handler[]>();
  const subscriber = {
    subscribed: [] as string[],
    unsubscribed: [] as string[],
    disconnected: 0,
    subscribeFailure: undefined as unknown,
    subscribe(channel: string) {
      subscriber.subscribed.push(channel);
      return subscriber.subscribeFailure === undefined
        ? Promise.resolve(1)
        : Promise.reject(subscriber.subscribeFailure);
    },
    unsubscribe(channel: string) {
      subscriber.unsubscribed.push(channel);
      return Promise.resolve(1);
    },
    on(event: string, handler: Handler) {
      handlers.set(event, [...(handlers.get(event) ?? []), handler]);
      return subscriber;
    },
    disconnect() {
      subscriber.disconnected++;
    },
    emit(event: string, ...args: unknown[]) {
      for (const handler of handlers.get(event) ?? []) handler(...args);
    },
  };
  let duplicates = 0;
  const client = {
    get: (key: string) => run('get', [key], () => values.get(key) ?? null),
    pttl: (key: string) => run('pttl', [key], () => (values.has(key) ? (ttls.get(key) ?? -1) : -2)),
    set: (key: string, value: string, ...rest: unknown[]) =>
      run('set', [key, value, ...rest], () => {
        values.set(key, value);
        ttls.set(key, rest[1] as number);
        return 'OK';
      }),
    del: (...keys: string[]) =>
      run('del', keys, () => {
        for (const key of keys) {
          values.delete(key);
          sets.delete(key);
          zsets.delete(key);
        }
        return keys.length;
      }),
    sadd: (key: string, ...members: string[]) =>
      run('sadd', [key, ...members], () => {
        const set = sets.get(key) ?? new Set<string>();
        for (const member of members) set.add(member);
        sets.set(key, set);
        return members.length;
      }),
    smembers: (key: string) => run('smembers', [key], () => [...(sets.get(key) ?? [])]),
    zadd: (key: string, score: number, member: string) =>
      run('zadd', [key, score, member], () => {
        const zset = zsets.get(key) ?? new Map<string, number>();
        zset.set(member, score);
        zsets.set(key, zset);
        return 1;
      }),
    zremrangebyscore: (key: string, min: number | string, max: number | string) =>
      run('zremrangebyscore', [key, min, max], () => {
        const zset = zsets.get(key);
        let removed = 0;
        for (const [member, score] of zset ?? []) {
          if (score >= bound(min) && score <= bound(max)) {
            zset?.delete(member);
            removed++;
          }
        }
        return removed;
      }),
    zrangebyscore: (key: string, min: number | string, max: number | string) =>
      run('zrangebyscore', [key, min, max], () =>
        [...(zsets.get(key) ?? [])]
          .filter(([, score]) => score >= bound(min) && score <= bound(max))
          .sort((a, b) => a[1] - b[1])
          .map(([member]) => member),
      ),
    pexpire: (key: string, ms: number) => run('pexpire', [key, ms], () => 1),
    publish: (channel: string, message: string) =>
      run('publish', [channel, message], () => {
        published.push(message);
        return 0;
      }),
    duplicate: () => {
      duplicates++;
      return subscriber;
    },
  } satisfies SharedCacheClient;
  return {
    client,
    subscriber,
    values,
    ttls,
    sets,
    zsets,
    calls,
    published: () => published.map((text) => decodeNotice(text)),
    named: (name: string) => calls.filter(([call]) => call === name).map(([, ...args]) => args),
    duplicates: () => duplicates,
    fail(error: unknown) {
      failure = error;
    },
  };
}

type FakeRedis = ReturnType<typeof fakeRedis>;

const opened: SharedCache[] = [];
afterEach(async () => {
  for (const cache of opened.splice(0)) await cache.close();
  vi.useRealTimers();
});

function cache(redis: FakeRedis, options: { connectionId?: string; at?: { now: number } } = {}) {
  const { logger, lines } = keepingLogger();
  const clock = options.at ?? { now: 1_000_000 };
  const shared = createSharedCache({
    client: redis.client,
    connectionId: options.connectionId ?? 'c1',
    timeoutMs: 50,
    missTtlMs: 60_000,
    logger,
    now: () => clock.now,
  });
  opened.push(shared);
  const warnings = () => lines.filter((line) => line.level === 'warn');
  const infos = () => lines.filter((line) => line.level === 'info');
  return { shared, lines, warnings, infos, clock };
}

describe('reads: what counts as absent', () => {
  it('a stored value with time left is a hit with that time; no expiry, an expiry of 0 or an undecodable value is absent', async () => {
    const redis = fakeRedis();
    const { shared } = cache(redis);
    const key = `${TAG}:caller:${ADA}`;
    redis.values.set(key, encodeEntry(ENTRY));
    redis.ttls.set(key, 1_234);
    expect(await shared.get(ADA)).toEqual({ entry: ENTRY, ttlMs: 1_234 });
    for (const ttl of [0, -1]) {
      redis.ttls.set(key, ttl);
      expect(await shared.get(ADA), `PTTL ${ttl}`).toBeUndefined();
    }
    redis.ttls.set(key, 1_234);
    redis.values.set(key, '{"module":"Deals"}');
    expect(await shared.get(ADA)).toBeUndefined();
    expect(await shared.get(BOB)).toBeUndefined();
  });

  it('the read leaves no timer behind', async () => {
    vi.useFakeTimers(FAKE_TIME);
    const redis = fakeRedis();
    const { shared } = cache(redis);
    await shared.get(ADA);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('writes', () => {
  it('a caller is stored with its TTL and joins its record set; a miss only where nothing is, in the miss set', async () => {
    const redis = fakeRedis();
    const { shared, clock } = cache(redis);
    shared.put(ADA, ENTRY, 10_000);
    shared.put(BOB, null, 3_000);
    await shared.settled();
    expect(redis.named('set')).toEqual([
      [`${TAG}:caller:${ADA}`, encodeEntry(ENTRY), 'PX', 10_000],
      [`${TAG}:caller:${BOB}`, '-', 'PX', 3_000, 'NX'],
    ]);
    expect(redis.sets.get(`${TAG}:record:r1`)).toEqual(new Set([ADA]));
    // The miss index is scored by expiry (the fake clock's now + the miss TTL), lapsed ones trimmed.
    expect(redis.zsets.get(`${TAG}:misses`)).toEqual(new Map([[BOB, clock.now + 3_000]]));
    expect(redis.named('zremrangebyscore')).toEqual([[`${TAG}:misses`, '-inf', clock.now]]);
    expect(redis.named('pexpire')).toEqual([
      [`${TAG}:record:r1`, 10_000],
      [`${TAG}:misses`, 60_000],
    ]);
    // Not announced unless asked.
    expect(redis.named('publish')).toEqual([]);
  });

  it('a TTL of 0 or less writes nothing', async () => {
    const redis = fakeRedis();
    const { shared } = cache(redis);
    shared.put(ADA, ENTRY, 0);
    shared.put(BOB, null, -5);
    await shared.settled();
    expect(redis.calls).toEqual([]);
  });

  it('an announced write tells the other nodes to drop the number', async () => {
    const redis = fakeRedis();
    const { shared } = cache(redis);
    shared.put(ADA, ENTRY, 10_000, true);
    await shared.settled();
    expect(redis.published()).toEqual([{ from: expect.any(String), numbers: [ADA] }]);
  });
});

describe('while Redis fails', () => {
  it('one warning naming the operation and the reason; reads and plain writes pause until the retry time, announced writes do not', async () => {
    const redis = fakeRedis();
    const { shared, warnings, clock } = cache(redis);
    redis.fail('connection refused'); // not an Error: its text is the reason
    expect(await shared.get(ADA)).toBeUndefined();
    expect(await shared.get(ADA)).toBeUndefined();
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]?.fields).toMatchObject({
      operation: 'get',
      reason: 'connection refused',
      retryInMs: SHARED_CACHE_RETRY_MS,
    });
    expect(warnings()[0]?.message).toMatch(/failed; lookups ask Zoho without it/);
    expect(redis.named('get')).toHaveLength(1); // the second read did not ask

    redis.fail(undefined);
    shared.put(ADA, ENTRY, 10_000);
    await shared.settled();
    expect(redis.named('set')).toHaveLength(0);
    shared.put(ADA, ENTRY, 10_000, true);
    await shared.settled();
    expect(redis.named('set')).toHaveLength(1);

    // At the retry time exactly, Redis is asked again.
    clock.now += SHARED_CACHE_RETRY_MS;
    shared.put(BOB, ENTRY, 10_000);
    await shared.settled();
    expect(redis.named('set')).toHaveLength(2);
  });

  it('each failing operation is named: set, forget, forgetMisses', async () => {
    for (const [operation, act] of [
      ['set', (shared: SharedCache) => shared.put(ADA, ENTRY, 1_000, true)],
      ['forget', (shared: SharedCache) => shared.forget([ADA], [])],
      ['forgetMisses', (shared: SharedCache) => shared.forgetMisses()],
    ] as const) {
      const redis = fakeRedis();
      const { shared, warnings } = cache(redis);
      redis.fail(new Error('READONLY'));
      await act(shared);
      await shared.settled();
      expect(
        warnings().map((line) => line.fields),
        operation,
      ).toEqual([{ operation, reason: 'READONLY', retryInMs: SHARED_CACHE_RETRY_MS }]);
    }
  });

  it('"answers again" once when Redis is back; the next outage warns again', async () => {
    const redis = fakeRedis();
    const { shared, warnings, infos, clock } = cache(redis);
    await shared.get(ADA);
    expect(infos()).toEqual([]); // never failed: nothing to say
    redis.fail(new Error('down'));
    await shared.get(ADA);
    redis.fail(undefined);
    clock.now += SHARED_CACHE_RETRY_MS;
    await shared.get(ADA);
    await shared.get(ADA);
    expect(infos().map((line) => line.message)).toEqual(['the shared caller-ID cache (Redis) answers again']);
    redis.fail(new Error('down again'));
    await shared.get(ADA);
    expect(warnings().map((line) => line.fields.reason)).toEqual(['down', 'down again']);
  });
});

describe('invalidation', () => {
  it('forgetting a record deletes its numbers, those in its set, and the set; the notice lists them all', async () => {
    const redis = fakeRedis();
    const { shared } = cache(redis);
    redis.sets.set(`${TAG}:record:r1`, new Set([BOB]));
    await shared.forget([ADA], ['r1']);
    expect(redis.named('smembers')).toEqual([[`${TAG}:record:r1`]]);
    expect(redis.named('del')).toEqual([
      [`${TAG}:caller:${ADA}`, `${TAG}:caller:${BOB}`, `${TAG}:record:r1`],
    ]);
    expect(redis.published()).toEqual([{ from: expect.any(String), numbers: [ADA, BOB], ids: ['r1'] }]);
  });

  it('forgetting numbers without a record reads no set; the notice lists the numbers as given', async () => {
    const redis = fakeRedis();
    const { shared } = cache(redis);
    await shared.forget([ADA, BOB], []);
    expect(redis.named('smembers')).toEqual([]);
    expect(redis.named('del')).toEqual([[`${TAG}:caller:${ADA}`, `${TAG}:caller:${BOB}`]]);
    expect(redis.published()).toEqual([{ from: expect.any(String), numbers: [ADA, BOB] }]);
  });

  it('nothing to delete sends no DEL, and the notice still goes out', async () => {
    const redis = fakeRedis();
    const { shared } = cache(redis);
    await shared.forget([], []);
    expect(redis.named('del')).toEqual([]);
    expect(redis.published()).toEqual([{ from: expect.any(String), numbers: [] }]);
  });

  it('forgetting the misses deletes those in the miss set and the set; the notice says "misses"', async () => {
    const redis = fakeRedis();
    const { shared, clock } = cache(redis);
    // One live miss and one lapsed (scored before now): only the live one is read and deleted.
    redis.zsets.set(
      `${TAG}:misses`,
      new Map([
        [BOB, clock.now + 1_000],
        [ADA, clock.now - 1],
      ]),
    );
    await shared.forgetMisses();
    expect(redis.named('zrangebyscore')).toEqual([[`${TAG}:misses`, clock.now, '+inf']]);
    expect(redis.named('del')).toEqual([[`${TAG}:caller:${BOB}`, `${TAG}:misses`]]);
    expect(redis.published()).toEqual([{ from: expect.any(String), numbers: [], misses: true }]);
  });
});

describe('notices from other nodes', () => {
  function listening(redis: FakeRedis, connectionId = 'c1') {
    const opened = cache(redis, { connectionId });
    const heard: unknown[] = [];
    opened.shared.listen(
      (numbers, ids) => heard.push({ numbers, ids }),
      () => heard.push('misses'),
      () => heard.push('gap'),
    );
    return { ...opened, heard };
  }

  it("another node's notices are heard; this node's own and unreadable ones are not", async () => {
    const redis = fakeRedis();
    const { shared, heard } = listening(redis);
    await shared.forget([ADA], []); // subscribes on first use; its own notice is not delivered back
    const own = redis.calls.find(([name]) => name === 'publish')?.[2] as string;
    redis.subscriber.emit('message', CHANNEL, own);
    redis.subscriber.emit('message', CHANNEL, 'not a notice');
    redis.subscriber.emit('message', CHANNEL, encodeNotice({ from: 'other', numbers: [BOB], ids: ['r2'] }));
    redis.subscriber.emit('message', CHANNEL, encodeNotice({ from: 'other', numbers: [], misses: true }));
    redis.subscriber.emit(
      'message',
      '{zoho-crm-connector:c9}:forget',
      encodeNotice({ from: 'other', numbers: [ADA] }),
    );
    expect(heard).toEqual([{ numbers: [BOB], ids: ['r2'] }, 'misses']);
  });

  it('a subscriber failure warns once (reads go on), and again only after a reconnection', async () => {
    const redis = fakeRedis();
    const { shared, heard, warnings } = listening(redis);
    await shared.get(ADA);
    redis.subscriber.emit('error', new Error('ECONNRESET'));
    redis.subscriber.emit('error', new Error('ECONNRESET'));
    expect(warnings().map((line) => [line.fields, line.message])).toEqual([
      [
        { operation: 'subscribe', reason: 'ECONNRESET' },
        "the shared caller-ID cache (Redis) cannot hear other nodes' invalidations; their entries stay here until their TTL",
      ],
    ]);
    await shared.get(ADA);
    expect(redis.named('get')).toHaveLength(2); // a subscriber's error does not pause the commands
    redis.subscriber.emit('ready'); // first connection: no gap
    redis.subscriber.emit('ready'); // a reconnection: notices may be lost
    expect(heard).toEqual(['gap']);
    redis.subscriber.emit('error', new Error('ECONNRESET'));
    expect(warnings()).toHaveLength(2);
  });

  it('a reconnection subscribes again; a refused subscription is a subscriber warning', async () => {
    const redis = fakeRedis();
    const { shared, warnings } = listening(redis);
    await shared.get(ADA);
    expect(redis.subscriber.subscribed).toEqual([CHANNEL]);
    redis.subscriber.subscribeFailure = new Error('NOPERM');
    redis.subscriber.emit('ready');
    await Promise.resolve();
    await Promise.resolve();
    expect(redis.subscriber.subscribed).toEqual([CHANNEL, CHANNEL]);
    expect(warnings().map((line) => line.fields)).toEqual([{ operation: 'subscribe', reason: 'NOPERM' }]);
  });
});

describe('one subscriber per client', () => {
  it('connections share it; each channel is subscribed once; it closes with the last connection only', async () => {
    const redis = fakeRedis();
    const heard: string[] = [];
    const [a, b, c] = ['c1', 'c1', 'c2'].map((connectionId, i) => {
      const { shared } = cache(redis, { connectionId });
      shared.listen(
        (numbers) => heard.push(`${i}:${numbers.join()}`),
        () => {},
        () => {},
      );
      return shared;
    }) as [SharedCache, SharedCache, SharedCache];
    for (const shared of [a, b, c]) await shared.get(ADA);
    expect(redis.duplicates()).toBe(1);
    expect(redis.subscriber.subscribed).toEqual([CHANNEL, '{zoho-crm-connector:c2}:forget']);
    redis.subscriber.emit('message', CHANNEL, encodeNotice({ from: 'other', numbers: ['1'] }));
    expect(heard).toEqual(['0:1', '1:1']);

    await a.close(); // c1 still has b: stays subscribed
    redis.subscriber.emit('message', CHANNEL, encodeNotice({ from: 'other', numbers: ['2'] }));
    expect(heard).toEqual(['0:1', '1:1', '1:2']);
    expect(redis.subscriber.unsubscribed).toEqual([]);

    await b.close(); // c1's last: unsubscribed, the subscriber stays for c2
    expect(redis.subscriber.unsubscribed).toEqual([CHANNEL]);
    expect(redis.subscriber.disconnected).toBe(0);

    await c.close(); // the last connection closes the subscriber
    expect(redis.subscriber.disconnected).toBe(1);
  });
});
