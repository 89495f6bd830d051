import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import type { CallerLookup } from '../../src/lookup/caller-lookup.js';
import { decodeEntry, decodeNotice, encodeEntry } from '../../src/lookup/shared-cache-codec.js';
import type { SharedCacheClient } from '../../src/lookup/shared-cache-types.js';
import { parseConnectorOptions } from '../../src/options.js';
import { FAKE_TIME } from '../helpers/time.js';
import { type EmulatedOrg, emulatedOrg, keepingLogger } from './emulated-org.js';

const REDIS_URL = process.env.REDIS_URL;
const ADA = '+14155550101';
const UNKNOWN = '+14155550199';

let org: EmulatedOrg;
let adaId: string;
beforeEach(async () => {
  org = await emulatedOrg();
  [adaId] = org.emu.seed('Contacts', [
    { First_Name: 'Ada', Last_Name: 'Lovelace', Phone: '+1 415 555 0101' },
  ]) as [string];
});
afterEach(async () => {
  await org.close();
  vi.useRealTimers();
});

/** Every request the org received so far. */
const requests = () => Object.values(org.sent()).reduce((sum, n) => sum + n, 0);

describe('the stored forms', () => {
  it('a caller round-trips with the fields of the in-process entry; a miss is "-"; foreign values are ignored', () => {
    const entry = { module: 'Contacts' as const, id: '1', name: 'Ada', field: 'Phone', ownerId: '9' };
    expect(decodeEntry(encodeEntry(entry))).toEqual(entry);
    expect(encodeEntry(null)).toBe('-');
    expect(decodeEntry('-')).toBeNull();
    for (const foreign of [
      '{',
      '42',
      '{"module":"Deals","id":"1","name":"x","field":"f"}',
      '{"module":"Leads"}',
    ])
      expect(decodeEntry(foreign)).toBeUndefined();
    const alternative = {
      module: 'Contacts',
      id: '2',
      name: 'Bob',
      phone: '+1',
      field: 'Mobile',
      recordUrl: 'https://crm.zoho.com/crm/tab/Contacts/2',
      source: 'zoho',
    };
    const withAlternatives = { ...entry, alternatives: [alternative] };
    expect(decodeEntry(encodeEntry(withAlternatives as never))).toEqual(withAlternatives);
    // Alternatives of another shape (another version's, or a hand-written value) are not handed to the host.
    for (const alternatives of [[{}], [{ ...alternative, id: 2 }], [{ ...alternative, module: 'Deals' }]])
      expect(decodeEntry(JSON.stringify({ ...entry, alternatives }))).toBeUndefined();
    expect(decodeNotice('{"from":"a","numbers":[1]}')).toBeUndefined();
    expect(decodeNotice('{"from":"a","numbers":["+1"],"ids":["7","8"]}')).toEqual({
      from: 'a',
      numbers: ['+1'],
      ids: ['7', '8'],
    });
  });
});

describe('lookup.sharedCache options', () => {
  const base = { connectionId: 't', clientId: 'c', clientSecret: 's', redirectUri: 'https://pbx/cb' };

  it('a client without the commands it needs is a ConfigError naming the path', () => {
    const bad = () =>
      parseConnectorOptions({
        ...base,
        lookup: { sharedCache: { client: { get: () => null } as unknown as SharedCacheClient } },
      });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/lookup\.sharedCache\.client: must be an ioredis Redis or Cluster client/);
  });

  it('defaults: a 50 ms read budget; the TTLs follow lookup.cache unless given', () => {
    const client = fakeClient();
    const { lookup } = parseConnectorOptions({ ...base, lookup: { sharedCache: { client } } });
    expect(lookup.sharedCache).toEqual({ client, timeoutMs: 50 });
    expect(() =>
      parseConnectorOptions({ ...base, lookup: { sharedCache: { client, ttlMs: 0, keyPrefix: '' } } }),
    ).toThrow(/ttlMs[\s\S]*keyPrefix|keyPrefix[\s\S]*ttlMs/);
  });

  it('refuses a Redis read budget that is not below the ring deadline', () => {
    const client = fakeClient();
    const parse = (timeoutMs: number) =>
      parseConnectorOptions({ ...base, lookup: { timeoutMs: 800, sharedCache: { client, timeoutMs } } });
    expect(() => parse(800)).toThrow(ConfigError);
    expect(() => parse(800)).toThrow(
      /lookup\.sharedCache\.timeoutMs: must be below lookup\.timeoutMs \(800 ms\)/,
    );
    expect(parse(799).lookup.sharedCache?.timeoutMs).toBe(799);
  });
});

