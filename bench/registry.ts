/**
 * Many tenants: heap per idle tenant (1,000 tenants built through `createConnectorRegistry`, growth after
 * GC), time to build a connector from settings, and OAuth callbacks routed per second (accepted ones,
 * with the token exchange answered in-process, and refused ones, which never reach a token request).
 * No network: a stub fetch answers. Run alone: `node --expose-gc --import tsx bench/registry.ts`.
 */
import { createMemoryJournalStore } from '../src/journal/memory-store.js';
import { createConnectorRegistry } from '../src/registry/registry.js';
import type { TenantSettings } from '../src/registry/tenant-settings.js';
import { createMemoryStore } from '../src/stores/memory.js';
import { median } from './stats.js';
import { type BenchSection, printWhenMain, sized } from './types.js';

const TENANTS = sized(1_000, 20);
const TARGET_KB = 64;
const REDIRECT_URI = 'https://pbx.example.com/api/auth/callback/zoho';

const settingsOf = (id: string): TenantSettings => ({
  clientId: `1000.${id.toUpperCase()}`,
  clientSecret: `secret-of-${id}-0123456789`,
  region: Number(id.slice(7)) % 2 ? 'EU' : 'US',
  lookup: { order: ['Contacts', 'Leads', 'Accounts'], query: 'always', defaultCountry: 'US' },
  journal: { enabled: true, recordingLink: 'private', transcriptionLink: 'private' },
  createRecords: { enabled: true, type: 'Leads' },
});

/** Answers Zoho's token endpoint at once; nothing else is called in this bench. */
const stubFetch: typeof fetch = async () =>
  new Response(
    JSON.stringify({
      access_token: '1000.access.token',
      refresh_token: '1000.refresh.token',
      api_domain: 'https://www.zohoapis.com',
      token_type: 'Bearer',
      expires_in: 3600,
    }),
    { status: 200, headers: { 'content-type': 'application/json' } },
  );

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('run with node --expose-gc');
  collect();
  collect();
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

async function heapPerTenant(): Promise<{ kb: number; timers: number; buildUs: number }> {
  const registry = createConnectorRegistry({
    redirectUri: REDIRECT_URI,
    stateSecret: 'bench-state-secret-0123456789abcdef',
    tokenStore: createMemoryStore(),
    journalStore: createMemoryJournalStore(),
    fetch: stubFetch,
    settings: settingsOf,
  });
  try {
    await registry.get('tenant-warmup');
    await settle();
    const timersBefore = timeouts();
    gc();
    const before = process.memoryUsage().heapUsed;
    const buildTimes: number[] = [];
    for (let i = 0; i < TENANTS; i++) {
      const start = performance.now();
      await registry.get(`tenant-${i}`);
      buildTimes.push((performance.now() - start) * 1_000);
    }
    await settle(); // each journal's first pass (what a previous process left) has run
    gc();
    const after = process.memoryUsage().heapUsed;
    return {
      kb: (after - before) / TENANTS / 1024,
      timers: timeouts() - timersBefore,
      buildUs: median(buildTimes),
    };
  } finally {
    await registry.close();
  }
}

async function callbacksPerSecond(): Promise<{ accepted: number; refused: number }> {
  const registry = createConnectorRegistry({
    redirectUri: REDIRECT_URI,
    stateSecret: 'bench-state-secret-0123456789abcdef',
    tokenStore: createMemoryStore(),
    fetch: stubFetch,
    settings: settingsOf,
  });
  try {
    const count = sized(2_000, 50);
    const states: string[] = [];
    for (let i = 0; i < count; i++) states.push((await registry.authorizationUrl(`tenant-${i % 100}`)).state);
    let start = performance.now();
    for (const state of states) {
      await registry.handleCallback({ code: '1000.code', state });
    }
    const accepted = count / ((performance.now() - start) / 1_000);
    start = performance.now();
    for (const state of states) {
      await registry
        .handleCallback({ code: '1000.code', state: `${state.slice(0, -2)}xx` })
        .catch(() => undefined);
    }
    const refused = count / ((performance.now() - start) / 1_000);
    return { accepted, refused };
  } finally {
    await registry.close();
  }
}

export async function run(): Promise<BenchSection> {
  const heap = await heapPerTenant();
  const callbacks = await callbacksPerSecond();
  return {
    title: 'Many tenants: the connector registry',
    description: `${TENANTS.toLocaleString('en-US')} tenants built through \`createConnectorRegistry\` from their settings (memory token and journal stores, no network), then the heap growth after two forced GCs divided by ${TENANTS.toLocaleString('en-US')}; build time is the median of those ${TENANTS.toLocaleString('en-US')} first \`get()\`s. Callbacks: 2,000 \`handleCallback\`s of 100 tenants, routed by their signed state, with the token endpoint answered in-process (accepted), and the same states with a broken signature (refused before any token request).`,
    rows: [
      { measure: 'heap per idle tenant', value: `${heap.kb.toFixed(1)} KB` },
      { measure: 'timers held by 1,000 idle tenants', value: heap.timers },
      { measure: 'build a connector from settings (median)', value: `${heap.buildUs.toFixed(0)} µs` },
      { measure: 'callbacks routed and completed per second', value: Math.round(callbacks.accepted) },
      { measure: 'tampered callbacks refused per second', value: Math.round(callbacks.refused) },
    ],
    targets: [
      {
        target: `idle tenant ≤ ${TARGET_KB} KB of heap`,
        met: heap.kb <= TARGET_KB,
        actual: `${heap.kb.toFixed(1)} KB`,
      },
    ],
    notes: [
      'Before the caller-ID cache was built on first use, an idle connector cost about 350 KB: lru-cache preallocates its arrays for `lookup.cache.maxEntries` (10,000 by default).',
      "HTTP: all tenants share the process's keep-alive pools, nothing is pooled per connector: searches and reads go over the one node transport of the process (one `node:http(s)` agent pair), writes and OAuth over the global `fetch` (undici's global dispatcher); an injected `fetch` takes everything.",
      'Timers: an idle connector holds none (its journal timer only runs while work is queued, the token refresh timer only once tokens are loaded); the registry has one idle-sweep timer for all tenants.',
    ],
  };
}

await printWhenMain(import.meta, run);
