/**
 * Backfill benchmark: `importCalls` of 100,000 calls from a generator (never an array) into a connector
 * with the memory journal store, against the Zoho emulator in a process of its own (its 100,000 stored
 * records are not this process's memory). Reports insert requests, calls per second, and this process's
 * memory: peak RSS and heap growth over the run.
 * Run: `node --expose-gc --import tsx bench/import.ts` (BENCH_IMPORT_CALLS=10000 for a shorter run).
 */
import { performance } from 'node:perf_hooks';
import { ZohoCrmConnector } from '../src/connector.js';
import type { PbxCall } from '../src/journal/pbx-call.js';
import type { RegionEndpoints } from '../src/options.js';
import { startChild, stop } from './server.js';
import { type BenchSection, printWhenMain, sized } from './types.js';

const CALLS = Number(process.env.BENCH_IMPORT_CALLS ?? sized(100_000, 500));
const NUMBERS = 200;

function* cdrs(count: number): Generator<PbxCall> {
  const first = Date.now() - 86_400_000 - count * 30_000; // one call every 30 s, all in the past
  for (let i = 0; i < count; i++) {
    const number = `+1415555${String(4000 + (i % NUMBERS))}`;
    const start = first + i * 30_000;
    yield {
      id: `backfill-${i}`,
      direction: i % 3 === 0 ? 'outbound' : 'inbound',
      trunk: true,
      from: i % 3 === 0 ? '201' : number,
      to: i % 3 === 0 ? number : '+14155550100',
      agent: { extension: '201' },
      startedAt: new Date(start),
      ...(i % 5 === 0 ? {} : { answeredAt: new Date(start + 5_000) }),
      endedAt: new Date(start + 25_000),
      status: i % 5 === 0 ? 'missed' : 'answered',
    };
  }
}

const gc = () => (globalThis as { gc?: () => void }).gc?.();
const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

export async function run(): Promise<BenchSection> {
  const zoho = startChild('./emulator-child.ts', {});
  try {
    const us = (await zoho.ready) as RegionEndpoints;
    const connector = new ZohoCrmConnector({
      connectionId: 'bench',
      clientId: '1000.BENCH',
      clientSecret: 'bench-secret-value',
      redirectUri: 'http://127.0.0.1/api/auth/callback/zoho',
      edition: 'Ultimate',
      endpoints: { regions: { US: us } },
    });
    try {
      const { url } = await connector.authorizationUrl();
      const consent = await fetch(url, { redirect: 'manual' });
      await connector.handleCallback(consent.headers.get('location') as string);
      const requests: Record<string, number> = {};
      connector.on('zohoRequest', (e) => {
        const key = `${e.method} ${e.path.replace(/\/\d+/g, '/{id}')}`;
        requests[key] = (requests[key] ?? 0) + 1;
      });

      gc();
      const before = process.memoryUsage();
      let peakRss = before.rss;
      let peakHeap = before.heapUsed;
      const started = performance.now();
      const summary = await connector.importCalls(cdrs(CALLS), {
        total: CALLS,
        onProgress: () => {
          const now = process.memoryUsage();
          peakRss = Math.max(peakRss, now.rss);
          peakHeap = Math.max(peakHeap, now.heapUsed);
        },
      });
      const seconds = (performance.now() - started) / 1000;
      gc();
      const after = process.memoryUsage();
      if (summary.logged !== CALLS)
        throw new Error(`import: ${JSON.stringify({ ...summary, failures: summary.failures.slice(0, 3) })}`);
      const inserts = requests['POST /Calls'] ?? 0;
      const searches = Object.entries(requests)
        .filter(([key]) => key.endsWith('/search'))
        .reduce((sum, [, n]) => sum + n, 0);
      const total = Object.values(requests).reduce((sum, n) => sum + n, 0);
      const row = {
        calls: CALLS,
        'insert requests': inserts,
        'lookup searches': searches,
        'other requests': total - inserts - searches,
        'wall s': seconds.toFixed(1),
        'calls/s': Math.round(CALLS / seconds),
        'RSS before MiB': mib(before.rss),
        'peak RSS MiB': mib(peakRss),
        'peak heap growth MiB': mib(peakHeap - before.heapUsed),
        'heap growth after GC MiB': mib(after.heapUsed - before.heapUsed),
      };
      return {
        title: `Backfill: importCalls of ${CALLS.toLocaleString('en-US')} calls`,
        description:
          `importCalls of ${CALLS.toLocaleString('en-US')} trunk calls (inbound, outbound and missed, from ${NUMBERS} numbers ` +
          'none of which is a CRM record) produced one by one by a generator, into a connector with the memory ' +
          'journal store, against the Zoho emulator in its own process over HTTP. The import reads 500 calls, ' +
          'writes them (100 per insert, two inserts in flight) and only then reads the next 500. Memory is this ' +
          'process only; the memory journal store keeps its ledger (one entry per call) in the heap, which is ' +
          'most of the growth after GC (a file, Redis or PostgreSQL store keeps it outside).',
        rows: [row],
        targets: [
          {
            target: `importing ${CALLS.toLocaleString('en-US')} calls uses ${Math.ceil(CALLS / 100).toLocaleString('en-US')} insert requests (100 per insert)`,
            met: inserts === Math.ceil(CALLS / 100),
            actual: `${inserts.toLocaleString('en-US')} inserts`,
          },
        ],
        notes: [
          'Lookup searches: the caller lookup runs for every call as for logCall; unknown numbers are cached as misses for a minute, so a long import searches each number again every minute or so.',
          'The machine was shared with other work while this ran: calls/s is a floor, not a ceiling.',
        ],
      };
    } finally {
      await connector.close();
    }
  } finally {
    await stop(zoho.child);
  }
}

await printWhenMain(import.meta, run);