describe('a failing or slow Redis never fails or holds a lookup', () => {
  it('a Redis that does not answer costs one lookup its 50 ms budget, then is left alone; one warning', async () => {
    vi.useFakeTimers(FAKE_TIME);
    const client = fakeClient({ hang: true });
    const { logger, lines } = keepingLogger();
    const { engine, events } = org.engine({ sharedCache: { client } }, { logger });
    const first = engine.lookupCaller(ADA);
    await vi.advanceTimersByTimeAsync(50);
    expect((await first)?.name).toBe('Ada Lovelace');
    expect(events.at(-1)?.source).toBe('zoho');
    await expect(engine.lookupCaller(UNKNOWN)).resolves.toBeNull();
    expect(client.calls.get).toBe(1); // the second lookup did not wait for Redis
    const warnings = lines.filter(
      (line) => line.level === 'warn' && /shared caller-ID cache/.test(line.message),
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.fields).toMatchObject({ operation: 'get', reason: 'too slow' });
    // Past the retry interval Redis is asked again.
    org.emu.advanceTime(5_000);
    engine.forget(ADA);
    const again = engine.lookupCaller(ADA);
    await vi.advanceTimersByTimeAsync(50);
    expect((await again)?.name).toBe('Ada Lovelace');
    expect(client.calls.get).toBe(2);
    await vi.advanceTimersByTimeAsync(2_000); // the background writes give up
    await engine.close();
  });

  it('an unreachable Redis: lookups answer from Zoho, close() does not hang', async () => {
    const client = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => {}); // the host's client: its own errors are the host's to handle
    const { logger, lines } = keepingLogger();
    const { engine } = org.engine({ sharedCache: { client } }, { logger });
    expect((await engine.lookupCaller(ADA))?.name).toBe('Ada Lovelace');
    expect(await engine.lookupCaller(UNKNOWN)).toBeNull();
    await engine.forget(ADA); // never rejects
    await engine.close();
    // One warning for the commands, one for the subscriber, however many lookups ran meanwhile.
    const warnings = lines.filter((line) => line.level === 'warn').map((line) => line.fields.operation);
    expect(warnings.sort()).toEqual(['get', 'subscribe']);
    client.disconnect();
  });
});

