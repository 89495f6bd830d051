/**
 * Cold caller lookups against the emulator over real HTTP, compared in the same run with a raw `fetch` of
 * the very same search request: the SDK's overhead ratio, and a CPU profile of where this process spends
 * it. The emulator runs in a child process (as Zoho is remote), so CPU figures and profiles count the
 * client only. Also the concurrent-lookup coalescing figure.
 * Run alone: `node --expose-gc --import tsx bench/lookup-cold.ts`.
 */

import { Agent } from 'node:http';
import { MODULE_FIELDS } from '../src/lookup/modules.js';
import { type ProfileGroup, profile, summarise, timedCall } from './cpu-profile.js';
import { createFloorLookup, floorVerdict, nodeHttpText } from './lookup-floor.js';
import { shippedCore, shuffler, startRemoteEmulator } from './official-sdk.js';
import { median, percentile } from './stats.js';
import { type BenchSection, printWhenMain, sized } from './types.js';

const CLIENT = {
  clientId: '1000.BENCH',
  clientSecret: 'bench-secret-0123456789',
  redirectUri: 'http://localhost/cb',
};
const FIELDS =
  'Phone,Mobile,Home_Phone,Other_Phone,Asst_Phone,Full_Name,First_Name,Last_Name,Account_Name,Email,Owner,Modified_Time';
const WARMUP = sized(200, 20);
const MEASURED = sized(1_800, 40);
/** Distinct numbers searched under the profiler, per path (after the measured phase, so it disturbs nothing). */
const PROFILED = sized(1_000, 20);

const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / (values.length || 1);
const p99 = (values: number[]) => percentile(values, 99);

/**
 * The profile of the lookup beside the raw fetch's, one note per group (a package, a folder of src/,
 * Node's internals): its share of each side's busy time scaled to that side's unprofiled mean CPU per
 * search, and the lookup's heaviest functions in it.
 */
function profileNotes(
  ours: ProfileGroup[],
  raw: ProfileGroup[],
  cpu: { ours: number; raw: number },
): string[] {
  // Profiled microseconds include the profiler's own cost: scale each side to its unprofiled CPU.
  const scale = (groups: ProfileGroup[], total: number) =>
    total / (groups.reduce((sum, g) => sum + g.usPerOp, 0) || 1);
  const k = scale(ours, cpu.ours);
  const kRaw = scale(raw, cpu.raw);
  const rawOf = new Map(raw.map((g) => [g.group, g]));
  const shown = ours.filter((g) => g.share >= 0.01);
  const rest = ours.filter((g) => g.share < 0.01).reduce((sum, g) => sum + g.usPerOp, 0);
  const rawRest = raw
    .filter((g) => !shown.some((s) => s.group === g.group))
    .reduce((sum, g) => sum + g.usPerOp, 0);
  return [
    `Where the CPU of a cold lookup goes: V8's sampling profiler (100 µs interval) over ${PROFILED.toLocaleString('en-US')} more cold lookups, and as many raw fetches of other numbers, after the measured phase. Self time grouped by package or source folder, each side scaled to its unprofiled mean CPU per search (lookupCaller ${Math.round(cpu.ours)} µs, raw fetch ${Math.round(cpu.raw)} µs). Each line: group — lookupCaller µs (share) vs raw fetch µs; the lookup's heaviest functions there.`,
    ...shown.map((g) => {
      const floor = rawOf.get(g.group);
      const top = g.top
        .map((f) => `${f.name.replace(/\|/g, '\\|')} ${(f.usPerOp * k).toFixed(1)}`)
        .join(', ');
      return `profile: ${g.group} — ${(g.usPerOp * k).toFixed(1)} µs (${(g.share * 100).toFixed(1)}%) vs ${((floor?.usPerOp ?? 0) * kRaw).toFixed(1)} µs; ${top}`;
    }),
    `profile: every other group (under 1% each) — ${(rest * k).toFixed(1)} µs vs ${(rawRest * kRaw).toFixed(1)} µs`,
  ];
}

