/**
 * A CPU profile of a stretch of work in this process (V8's sampling profiler through `node:inspector`,
 * the same data as `node --cpu-prof`), summarised as self time grouped by where the code lives: a
 * package of node_modules, a folder of src/, Node's internals, the garbage collector. Bench sections put
 * the summary in their notes, so docs/performance.md says where the remaining microseconds go. Also the
 * CPU window every per-search figure uses ({@link timedCall}).
 */
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { SourceMap } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time of one group (a package, a source folder, Node's internals…) and its heaviest functions. */
export interface ProfileGroup {
  group: string;
  /** Share of the sampled time, 0–1. */
  share: number;
  /** Microseconds per operation. */
  usPerOp: number;
  top: Array<{ name: string; usPerOp: number }>;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const DIST = resolve(ROOT, 'dist');
const distMaps = new Map<string, SourceMap | null>();

/**
 * Where a frame of the built package (dist/, which bundles zod, ofetch, p-retry and libphonenumber-js
 * into its chunks) comes from: the original file its source map names for that position, so a profile
 * of what ships is still grouped by package and by src/ folder. Other frames keep their own URL.
 */
function originalUrl(frame: ProfileNode['callFrame']): string {
  if (!frame.url.startsWith('file://')) return frame.url;
  const path = fileURLToPath(frame.url);
  if (!path.startsWith(`${DIST}/`)) return frame.url;
  let map = distMaps.get(path);
  if (map === undefined) {
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8')));
    } catch {
      map = null; // no map: the frame stays in its dist/ chunk
    }
    distMaps.set(path, map);
  }
  const entry = map?.findEntry(frame.lineNumber, frame.columnNumber);
  return entry && 'originalSource' in entry ? resolve(dirname(path), entry.originalSource) : frame.url;
}

/** The group a frame's script belongs to. */
function groupOf(url: string, name: string): string {
  if (url === '') {
    if (name === '(garbage collector)') return 'V8: garbage collector';
    if (name === '(program)' || name === '(root)') return 'V8/native: (program)';
    if (name === '(idle)') return '(idle)';
    return 'V8/native builtins';
  }
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const modules = path.lastIndexOf('/node_modules/');
  if (modules !== -1) {
    const rest = path.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? path);
  }
  if (path.startsWith('node:internal/deps/undici')) return 'node: undici (fetch)';
  if (path.startsWith('node:')) {
    const parts = path.slice(5).split('/');
    return `node: ${parts[0] === 'internal' ? (parts[1] ?? 'internal').replace(/\.js$/, '') : parts[0]}`;
  }
  if (path.startsWith(ROOT)) {
    const relative = path.slice(ROOT.length);
    const parts = relative.split('/');
    return parts[0] === 'src'
      ? `src/${parts.length > 2 ? parts[1] : parts[1]?.replace(/\.ts$/, '')}`
      : relative;
  }
  return path;
}

/**
 * Runs one call: its wall time to the answer, and this process's CPU until one event-loop turn later, so
 * what the call left behind (a socket returned to its pool, a timer cleared, a cache fill) counts to it
 * and not to whatever runs next.
 */
export async function timedCall(call: () => Promise<unknown>): Promise<{ ms: number; cpu: number }> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  await call();
  const ms = performance.now() - t;
  await new Promise((resolve) => setImmediate(resolve));
  const used = process.cpuUsage(cpu);
  return { ms, cpu: used.user + used.system };
}

/** Runs `work` under the sampling profiler (100 µs interval) and returns the raw profile. */
export async function profile(work: () => Promise<void>): Promise<Profile> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    let failure: unknown;
    try {
      await work();
    } catch (error) {
      failure = error;
    }
    const { profile: result } = (await session.post('Profiler.stop')) as { profile: Profile };
    await session.post('Profiler.disable');
    if (failure) throw failure;
    return result;
  } finally {
    session.disconnect();
  }
}

/** Self time by group, heaviest first, per operation; idle time left out. */
export function summarise(result: Profile, operations: number, topPerGroup = 3): ProfileGroup[] {
  const byId = new Map(result.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < result.samples.length; i++) {
    const id = result.samples[i] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (result.timeDeltas[i] ?? 0));
  }
  const groups = new Map<string, { us: number; functions: Map<string, number> }>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const url = originalUrl(frame);
    const group = groupOf(url, frame.functionName);
    if (group === '(idle)') continue;
    total += us;
    const entry = groups.get(group) ?? { us: 0, functions: new Map<string, number>() };
    entry.us += us;
    const file = url.split('/').pop() ?? '';
    const name = `${frame.functionName || '(anonymous)'}${file ? ` (${file})` : ''}`;
    entry.functions.set(name, (entry.functions.get(name) ?? 0) + us);
    groups.set(group, entry);
  }
  return [...groups.entries()]
    .map(([group, { us, functions }]) => ({
      group,
      share: total ? us / total : 0,
      usPerOp: us / operations,
      top: [...functions.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, topPerGroup)
        .map(([name, fnUs]) => ({ name, usPerOp: fnUs / operations })),
    }))
    .sort((a, b) => b.usPerOp - a.usPerOp);
}
