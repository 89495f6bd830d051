/**
 * The PBX service under load: cached caller lookups and call ingestion (202 once the call is in the file
 * journal's outbox), over node:http with keep-alive. The service (with the emulator behind it) runs in a
 * child process, the load generator in this one, so neither measures the other's CPU.
 * Targets (issue 15): ≥ 5,000 cached lookups/s and ≥ 1,000 calls/s accepted on this machine.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { type BenchSection, printWhenMain, sized } from './types.js';

const KEY = 'bench-api-key-0123456789abcdefgh';
const CONCURRENCY = 16;
/** Requests per route before the measured rounds (the service's JIT, its sockets), not counted. */
const WARMUP = sized(1_000, 50);
/** Measured rounds per route; the report gives the median round (by requests/s), so one stall does not decide it. */
const ROUNDS = sized(3, 1);
const MAX_REQUESTS = sized(8_000, 200);
const MAX_MS = sized(2_000, 1_000);

interface Load {
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/** One closed-loop round of up to `maxRequests` requests or `maxMs`, numbered from `first`. */
async function round(
  request: (i: number) => { method: string; path: string; body?: string },
  base: string,
  first: number,
  maxRequests: number,
  maxMs: number,
): Promise<Load> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const once = (i: number) =>
    new Promise<number>((resolve, reject) => {
      const { method, path, body } = request(i);
      const t0 = performance.now();
      const req = http.request(
        `${base}${path}`,
        {
          agent,
          method,
          headers: {
            authorization: `Bearer ${KEY}`,
            ...(body
              ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
              : {}),
          },
        },
        (res) => {
          if (res.statusCode !== 200 && res.statusCode !== 202) reject(new Error(`HTTP ${res.statusCode}`));
          res.resume();
          res.on('end', () => resolve(performance.now() - t0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const latencies: number[] = [];
  let next = first;
  const start = performance.now();
  const deadline = start + maxMs;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < first + maxRequests && performance.now() < deadline) latencies.push(await once(next++));
    }),
  );
  const elapsed = performance.now() - start;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] as number;
  return {
    requests: latencies.length,
    perSecond: Math.round((latencies.length / elapsed) * 1000),
    p50: Number(at(0.5).toFixed(2)),
    p99: Number(at(0.99).toFixed(2)),
  };
}

/**
 * A route under load: {@link WARMUP} requests first, then {@link ROUNDS} measured rounds; the median round
 * (by requests/s) with its latencies.
 */
async function load(
  request: (i: number) => { method: string; path: string; body?: string },
  base: string,
): Promise<Load> {
  await round(request, base, 0, WARMUP, MAX_MS);
  const rounds: Load[] = [];
  for (let r = 0; r < ROUNDS; r++)
    rounds.push(await round(request, base, WARMUP + r * MAX_REQUESTS, MAX_REQUESTS, MAX_MS));
  rounds.sort((a, b) => a.perSecond - b.perSecond);
  return rounds[Math.floor(rounds.length / 2)] as Load;
}

const call = (i: number) =>
  JSON.stringify({
    id: `bench-${i}`,
    direction: 'inbound',
    trunk: true,
    from: '+14155552671',
    to: '+14155550100',
    startedAt: '2026-12-01T10:00:00Z',
    answeredAt: '2026-12-01T10:00:05Z',
    endedAt: '2026-12-01T10:01:00Z',
    status: 'answered',
  });

/** Starts a bench child process and resolves with the first JSON line it prints. */
export function startChild(
  script: string,
  env: Record<string, string>,
  extraArgs: string[] = [],
): { child: ChildProcess; ready: Promise<unknown> } {
  const child = spawn(
    process.execPath,
    [...extraArgs, '--import', 'tsx', fileURLToPath(new URL(script, import.meta.url))],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } },
  );
  const ready = new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line));
    });
    child.once('exit', (code) => reject(new Error(`${script} exited (${code})`)));
  });
  return { child, ready };
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

export async function run(): Promise<BenchSection> {
  // Three processes: Zoho (the emulator), the service, and this load generator.
  const zoho = startChild('./emulator-child.ts', {});
  const children = [zoho.child];
  try {
    const us = await zoho.ready;
    const service = startChild(
      './server-child.ts',
      { BENCH_API_KEY: KEY, BENCH_EMULATOR_US: JSON.stringify(us) },
      // BENCH_CPU_PROFILE=<dir> writes the service's CPU profile there (open it in Chrome DevTools).
      process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : [],
    );
    children.push(service.child);
    const base = ((await service.ready) as { url: string }).url;
    const lookups = await load(
      () => ({ method: 'GET', path: '/v1/tenants/t1/caller?number=%2B14155552671' }),
      base,
    );
    const calls = await load((i) => ({ method: 'POST', path: '/v1/tenants/t1/calls', body: call(i) }), base);
    return {
      title: 'PBX service: cached lookups and call ingestion over HTTP',
      description: `The service (\`zoho-crm-connector/server\`, emulator behind it, file journal store) in a child process; a node:http keep-alive load generator with ${CONCURRENCY} concurrent requests in this process. Per route: ${WARMUP.toLocaleString('en-US')} warm-up requests, then ${ROUNDS} rounds of up to ${MAX_REQUESTS.toLocaleString('en-US')} requests or ${MAX_MS / 1000} s each; each row is the median round by requests/s (this machine's two cores run the load generator, the service and the emulator, so one round can stall). Calls are unique, answered 202 once in the outbox while the journal delivers them to the emulator in the background. Latencies in ms.`,
      rows: [
        { route: 'GET /v1/tenants/{id}/caller (cache hit)', ...lookups },
        { route: 'POST /v1/tenants/{id}/calls (accepted)', ...calls },
      ],
      targets: [
        {
          target: '≥ 5,000 cached lookups/s',
          met: lookups.perSecond >= 5_000,
          actual: `${lookups.perSecond.toLocaleString('en-US')}/s, p99 ${lookups.p99} ms`,
        },
        {
          target: '≥ 1,000 calls/s accepted into the outbox (file journal store)',
          met: calls.perSecond >= 1_000,
          actual: `${calls.perSecond.toLocaleString('en-US')}/s, p99 ${calls.p99} ms`,
        },
      ],
    };
  } finally {
    for (const child of children.reverse()) await stop(child);
  }
}

await printWhenMain(import.meta, run);