export async function run(): Promise<BenchSection> {
  const emu = await startRemoteEmulator({ autoConsent: true, edition: 'Ultimate' });
  try {
    await emu.call('registerClient', { ...CLIENT, redirectUris: [CLIENT.redirectUri] });
    const count = WARMUP + MEASURED + 2 * PROFILED;
    const national = (i: number) => `212${String(5_000_000 + i).padStart(7, '0')}`;
    await emu.call(
      'seed',
      'Contacts',
      Array.from({ length: count }, (_, i) => ({
        First_Name: 'Bench',
        Last_Name: `Caller ${i}`,
        Phone: `(${national(i).slice(0, 3)}) ${national(i).slice(3, 6)}-${national(i).slice(6)}`,
      })),
    );
    const { core, fallback } = await shippedCore();
    const { ZohoCrmConnector } = core;
    const store = core.createMemoryStore();
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
    const searchUrl = (i: number) =>
      `${emu.apiUrl}/crm/v8/Contacts/search?phone=${national(i)}&fields=${FIELDS}&per_page=200`;
    const headers = { Authorization: `Zoho-oauthtoken ${token}`, Accept: 'application/json' };
    const rawSearch = async (i: number) => {
      await (await fetch(searchUrl(i), { headers })).json();
    };
    // The same request over node:http on a keep-alive agent: the transport the connector searches over.
    const agent = new Agent({ keepAlive: true });
    const rawHttpSearch = async (i: number) => {
      JSON.parse(await nodeHttpText(agent, searchUrl(i), headers));
    };
    const lookup = async (i: number) => {
      if (!(await zoho.lookupCaller(`+1${national(i)}`)))
        throw new Error(`bench: no match for ${national(i)}`);
    };
    // A lookup's necessary steps alone, inline, on the shipped phone code (bench/lookup-floor.ts).
    const floor = createFloorLookup({
      core,
      apiBase: `${emu.apiUrl}/crm/v8`,
      accessToken: token,
      module: 'Contacts',
      phoneFields: MODULE_FIELDS.Contacts.phone,
      fields: FIELDS.split(','),
      defaultCountry: 'US',
      ringTimeoutMs: 10_000,
      attemptTimeoutMs: 30_000,
    });
    const floorLookup = async (i: number) => {
      if (!(await floor(`+1${national(i)}`))) throw new Error(`bench: no floor match for ${national(i)}`);
    };

    const paths = [rawSearch, lookup, floorLookup, rawHttpSearch].map((search) => ({
      search,
      ms: [] as number[],
      cpu: [] as number[],
    }));
    // Warm up every path (JIT, keep-alive sockets) on numbers not measured afterwards.
    for (let i = 0; i < WARMUP; i++) for (const path of paths) await path.search(i);
    // Each number searched by every path, in a new shuffled order per number (fixed seed), so no path is
    // always the one that follows another.
    const shuffle = shuffler(0x5eed);
    for (let i = WARMUP; i < WARMUP + MEASURED; i++)
      for (const path of shuffle(paths)) {
        const sample = await timedCall(() => path.search(i));
        path.ms.push(sample.ms);
        path.cpu.push(sample.cpu);
      }
    const [
      { ms: raw, cpu: cpuRaw },
      { ms: sdk, cpu: cpuSdk },
      { ms: floorMs, cpu: cpuFloor },
      { ms: rawHttp, cpu: cpuRawHttp },
    ] = paths as [
      (typeof paths)[number],
      (typeof paths)[number],
      (typeof paths)[number],
      (typeof paths)[number],
    ];
    const ratio = median(sdk) / median(raw);
    const cpuRatio = median(cpuSdk) / median(cpuRaw);
    const httpRatio = median(sdk) / median(rawHttp);
    const httpCpuRatio = median(cpuSdk) / median(cpuRawHttp);
    const floorRatio = median(floorMs) / median(raw);
    const floorCpuRatio = median(cpuFloor) / median(cpuRaw);

    // Where the CPU goes: each path alone under the profiler, on numbers neither has seen.
    const first = WARMUP + MEASURED;
    const oursProfile = await profile(async () => {
      for (let i = first; i < first + PROFILED; i++) await lookup(i);
    });
    const rawProfile = await profile(async () => {
      for (let i = first + PROFILED; i < first + 2 * PROFILED; i++) await rawSearch(i);
    });
    const notes = profileNotes(summarise(oursProfile, PROFILED, 3), summarise(rawProfile, PROFILED, 3), {
      ours: mean(cpuSdk),
      raw: mean(cpuRaw),
    });

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
    const before = (await emu.call('stats')).totalRequests;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 1_000 }, (_, i) => coalescing.lookupCaller(`+1646555${String(1000 + (i % 100))}`)),
    );
    const wall = performance.now() - started;
    const calls = (await emu.call('stats')).totalRequests - before;
    await zoho.close();
    await coalescing.close();
    floor.close();
    agent.destroy();

    return {
      title: 'Caller ID: cold lookups against the emulator',
      description: `Loopback HTTP to the emulator in a child process (as Zoho is remote: CPU figures and the profile count this process only), the connector imported from the build as it ships (dist/; the profile maps its frames back to their sources through its source maps), ${MEASURED.toLocaleString('en-US')} distinct numbers after ${WARMUP} warm-up ones, each looked up once (a cache miss: E.164 classification, one search, verification of the returned record, cache fill), interleaved (a new shuffled order per number, fixed seed) with a raw \`fetch()\` + \`response.json()\` of the identical search request with the same token, the same request over \`node:http\` on a keep-alive agent (the transport the connector searches over on Node.js), and the floor of a lookup (bench/lookup-floor.ts: the shipped \`classifyNumber\`, a cache read, a race against the ring deadline, a \`node:http\` GET with a per-attempt timer, our zod schema, the shipped \`matchesNumber\`, the cache fill; none of our layers); each search's CPU is counted until one event-loop turn after its answer, so what it leaves behind counts to it, not to the next path.`,
      rows: [
        {
          path: 'raw fetch + JSON.parse',
          'p50 ms': median(raw).toFixed(3),
          'p99 ms': p99(raw).toFixed(3),
          'CPU µs/op (p50)': Math.round(median(cpuRaw)),
        },
        {
          path: 'raw node:http + JSON.parse (keep-alive agent)',
          'p50 ms': median(rawHttp).toFixed(3),
          'p99 ms': p99(rawHttp).toFixed(3),
          'CPU µs/op (p50)': Math.round(median(cpuRawHttp)),
        },
        {
          path: 'lookupCaller (cache miss)',
          'p50 ms': median(sdk).toFixed(3),
          'p99 ms': p99(sdk).toFixed(3),
          'CPU µs/op (p50)': Math.round(median(cpuSdk)),
        },
        {
          path: 'the floor: a lookup’s necessary steps inline (bench/lookup-floor.ts)',
          'p50 ms': median(floorMs).toFixed(3),
          'p99 ms': p99(floorMs).toFixed(3),
          'CPU µs/op (p50)': Math.round(median(cpuFloor)),
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
          target: 'cold lookup ≤ 1.2 × a raw fetch of the same search (p50 latency; goal 1.05×)',
          met: ratio <= 1.2,
          actual: `${ratio.toFixed(3)}× (CPU ${cpuRatio.toFixed(3)}×); the connector searches over node:http, and against a raw node:http request of the same search it is ${httpRatio.toFixed(3)}× (CPU ${httpCpuRatio.toFixed(3)}×); ${floorVerdict({ figure: `${floorRatio.toFixed(3)}× (CPU ${floorCpuRatio.toFixed(3)}×)`, meets: floorRatio <= 1.2, goal: '1.2×' }, median(sdk) / median(floorMs))}`,
        },
        {
          target:
            '1,000 concurrent lookups of 100 numbers ≤ 303 Zoho calls (100 × 3 modules, plus each field list once)',
          met: calls <= 303,
          actual: `${calls} calls`,
        },
      ],
      notes: fallback ? [fallback, ...notes] : notes,
    };
  } finally {
    await emu.close();
  }
}

await printWhenMain(import.meta, run);