describe.skipIf(!REDIS_URL)(
  'shared between nodes through Redis (skipped without REDIS_URL; .ci/run sets it)',
  () => {
    let admin: Redis;
    const clients: Redis[] = [];
    let keyPrefix: string;
    let tag: string;
    beforeAll(() => {
      admin = new Redis(REDIS_URL as string);
    });
    beforeEach(() => {
      keyPrefix = `zcc-shared-test:${randomUUID()}`;
      tag = `{${keyPrefix}:reading-org}`;
    });
    afterEach(async () => {
      await org.close(); // the engines leave their channels first
      const keys = await admin.keys(`${tag}*`);
      if (keys.length > 0) await admin.del(...keys);
      for (const client of clients.splice(0)) await client.quit();
    });
    afterAll(async () => {
      await admin.quit();
    });

    /** A node: its own Redis client (so its own subscriber) and its own lookup engine. */
    function node(options: { ttlMs?: number; negativeTtlMs?: number; name?: string } = {}) {
      const client = new Redis(REDIS_URL as string, options.name ? { connectionName: options.name } : {});
      clients.push(client);
      const { name: _, ...rest } = options;
      return org.engine({ sharedCache: { client, keyPrefix, ...rest } });
    }

    /** Waits until `count` nodes listen on the connection's channel (they subscribe on first use). */
    async function listening(count: number) {
      const channel = `${tag}:forget`;
      await vi.waitFor(async () => expect(await admin.pubsub('NUMSUB', channel)).toEqual([channel, count]), {
        timeout: 5_000,
        interval: 5,
      });
    }

    /** Waits until the engine's own cache no longer holds the number (an invalidation was heard). */
    async function dropped(engine: CallerLookup, before: number) {
      await vi.waitFor(() => expect(engine.cacheSize).toBeLessThan(before), { timeout: 5_000, interval: 5 });
    }

    it('a caller node A found is known to node B without asking Zoho, with its TTL and prefix', async () => {
      const a = node({ ttlMs: 120_000 });
      const b = node();
      const found = await a.engine.lookupCaller(ADA);
      await a.engine.settled();
      const sent = requests();
      const shared = await b.engine.lookupCaller(ADA);
      expect(requests()).toBe(sent);
      expect(shared).toEqual({ ...found, source: 'cache' });
      expect(b.events.at(-1)).toMatchObject({ source: 'cache', sharedCache: true, modules: [] });
      // The next ring is answered by B's own cache: no sharedCache flag.
      await b.engine.lookupCaller(ADA);
      expect(b.events.at(-1)?.source).toBe('cache');
      expect(b.events.at(-1)?.sharedCache).toBeUndefined();
      expect(await admin.keys(`${tag}*`)).toEqual(
        expect.arrayContaining([`${tag}:caller:${ADA}`, `${tag}:record:${adaId}`]),
      );
      const ttl = await admin.pttl(`${tag}:caller:${ADA}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(120_000);
      expect(await admin.pttl(`${tag}:record:${adaId}`)).toBeLessThanOrEqual(120_000);
      // B's own cache has it now: no second Redis read.
      expect(b.engine.cacheSize).toBe(1);
    });

    it('a miss is shared too, for no longer than the miss TTL', async () => {
      const a = node({ negativeTtlMs: 30_000 });
      const b = node();
      expect(await a.engine.lookupCaller(UNKNOWN)).toBeNull();
      await a.engine.settled();
      const sent = requests();
      expect(await b.engine.lookupCaller(UNKNOWN)).toBeNull();
      expect(requests()).toBe(sent);
      expect(b.events.at(-1)?.source).toBe('cache');
      expect(await admin.get(`${tag}:caller:${UNKNOWN}`)).toBe('-');
      const ttl = await admin.pttl(`${tag}:caller:${UNKNOWN}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(30_000);
    });

    it('a miss of a number this connector just wrote lives in Redis no longer than the index lag left', async () => {
      const a = node({ negativeTtlMs: 3_600_000 });
      a.engine.remember({
        module: 'Leads',
        id: '77',
        name: 'New',
        phone: UNKNOWN,
        field: 'Phone',
        source: 'zoho',
      });
      await a.engine.settled();
      await admin.del(`${tag}:caller:${UNKNOWN}`); // as if the hit had gone: only the miss is left to write
      org.emu.advanceTime(50_000); // 10 s of the (unmeasured, 60 s) lag left
      expect(await a.engine.findByE164(UNKNOWN, { fresh: true })).toBeNull();
      await a.engine.settled();
      const ttl = await admin.pttl(`${tag}:caller:${UNKNOWN}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(10_000);
    });

    it("what node B reads from Redis stays in B's own cache no longer than it had left there", async () => {
      const a = node({ negativeTtlMs: 3_600_000 });
      const b = node();
      a.engine.remember({
        module: 'Leads',
        id: '80',
        name: 'New',
        phone: UNKNOWN,
        field: 'Phone',
        source: 'zoho',
      });
      await a.engine.settled();
      await admin.del(`${tag}:caller:${UNKNOWN}`);
      org.emu.advanceTime(50_000);
      expect(await a.engine.findByE164(UNKNOWN, { fresh: true })).toBeNull(); // in Redis for the 10 s of lag left
      await a.engine.settled();
      expect(await b.engine.lookupCaller(UNKNOWN)).toBeNull();
      expect(b.events.at(-1)?.source).toBe('cache');
      // B keeps misses for 60 s, but this one only for the 10 s it had left in Redis.
      org.emu.advanceTime(10_001);
      await admin.del(`${tag}:caller:${UNKNOWN}`); // Redis' own expiry runs on real time
      expect(await b.engine.lookupCaller(UNKNOWN)).toBeNull();
      expect(b.events.at(-1)?.source).toBe('zoho');
    });

    it('a miss never replaces a caller another node stored', async () => {
      const a = node();
      a.engine.remember({
        module: 'Leads',
        id: '78',
        name: 'Grace',
        phone: UNKNOWN,
        field: 'Phone',
        source: 'zoho',
      });
      await a.engine.settled();
      expect(await a.engine.findByE164(UNKNOWN, { fresh: true })).toBeNull(); // not in the index yet
      await a.engine.settled();
      expect(decodeEntry((await admin.get(`${tag}:caller:${UNKNOWN}`)) as string)).toMatchObject({
        id: '78',
      });
    });

    for (const [what, key] of [
      ['the record id', () => adaId],
      ['the number, in another format', () => '(415) 555-0101'],
    ] as const) {
      it(`forgetting ${what} on node A reaches Redis and node B's own cache; B asks Zoho again`, async () => {
        const a = node();
        const b = node();
        await a.engine.lookupCaller(ADA);
        await a.engine.settled();
        await b.engine.lookupCaller(ADA); // from Redis into B's cache
        expect(b.engine.cacheSize).toBe(1);
        await listening(2);
        await a.engine.forget(key());
        expect(await admin.exists(`${tag}:caller:${ADA}`)).toBe(0);
        if (key() === adaId) expect(await admin.exists(`${tag}:record:${adaId}`)).toBe(0);
        await dropped(b.engine, 1);
        const sent = requests();
        expect((await b.engine.lookupCaller(ADA))?.name).toBe('Ada Lovelace');
        expect(b.events.at(-1)?.source).toBe('zoho');
        expect(requests()).toBeGreaterThan(sent);
      });
    }

    it("the journal's invalidate on node A (a refused link: the record is gone) reaches Redis and node B", async () => {
      const a = node();
      const b = node();
      await a.engine.lookupCaller(ADA);
      await a.engine.settled();
      await b.engine.lookupCaller(ADA);
      expect(b.engine.cacheSize).toBe(1);
      await listening(2);
      a.engine.invalidate(ADA, adaId);
      expect(a.engine.cacheSize).toBe(0);
      await a.engine.settled(); // the Redis side of invalidate() is waited for here
      expect(await admin.exists(`${tag}:caller:${ADA}`, `${tag}:record:${adaId}`)).toBe(0);
      await dropped(b.engine, 1);
    });

    it("a notification's records, forgotten on node A: one notice; node B walks its cache once", async () => {
      const [bobId] = org.emu.seed('Contacts', [
        { First_Name: 'Bob', Last_Name: 'Babbage', Phone: '+1 415 555 0102' },
      ]) as [string];
      const a = node();
      const b = node();
      for (const engine of [a.engine, b.engine]) {
        await engine.lookupCaller(ADA);
        await engine.lookupCaller('+14155550102');
        await engine.settled();
      }
      await listening(2);
      const walks = vi.spyOn(LRUCache.prototype, 'entries');
      await a.engine.forgetRecords([adaId, bobId]);
      expect(await admin.exists(`${tag}:caller:${ADA}`, `${tag}:caller:+14155550102`)).toBe(0);
      await vi.waitFor(() => expect(b.engine.cacheSize).toBe(0), { timeout: 5_000, interval: 5 });
      expect(walks).toHaveBeenCalledTimes(2); // A's walk and B's, not one per record on each
      walks.mockRestore();
    });

    it("forgetting the misses on node A empties them from Redis and from node B's own cache", async () => {
      const a = node({ negativeTtlMs: 30_000 });
      const b = node();
      expect(await a.engine.lookupCaller(UNKNOWN)).toBeNull();
      await a.engine.settled();
      expect(await admin.zrange(`${tag}:misses`, 0, -1)).toEqual([UNKNOWN]);
      expect(await admin.pttl(`${tag}:misses`)).toBeLessThanOrEqual(30_000);
      expect(await b.engine.lookupCaller(UNKNOWN)).toBeNull(); // from Redis into B's cache
      await b.engine.lookupCaller(ADA);
      expect(b.engine.cacheSize).toBe(2);
      await listening(2);
      const before = a.engine.cacheSize;
      await a.engine.forgetMisses();
      expect(before - a.engine.cacheSize).toBe(1); // A's one miss
      expect(await admin.exists(`${tag}:caller:${UNKNOWN}`, `${tag}:misses`)).toBe(0);
      expect(await admin.exists(`${tag}:caller:${ADA}`)).toBe(1); // callers stay
      await dropped(b.engine, 2);
      expect(b.engine.cacheSize).toBe(1);
      const sent = requests();
      expect(await b.engine.lookupCaller(UNKNOWN)).toBeNull();
      expect(b.events.at(-1)?.source).toBe('zoho');
      expect(requests()).toBeGreaterThan(sent);
    });

    it('the index of the misses keeps only the live ones (it does not grow with every unknown number ever seen)', async () => {
      const a = node({ negativeTtlMs: 30_000 });
      expect(await a.engine.lookupCaller(UNKNOWN)).toBeNull();
      await a.engine.settled();
      org.emu.advanceTime(31_000); // that miss has lapsed
      expect(await a.engine.lookupCaller('+14155550198')).toBeNull();
      await a.engine.settled();
      const key = `${tag}:misses`;
      const members =
        (await admin.type(key)) === 'zset' ? await admin.zrange(key, 0, -1) : await admin.smembers(key);
      expect(members).toEqual(['+14155550198']);
    });

    it('a record node A wrote reaches node B, which had the number as unknown', async () => {
      const a = node();
      const b = node();
      expect(await b.engine.lookupCaller(UNKNOWN)).toBeNull();
      await b.engine.settled();
      await listening(1);
      a.engine.remember({
        module: 'Leads',
        id: '79',
        name: 'Jane Doe',
        phone: UNKNOWN,
        field: 'Phone',
        source: 'zoho',
      });
      await a.engine.settled();
      await dropped(b.engine, 1);
      const sent = requests();
      expect((await b.engine.lookupCaller(UNKNOWN))?.name).toBe('Jane Doe');
      expect(requests()).toBe(sent);
    });

    it('one subscriber per client whatever the connections; close() ends it, never the client', async () => {
      const name = `zcc-shared-${randomUUID()}`;
      const client = new Redis(REDIS_URL as string, { connectionName: name });
      clients.push(client);
      const first = org.engine({ sharedCache: { client, keyPrefix } });
      const second = org.engine({ sharedCache: { client, keyPrefix: `${keyPrefix}:2` } });
      await first.engine.lookupCaller(ADA);
      await second.engine.lookupCaller(ADA);
      await vi.waitFor(async () => expect(await subscribers(name)).toHaveLength(1), { timeout: 5_000 });
      await first.engine.close();
      await second.engine.close();
      await vi.waitFor(async () => expect(await subscribers(name)).toHaveLength(0), { timeout: 5_000 });
      expect(await client.ping()).toBe('PONG');
      await admin.del(
        `{${keyPrefix}:2:reading-org}:caller:${ADA}`,
        `{${keyPrefix}:2:reading-org}:record:${adaId}`,
      );
    });

    it('when the subscriber reconnects (notices may be lost), the node forgets its own cache', async () => {
      const name = `zcc-shared-${randomUUID()}`;
      const b = node({ name });
      await b.engine.lookupCaller(ADA);
      const [id] = await vi.waitFor(
        async () => {
          const found = await subscribers(name);
          expect(found).toHaveLength(1);
          return found;
        },
        { timeout: 5_000 },
      );
      expect(b.engine.cacheSize).toBe(1);
      await admin.client('KILL', 'ID', id as string);
      await dropped(b.engine, 1);
    });

    /** Ids of the connections named `name` that are subscribed to a channel. */
    async function subscribers(name: string): Promise<string[]> {
      const list = (await admin.client('LIST')) as string;
      return list
        .split('\n')
        .filter((line) => line.includes(` name=${name} `) && / sub=[1-9]/.test(line))
        .map((line) => /^id=(\d+)/.exec(line)?.[1] as string);
    }
  },
);

/** A stand-in client: every command answers at once, or never (`hang`); counts the calls. */
function fakeClient(options: { hang?: boolean } = {}) {
  const calls: Record<string, number> = {};
  const answer =
    <T>(name: string, value: T) =>
    (): Promise<T> => {
      calls[name] = (calls[name] ?? 0) + 1;
      return options.hang ? new Promise<never>(() => {}) : Promise.resolve(value);
    };
  const subscriber = {
    subscribe: answer('subscribe', 1),
    unsubscribe: answer('unsubscribe', 1),
    on: () => subscriber,
    disconnect: () => {
      calls.disconnect = (calls.disconnect ?? 0) + 1;
    },
  };
  return {
    calls: calls as Record<string, number> & { get?: number },
    get: answer('get', null),
    set: answer('set', 'OK'),
    pttl: answer('pttl', -2),
    del: answer('del', 0),
    sadd: answer('sadd', 1),
    smembers: answer('smembers', [] as string[]),
    zadd: answer('zadd', 1),
    zremrangebyscore: answer('zremrangebyscore', 0),
    zrangebyscore: answer('zrangebyscore', [] as string[]),
    pexpire: answer('pexpire', 1),
    publish: answer('publish', 0),
    duplicate: () => subscriber,
  } satisfies SharedCacheClient & { calls: unknown };
}
