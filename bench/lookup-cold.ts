/**
 * Cold caller lookups against the emulator over real HTTP, compared in the same run with a raw `fetch` of
 * the very same search request: the SDK's overhead ratio. Also the concurrent-lookup coalescing figure.
 * Run alone: `node --import tsx bench/lookup-cold.ts`.
 */
import { ZohoCrmConnector } from '../src/connector.js';
import { createMemoryStore } from '../src/stores/memory.js';
import { startZohoEmulator } from '../src/testing/server.js';
import { type BenchSection, printWhenMain } from './types.js';

const CLIENT = {
  clientId: '1000.BENCH',
  clientSecret: 'bench-secret-0123456789',
  redirectUri: 'http://localhost/cb',
};
const FIELDS =
  'Phone,Mobile,Home_Phone,Other_Phone,Asst_Phone,Full_Name,First_Name,Last_Name,Account_Name,Email,Owner,Modified_Time';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const p99 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.99)] ?? 0;

export async function run(): Promise<BenchSection> {
  const emu = await startZohoEmulator({ autoConsent: true, edition: 'Ultimate' });
  try {
    emu.registerClient({ ...CLIENT, redirectUris: [CLIENT.redirectUri] });
    const count = 2_000;
    const national = (i: number) => `212${String(5_000_000 + i).padStart(7, '0')}`;
    emu.seed(
      'Contacts',
      Array.from({ length: count }, (_, i) => ({
        First_Name: 'Bench',
        Last_Name: `Caller ${i}`,
        Phone: `(${national(i).slice(0, 3)}) ${national(i).slice(3, 6)}-${national(i).slice(6)}`,
      })),
    );
    const store = createMemoryStore();
    const zoho = new ZohoCrmConnector({
      connectionId: 'bench',
      ...CLIENT,
      tokenStore: store,
      endpoints: { regions: emu.regions },
      edition: 'Ultimate',
      lookup: { order: ['Contacts'], timeoutMs: 10_000 },
    });
    const { url } = await zoho.authorizationUrl();
    await zoho.handleCallback((await fetch(url, { redirect: 'manual' })).headers.get('location') ?? '');
    const token = (await store.get('bench'))?.accessToken ?? '';
    const rawSearch = async (i: number) => {
      const response = await fetch(
        `${emu.apiUrl}/crm/v8/Contacts/search?phone=${national(i)}&fields=${FIELDS}&per_page=200`,
        {
          headers: { Authorization: `Zoho-oauthtoken ${token}`, Accept: 'application/json' },
        },
      );
      await response.json();
    };

    // Warm up both paths (JIT, keep-alive sockets) on numbers not measured afterwards.
    for (let i = 0; i < 200; i++) {
      await rawSearch(i);
      await zoho.lookupCaller(`+1${national(i)}`);
    }
    const raw: number[] = [];
    const sdk: number[] = [];
    const cpuRaw: number[] = [];
    const cpuSdk: number[] = [];
    for (let i = 200; i < count; i++) {
      let cpu = process.cpuUsage();
      let t = performance.now();
      await rawSearch(i);
      raw.push(performance.now() - t);
      cpuRaw.push(process.cpuUsage(cpu).user + process.cpuUsage(cpu).system);
      cpu = process.cpuUsage();
      t = performance.now();
      const match = await zoho.lookupCaller(`+1${national(i)}`);
      sdk.push(performance.now() - t);
      cpuSdk.push(process.cpuUsage(cpu).user + process.cpuUsage(cpu).system);
      if (!match) throw new Error(`bench: no match for ${national(i)}`);
    }
    const ratio = median(sdk) / median(raw);

    // 1,000 concurrent lookups of 100 distinct (unknown) numbers on a fresh connector: Zoho calls spent.
    // The org's phone-search reading is known (diagnose, or learned from traffic), so a miss costs one
    // search per module; bench/lookup-reading.ts has the costs while it is unknown.
    const coalescing = new ZohoCrmConnector({
      connectionId: 'bench',
      ...CLIENT,
      tokenStore: store,
      endpoints: { regions: emu.regions },
      edition: 'Ultimate',
      lookup: { timeoutMs: 30_000, phoneSearch: 'digits-contains' },
    });
    const before = emu.stats().totalRequests;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 1_000 }, (_, i) => coalescing.lookupCaller(`+1646555${String(1000 + (i % 100))}`)),
    );
    const wall = performance.now() - started;
    const calls = emu.stats().totalRequests - before;
    await zoho.close();
    await coalescing.close();

    return {
      title: 'Caller ID: cold lookups against the emulator',
      description:
        'Loopback HTTP to the embedded emulator, 1,800 distinct numbers, each looked up once (a cache miss: one search, verification of the returned record, cache fill), interleaved with a raw `fetch()` of the identical search request with the same token. CPU is this process only (the emulator runs in it too, so both sides include its work equally).',
      rows: [
        {
          path: 'raw fetch + JSON.parse',
          'p50 ms': median(raw).toFixed(3),
          'p99 ms': p99(raw).toFixed(3),
          'CPU µs/op (p50)': Math.round(median(cpuRaw)),
        },
        {
          path: 'lookupCaller (cache miss)',
          'p50 ms': median(sdk).toFixed(3),
          'p99 ms': p99(sdk).toFixed(3),
          'CPU µs/op (p50)': Math.round(median(cpuSdk)),
        },
        {
          path: '1,000 concurrent lookups, 100 distinct unknown numbers',
          'p50 ms': '',
          'p99 ms': '',
          'CPU µs/op (p50)': '',
          'Zoho calls': calls,
          'wall ms': Math.round(wall),
        },
      ],
      targets: [
        {
          target: 'cold lookup ≤ 1.05 × a raw fetch of the same search',
          met: ratio <= 1.05,
          actual: `${ratio.toFixed(3)}×`,
        },
        {
          target:
            '1,000 concurrent lookups of 100 numbers ≤ 303 Zoho calls (100 × 3 modules, plus each field list once)',
          met: calls <= 303,
          actual: `${calls} calls`,
        },
      ],
    };
  } finally {
    await emu.close();
  }
}

await printWhenMain(import.meta, run);
