/**
 * Two PBX nodes, two processes, one Redis: the tenant is authorized once, both nodes share its tokens
 * through `createRedisStore`, and when the access token expires they refresh it once between them.
 *
 * Needs Redis (REDIS_URL, default redis://127.0.0.1:6379). Runs against the embedded emulator.
 * Run: npx tsx examples/redis-cluster.ts
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { ZohoCrmConnector } from 'zoho-crm-connector';
import { createRedisStore } from 'zoho-crm-connector/stores/redis';
import { startZohoEmulator } from 'zoho-crm-connector/testing';
import { EXAMPLE_CLIENT, runIfMain, seedSampleData } from './connect.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function node(
  client: Redis,
  keyPrefix: string,
  regions: ConstructorParameters<typeof ZohoCrmConnector>[0]['endpoints'],
) {
  return new ZohoCrmConnector({
    connectionId: 'tenant-42',
    ...EXAMPLE_CLIENT,
    tokenStore: createRedisStore({ client, keyPrefix }),
    endpoints: regions,
  });
}

/** Node B: started by node A as a second process. */
async function nodeB(): Promise<void> {
  const client = new Redis(REDIS_URL);
  const zoho = node(client, process.env.KEY_PREFIX ?? '', JSON.parse(process.env.ENDPOINTS ?? '{}'));
  const names = await Promise.all(Array.from({ length: 20 }, () => zoho.lookupCaller('+14155552671')));
  console.log(
    `node B (pid ${process.pid}): ${names[0]?.name ?? 'no match'} ×${names.length}, authorized without clicking Authorize`,
  );
  await zoho.close();
  await client.quit();
}

export async function main(): Promise<{ refreshes: number; nodeB: string }> {
  const emulator = await startZohoEmulator({ autoConsent: true });
  const client = new Redis(REDIS_URL, { lazyConnect: true });
  const keyPrefix = `zoho-example:${randomUUID()}`;
  try {
    await client.connect();
    emulator.registerClient({ ...EXAMPLE_CLIENT, redirectUris: [EXAMPLE_CLIENT.redirectUri] });
    seedSampleData(emulator);
    const endpoints = { regions: emulator.regions };

    // Node A: the admin authorizes once.
    const a = node(client, keyPrefix, endpoints);
    const { url } = await a.authorizationUrl();
    await a.handleCallback((await fetch(url, { redirect: 'manual' })).headers.get('location') ?? '');
    await a.close();

    // An hour later the access token has expired; both nodes get calls at the same moment.
    const store = createRedisStore({ client, keyPrefix });
    const stored = await store.get('tenant-42');
    if (stored) await store.set('tenant-42', { ...stored, expiresAt: Date.now() - 1 });
    const before = emulator.stats().refreshes;
    const a2 = node(client, keyPrefix, endpoints);
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      env: {
        ...process.env,
        ROLE: 'node-b',
        KEY_PREFIX: keyPrefix,
        ENDPOINTS: JSON.stringify(endpoints),
        REDIS_URL,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const [names] = await Promise.all([
      Promise.all(Array.from({ length: 20 }, () => a2.lookupCaller('+14155552671'))),
      new Promise<void>((resolve, reject) =>
        child.on('exit', (code) =>
          code === 0 ? resolve() : reject(new Error(`node B exited with ${code}`)),
        ),
      ),
    ]);
    const refreshes = emulator.stats().refreshes - before;
    console.log(`node A (pid ${process.pid}): ${names[0]?.name ?? 'no match'} ×${names.length}`);
    console.log(output.trim());
    console.log(`token refreshes at Zoho for both nodes: ${refreshes}`);
    await a2.close();
    return { refreshes, nodeB: output.trim() };
  } finally {
    const keys = await client.keys(`*${keyPrefix}*`).catch(() => []);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
    await emulator.close();
  }
}

if (process.env.ROLE === 'node-b') await nodeB();
else await runIfMain(import.meta, main);
