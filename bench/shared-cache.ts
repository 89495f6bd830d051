/**
 * The shared caller-ID cache (`lookup.sharedCache`): a hit in Redis over loopback next to a hit in the
 * process's own cache. Needs Redis (REDIS_URL, default redis://127.0.0.1:6379); without one the section
 * says so and measures nothing. Run: `node --expose-gc --import tsx bench/shared-cache.ts`.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createZohoHttp } from '../src/http/client.js';
import { type CallerLookup, createCallerLookup } from '../src/lookup/caller-lookup.js';
import { parseConnectorOptions } from '../src/options.js';
import { REGIONS } from '../src/regions.js';
import { percentile } from './stats.js';
import { type BenchSection, printWhenMain, sized } from './types.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const NUMBERS = sized(1_000, 50);
const TITLE = 'Caller ID: shared cache (Redis) hit next to the in-process hit';

/** An engine over the shared cache; `localEntries` bounds its own in-process cache. */
function engine(client: Redis, keyPrefix: string, localEntries = 10_000): CallerLookup {
  const options = parseConnectorOptions({
    connectionId: 'bench',
    clientId: 'c',
    clientSecret: 's',
    redirectUri: 'https://pbx.example.com/api/auth/callback/zoho',
    // A generous read budget: this measures Redis' latency, not the fallback past the default 50 ms.
    lookup: {
      timeoutMs: 5_000,
      cache: { maxEntries: localEntries },
      sharedCache: { client, keyPrefix, timeoutMs: 1_000 },
    },
  });
  const http = createZohoHttp({
    tokens: {
      getAccessToken: () => Promise.reject(new Error('a cache hit must not ask for a token')),
      refreshAfterRejection: () => Promise.reject(new Error('unreachable')),
    },
    timeoutMs: 1_000,
    deadlineMs: 1_000,
    retries: 0,
    maxConcurrency: 1,
  });
  return createCallerLookup({
    connectionId: 'bench',
    http,
    lookup: options.lookup,
    region: () => REGIONS.US,
  });
}

const number = (i: number) => `+1415${String(3_000_000 + i).padStart(7, '0')}`;

/** Times `lookup` of each number `rounds` times, in order. */
async function sample(lookup: CallerLookup, rounds: number) {
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < NUMBERS; i++) {
      const e164 = number(i);
      const started = process.hrtime.bigint();
      const match = await lookup.lookupCaller(e164);
      samples.push(Number(process.hrtime.bigint() - started));
      if (match?.source !== 'cache') throw new Error(`expected a cache hit for ${e164}`);
    }
  }
  return {
    'p50 µs': (percentile(samples, 50) / 1000).toFixed(2),
    'p99 µs': (percentile(samples, 99) / 1000).toFixed(2),
    lookups: samples.length,
  };
}

export async function run(): Promise<BenchSection> {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch {
    client.disconnect();
    return {
      title: TITLE,
      description: `Skipped: no Redis at ${REDIS_URL} (set REDIS_URL).`,
      rows: [],
    };
  }
  const keyPrefix = `zcc-bench:${randomUUID()}`;
  const writer = engine(client, keyPrefix);
  // The shared-level reader keeps one number in its own cache, so the next number is never there: each
  // lookup reads Redis (one round trip). (Its invalidate() cannot stand in: it forgets in Redis too.)
  const sharedReader = engine(client, keyPrefix, 1);
  const reader = engine(client, keyPrefix);
  try {
    for (let i = 0; i < NUMBERS; i++) {
      const id = String(4_876_876_000_000_000_000n + BigInt(i));
      writer.remember({
        module: 'Contacts',
        id,
        name: `Caller Number${i}`,
        phone: number(i),
        field: 'Mobile',
        source: 'zoho',
      });
    }
    await writer.settled();
    await sample(sharedReader, 2); // warm-up
    const shared = await sample(sharedReader, 5);
    await sample(reader, 1); // fills its own cache from Redis
    const local = await sample(reader, 50);
    const rows = [
      { level: 'in-process LRU hit', ...local },
      { level: 'shared cache hit (Redis on loopback: GET + PTTL)', ...shared },
    ];
    return {
      title: TITLE,
      description: `One process. ${NUMBERS.toLocaleString('en-US')} callers written to Redis by one engine, then looked up by others: for the shared-level row by one whose own cache holds a single number (\`lookup.cache.maxEntries: 1\`), so every lookup of the next number reads Redis (one round trip, after classifying the number as a node that has not seen it must) and fills the local cache again; for the in-process row by one with the default cache, already filled from Redis. Redis at ${REDIS_URL.replace(/\/\/[^@]*@/, '//')}.`,
      rows,
      notes: [
        'A shared-cache hit replaces a Zoho search (tens to hundreds of ms) on a node that has not seen the caller yet; every later ring on that node is an in-process hit.',
      ],
    };
  } finally {
    await writer.close();
    await reader.close();
    await sharedReader.close();
    const keys = await client.keys(`{${keyPrefix}:*`);
    if (keys.length > 0) await client.del(...keys);
    await client.quit();
  }
}

await printWhenMain(import.meta, run);
