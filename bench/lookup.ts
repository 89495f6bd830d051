/**
 * Caller-lookup benchmarks that need no network: cache-hit throughput and latency on one core, and memory
 * per cached number. Run: `node --expose-gc --import tsx bench/lookup.ts`.
 */
import { createZohoHttp, type ZohoHttp, type ZohoRequest, type ZohoResponse } from '../src/http/client.js';
import { createCallerLookup } from '../src/lookup/caller-lookup.js';
import { parseConnectorOptions } from '../src/options.js';
import { REGIONS } from '../src/regions.js';
import { percentile } from './stats.js';
import { type BenchSection, printWhenMain, sized } from './types.js';

function engine(maxEntries = 200_000) {
  const options = parseConnectorOptions({
    connectionId: 'bench',
    clientId: 'c',
    clientSecret: 's',
    redirectUri: 'https://pbx.example.com/api/auth/callback/zoho',
    lookup: { cache: { maxEntries } },
  });
  const http = createZohoHttp({
    tokens: {
      getAccessToken: () => Promise.reject(new Error('the cache-hit path must not ask for a token')),
      refreshAfterRejection: () => Promise.reject(new Error('unreachable')),
    },
    timeoutMs: 1_000,
    deadlineMs: 1_000,
    retries: 0,
    maxConcurrency: 1,
  });
  return createCallerLookup({ http, lookup: options.lookup, region: () => REGIONS.US });
}

function number(i: number): string {
  return `+1415${String(2_000_000 + i).padStart(7, '0')}`;
}

function match(i: number) {
  return {
    module: 'Contacts' as const,
    id: String(4_876_876_000_000_000_000n + BigInt(i)),
    name: `Caller Number${i}`,
    phone: number(i),
    field: 'Mobile',
    recordUrl: `https://crm.zoho.com/crm/tab/Contacts/${4_876_876_000_000_000_000n + BigInt(i)}`,
    source: 'zoho' as const,
  };
}

async function cacheHits(): Promise<Record<string, string | number>> {
  const lookup = engine();
  const distinct = 1_000;
  const raws: string[] = [];
  for (let i = 0; i < distinct; i++) {
    lookup.remember(match(i));
    raws.push(
      `(415) ${String(200 + Math.floor(i / 10_000)).padStart(3, '0')}-${String(i % 10_000).padStart(4, '0')}`,
    );
  }
  // The caller IDs as the trunk sends them: E.164 for half, national format for the other half.
  const inputs = raws.map((raw, i) => (i % 2 === 0 ? number(i) : raw));
  const warmup = sized(50_000, 1_000);
  for (let i = 0; i < warmup; i++) await lookup.lookupCaller(inputs[i % distinct] as string);
  const total = sized(2_000_000, 10_000);
  const started = process.hrtime.bigint();
  for (let i = 0; i < total; i++) await lookup.lookupCaller(inputs[i % distinct] as string);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const samples: number[] = [];
  const sampled = sized(200_000, 1_000);
  for (let i = 0; i < sampled; i++) {
    const t = process.hrtime.bigint();
    await lookup.lookupCaller(inputs[i % distinct] as string);
    samples.push(Number(process.hrtime.bigint() - t));
  }
  return {
    scenario: 'cache hit (1,000 numbers, mixed raw formats)',
    'lookups/s': Math.round(total / seconds),
    'p50 µs': (percentile(samples, 50) / 1000).toFixed(2),
    'p99 µs': (percentile(samples, 99) / 1000).toFixed(2),
  };
}

/**
 * A Zoho behind the `ZohoHttp` interface, in memory: the phone fields of the module, and a search that
 * answers every number with one contact holding it, as Zoho's JSON does (a fresh string per value, the
 * owner one of 20 users). No network, so only the cache's own memory is measured.
 */
