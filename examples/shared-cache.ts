/**
 * Two PBX nodes sharing one caller-ID cache through Redis (`lookup.sharedCache`): node A asks Zoho for a
 * caller, node B answers the same caller from Redis without a Zoho request, and `invalidate()` on node A
 * removes the entry from Redis (and from node B's own cache, through Redis pub/sub).
 *
 * Needs Redis (REDIS_URL, default redis://127.0.0.1:6379). Runs against the embedded emulator.
 * Run: npx tsx examples/shared-cache.ts
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { type ConnectorOptions, ZohoCrmConnector } from 'zoho-crm-connector';
import { createRedisStore } from 'zoho-crm-connector/stores/redis';
import { startZohoEmulator } from 'zoho-crm-connector/testing';
import { EXAMPLE_CLIENT, runIfMain, seedSampleData } from './connect.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const CALLER = '+14155552671';

export async function main() {
  const emulator = await startZohoEmulator({ autoConsent: true });
  // Yours to create and close. `maxRetriesPerRequest: 1`: while Redis is down, commands fail fast and
  // lookups go straight to Zoho. On two machines each node has its own client; the two nodes of this
  // one process share one, so node A's background write is in Redis before node B reads.
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const keyPrefix = `zoho-example:${randomUUID()}`;
  const node = (client: Redis) =>
    new ZohoCrmConnector({
      connectionId: 'tenant-42',
      ...EXAMPLE_CLIENT,
      endpoints: { regions: emulator.regions },
      tokenStore: createRedisStore({ client, keyPrefix }),
      lookup: { sharedCache: { client, keyPrefix } },
    } satisfies ConnectorOptions);
  const a = node(redis);
  const b = node(redis);
  try {
    emulator.registerClient({ ...EXAMPLE_CLIENT, redirectUris: [EXAMPLE_CLIENT.redirectUri] });
    seedSampleData(emulator);
    // The admin authorizes once; both nodes read the grant from Redis.
    const { url } = await a.authorizationUrl();
    await a.handleCallback((await fetch(url, { redirect: 'manual' })).headers.get('location') ?? '');

    const sources: string[] = [];
    b.on('lookup', (event) => sources.push(event.source));
    const fromZoho = await a.lookupCaller(CALLER);
    console.log(`node A: ${fromZoho?.name} (asked Zoho)`);
    const before = emulator.stats().totalRequests;
    const fromRedis = await b.lookupCaller(CALLER);
    const zohoRequestsForB = emulator.stats().totalRequests - before;
    console.log(`node B: ${fromRedis?.name} (from the ${sources.at(-1)}, ${zohoRequestsForB} Zoho requests)`);

    await a.invalidate(CALLER); // resolves once Redis forgot it; node B hears of it through pub/sub
    const cachedAfter = await redis.exists(`{${keyPrefix}:tenant-42}:caller:${CALLER}`);
    console.log(`after invalidate on node A: ${cachedAfter} cached entry in Redis`);
    return {
      nodeA: fromZoho?.name,
      nodeB: fromRedis?.name,
      sourceB: sources.at(-1),
      zohoRequestsForB,
      cachedAfter,
    };
  } finally {
    // close() ends the subscriber the nodes opened (client.duplicate()), never the client.
    await a.close();
    await b.close();
    const keys = await redis.keys(`*${keyPrefix}*`).catch(() => []);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await emulator.close();
  }
}

await runIfMain(import.meta, main);
