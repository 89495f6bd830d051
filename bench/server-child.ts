/**
 * The PBX service under test for bench/server.ts, in its own process: a registry with the
 * file journal store in a temporary directory, one authorized tenant and a warmed cache. Prints its URL
 * as one JSON line, then serves until SIGTERM.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnectorRegistry, createMemorySettingsStore, createMemoryStore } from '../src/index.js';
import { createPbxService } from '../src/server/index.js';
import { createFileJournalStore } from '../src/stores/file.js';

const KEY = process.env.BENCH_API_KEY as string;
/** The emulator's US endpoints (bench/emulator-child.ts runs it in its own process). */
const US = JSON.parse(process.env.BENCH_EMULATOR_US as string);
const dir = await mkdtemp(join(tmpdir(), 'zcc-bench-server-'));
const redirectUri = 'http://127.0.0.1/api/auth/callback/zoho';
const settingsStore = createMemorySettingsStore();
await settingsStore.set('t1', {
  clientId: '1000.BENCH',
  clientSecret: 'bench-secret-value',
  region: 'US',
  edition: 'Ultimate',
});
const registry = createConnectorRegistry({
  redirectUri,
  stateSecret: 'bench-state-secret-0123456789abcdef',
  tokenStore: createMemoryStore(),
  // The journal delivers to the emulator in the background, as it would to Zoho.
  journalStore: createFileJournalStore({ path: join(dir, 'journal') }),
  endpoints: { regions: { US } },
  settings: (id) => settingsStore.get(id),
});
const { url } = await registry.authorizationUrl('t1');
const consent = await fetch(url, { redirect: 'manual' });
await registry.handleCallback(consent.headers.get('location') as string);
await (await registry.get('t1')).lookupCaller('+14155552671'); // the cache now knows the number
const service = createPbxService({ registry, apiKeys: [KEY], settingsStore });
const server = await service.listen({ port: 0 });
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
process.once('SIGTERM', async () => {
  await server.close();
  await registry.close();
  await rm(dir, { recursive: true, force: true });
  process.exit(0);
});