function answeringHttp(): ZohoHttp {
  return {
    queued: 0,
    async request<T>(req: ZohoRequest<T>): Promise<ZohoResponse<T>> {
      if (req.path === '/settings/fields') {
        const fields = ['Phone', 'Mobile'].map((api_name) => ({ api_name, data_type: 'phone' }));
        return { status: 200, headers: new Headers(), data: { fields } as T };
      }
      const digits = String(req.query?.phone ?? '');
      const i = Number(digits.slice(3)) - 2_000_000;
      const body = JSON.stringify({
        data: [
          {
            id: String(4_876_876_000_000_000_000n + BigInt(i)),
            Full_Name: `Caller Number${i}`,
            Mobile: `(${digits.slice(0, 3)}) ${digits.slice(3, 6)}-${digits.slice(6)}`,
            Owner: { id: String(4_876_876_000_000_100_000n + BigInt(i % 20)), name: `User ${i % 20}` },
            Modified_Time: '2026-01-05T10:00:00+00:00',
          },
        ],
        info: { more_records: false, count: 1 },
      });
      return { status: 200, headers: new Headers(), data: JSON.parse(body) as T };
    },
  };
}

/**
 * Heap growth after GC for `count` distinct callers, each looked up once through `lookupCaller()` (a
 * miss answered by Zoho, as a real cache fills): the engine with its cache arrays (lru-cache allocates
 * them for `maxEntries`), every entry and the caller-ID memo.
 */
async function memoryPerNumber(): Promise<Record<string, string | number>> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return { scenario: 'memory per cached number', note: 'run with node --expose-gc' };
  const count = sized(100_000, 1_000);
  gc();
  const before = process.memoryUsage().heapUsed;
  const options = parseConnectorOptions({
    connectionId: 'bench',
    clientId: 'c',
    clientSecret: 's',
    redirectUri: 'https://pbx.example.com/api/auth/callback/zoho',
    lookup: { order: ['Contacts'], phoneSearch: 'digits-contains', cache: { maxEntries: count } },
  });
  const lookup = createCallerLookup({
    http: answeringHttp(),
    lookup: options.lookup,
    region: () => REGIONS.US,
  });
  for (let i = 0; i < count; i++) {
    if (!(await lookup.lookupCaller(number(i)))) throw new Error(`bench: no match for ${number(i)}`);
  }
  await lookup.settled();
  gc();
  const after = process.memoryUsage().heapUsed;
  const size = lookup.cacheSize;
  await lookup.close();
  return {
    scenario: `memory per cached number (${count.toLocaleString('en-US')} callers, each looked up once)`,
    'bytes/number': Math.round((after - before) / count),
    size,
  };
}

/**
 * The same for numbers the connector wrote itself (`remember()`, as the journal and createRecord do): the
 * cache entry plus the note that the number was just written, kept for the search index's lag window.
 */
function memoryPerWrittenNumber(): Record<string, string | number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return { scenario: 'memory per written number', note: 'run with node --expose-gc' };
  const count = sized(100_000, 1_000);
  gc();
  const before = process.memoryUsage().heapUsed;
  const lookup = engine(count);
  for (let i = 0; i < count; i++) lookup.remember(match(i));
  gc();
  const after = process.memoryUsage().heapUsed;
  return {
    scenario: `memory per number written within the index lag (${count.toLocaleString('en-US')} remember() calls)`,
    'bytes/number': Math.round((after - before) / count),
    size: lookup.cacheSize,
  };
}

export async function run(): Promise<BenchSection> {
  const hits = await cacheHits();
  const memory = await memoryPerNumber();
  const rate = Number(hits['lookups/s']);
  const bytes = Number(memory['bytes/number']);
  return {
    title: 'Caller ID: cache hits and memory',
    description:
      'One process, one core. `lookupCaller()` on numbers already in the cache (half sent as E.164, half as national-format strings, so the raw-caller-ID memo is exercised too). Memory is the heap growth after GC for a lookup engine whose cache holds 100,000 callers (`cache.maxEntries` 100,000), each looked up once through `lookupCaller()` as a ringing call does, Zoho answered in memory with one contact per number (owner one of 20 users); the last row is the same for numbers the connector wrote itself (`remember()`, which also notes the write for the search index’s lag window).',
    rows: [hits, memory, memoryPerWrittenNumber()],
    targets: [
      {
        target: 'cache hit ≥ 1,000,000 lookups/s on one core',
        met: rate >= 1_000_000,
        actual: `${rate.toLocaleString('en-US')}/s`,
      },
      {
        target: 'memory ≤ 300 bytes per cached number',
        met: Number.isFinite(bytes) && bytes <= 300,
        actual: `${bytes} bytes`,
      },
    ],
  };
}

await printWhenMain(import.meta, run);
