/**
 * What installing the package costs a user: the core bundle as a bundler sees it (the built
 * `dist/index.js` plus its runtime dependencies, esbuild, minified, gzip -9), with and without
 * libphonenumber's metadata; cold import time of the core entry; and how many packages the production
 * dependency tree installs, next to Zoho's official SDK.
 * Run alone: `node --expose-gc --import tsx bench/package.ts`.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ofetchCreateFetchOnly } from '../tsup.config.js';
import {
  type ColdImport,
  coldImport,
  coreDist,
  OFFICIAL_SDK,
  ROOT,
  timedInFreshNode,
} from './official-sdk.js';
import { median } from './stats.js';
import { type BenchSection, printWhenMain } from './types.js';

type Esbuild = typeof import('esbuild');

/** package.json "dependencies" (tsup bundles them into dist; bundling from src shows our code alone). */
const RUNTIME_DEPENDENCIES = Object.keys(
  (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> })
    .dependencies ?? {},
);

/** Issue #17's targets for the package. */
const BUNDLE_TARGET_KB = 60;

interface Bundle {
  minBytes: number;
  gzipBytes: number;
  /** Minified bytes in the output per contributor (package, libphonenumber metadata, our own code). */
  parts: Map<string, number>;
}

/** The package an input file belongs to, with libphonenumber's metadata counted on its own. */
function contributor(path: string): string {
  if (/libphonenumber-js\/.*metadata\.[a-z]+\.json/.test(path)) return 'libphonenumber-js metadata (min)';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
  return (
    match?.[1] ?? (path.startsWith('src/') ? 'zoho-crm-connector (own code)' : 'zoho-crm-connector (dist)')
  );
}

/**
 * What answering a ring needs and nothing else: OAuth, the HTTP client, the caller lookup, phone numbers
 * and the errors (no journal, records, diagnose, notifications, registry, options schemas). A bundle of
 * this shows what any entry point serving caller ID would weigh, whatever the package exported.
 */
const CALLER_ID_PATH = [
  "export { createCallerLookup } from './src/lookup/caller-lookup.ts';",
  "export { createTokenManager } from './src/oauth/token-manager.ts';",
  "export { createAuthorization } from './src/oauth/authorization.ts';",
  "export { createZohoHttp } from './src/http/client.ts';",
  "export { createMemoryStore } from './src/stores/memory.ts';",
  "export { toE164, matchesNumber } from './src/phone/normalize.ts';",
  "export * from './src/errors.ts';",
].join('\n');

async function bundle(
  esbuild: Esbuild,
  entry: string | { contents: string },
  without: 'nothing' | 'metadata' | 'libphonenumber' | 'dependencies',
): Promise<Bundle> {
  const result = await esbuild.build({
    ...(typeof entry === 'string'
      ? { entryPoints: [entry] }
      : { stdin: { contents: entry.contents, resolveDir: ROOT, loader: 'ts' as const } }),
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: ROOT,
    external:
      without === 'libphonenumber'
        ? ['libphonenumber-js', 'libphonenumber-js/*']
        : without === 'dependencies'
          ? RUNTIME_DEPENDENCIES.flatMap((name) => [name, `${name}/*`])
          : [],
    plugins: [
      // The build's own plugin (bundling src/ as tsup does: ofetch's createFetch without its default
      // instance), unless every dependency is to stay external.
      ...(without === 'dependencies' ? [] : [ofetchCreateFetchOnly]),
      ...(without === 'metadata'
        ? [
            {
              name: 'metadata-external',
              setup(build: import('esbuild').PluginBuild) {
                build.onResolve({ filter: /metadata\.[a-z]+\.json(\.js)?$/ }, (args) => ({
                  path: args.path,
                  external: true,
                }));
              },
            },
          ]
        : []),
    ],
  });
  const output = result.outputFiles[0]?.contents ?? new Uint8Array();
  const parts = new Map<string, number>();
  for (const out of Object.values(result.metafile.outputs))
    for (const [path, { bytesInOutput }] of Object.entries(out.inputs)) {
      const key = contributor(path);
      parts.set(key, (parts.get(key) ?? 0) + bytesInOutput);
    }
  return { minBytes: output.byteLength, gzipBytes: gzipSync(output, { level: 9 }).byteLength, parts };
}

interface LockPackage {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/**
 * Every package a package pulls in, by Node's resolution over package-lock.json (itself included):
 * dependencies, optional dependencies present in the lock, and non-optional peers (npm ≥ 7 installs them).
 */
function installClosure(packages: Record<string, LockPackage>, start: string): string[] {
  const resolve = (from: string, name: string): string | undefined => {
    let base = from;
    for (;;) {
      const candidate = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
      if (packages[candidate]) return candidate;
      if (!base) return undefined;
      const cut = base.lastIndexOf('/node_modules/');
      base = cut === -1 ? '' : base.slice(0, cut);
    }
  };
  const nameOf = (key: string) => key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
  const seen = new Set<string>([start]);
  const names = new Set<string>([nameOf(start)]);
  const queue = [start];
  for (let key = queue.shift(); key !== undefined; key = queue.shift()) {
    const pkg = packages[key] ?? {};
    const optionalPeers = pkg.peerDependenciesMeta ?? {};
    const wanted = [
      ...Object.keys(pkg.dependencies ?? {}),
      ...Object.keys(pkg.optionalDependencies ?? {}),
      // A peer is satisfied by a copy the tree already has (this checkout's layout may resolve it elsewhere).
      ...Object.keys(pkg.peerDependencies ?? {}).filter(
        (name) => !optionalPeers[name]?.optional && !names.has(name),
      ),
    ];
    for (const name of wanted) {
      const found = resolve(key, name);
      if (found && !seen.has(found)) {
        seen.add(found);
        names.add(name);
        queue.push(found);
      }
    }
  }
  return [...seen];
}

/** Apparent size of a package's files, its own nested node_modules excluded (those are counted as packages). */
function packageBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') total += packageBytes(path);
    } else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

export async function run(): Promise<BenchSection> {
  const rows: BenchSection['rows'] = [];
  const notes: string[] = [];
  const targets: NonNullable<BenchSection['targets']> = [];
  const row = (measurement: string, ours: string, official = '', note = '') =>
    rows.push({ measurement, 'zoho-crm-connector': ours, 'official SDK 3.0.0': official, note });
  const dist = coreDist();

  // Bundle size.
  if ('entry' in dist) {
    let esbuild: Esbuild | undefined;
    try {
      esbuild = await import('esbuild');
    } catch (error) {
      row('core bundle', `not measured: esbuild could not be loaded (${String(error)})`);
    }
    if (esbuild) {
      // The published entry: tsup has bundled the dependencies into dist/, so the by-package figures come
      // from the same bundle made from src/index.ts (dependencies resolved from node_modules).
      const published = await bundle(esbuild, dist.entry, 'nothing');
      const src = join(ROOT, 'src', 'index.ts');
      const full = await bundle(esbuild, src, 'nothing');
      const noMetadata = await bundle(esbuild, src, 'metadata');
      const noPhone = await bundle(esbuild, src, 'libphonenumber');
      const ownCode = await bundle(esbuild, src, 'dependencies');
      const size = (b: Bundle) => `${kb(b.gzipBytes)} gzip (${kb(b.minBytes)} minified)`;
      const officialBundle = 'not bundled: CommonJS with runtime require() of its own files, node:fs';
      row(
        'core bundle as published: dist/index.js and its chunks, everything (libphonenumber-js/min with its metadata)',
        size(published),
        officialBundle,
        'esbuild, platform browser, ESM, minified; gzip -9',
      );
      row('the same bundle made from src/index.ts', size(full), '', 'what the by-package row below reads');
      row('core bundle without libphonenumber metadata', size(noMetadata), '', 'metadata module external');
      row('core bundle without libphonenumber-js at all', size(noPhone), '', 'libphonenumber-js external');
      row(
        'our own code alone (every runtime dependency external)',
        size(ownCode),
        '',
        'the floor of any core bundle: no dependency left',
      );
      const callerId = await bundle(esbuild, { contents: CALLER_ID_PATH }, 'nothing');
      const callerIdOwn = await bundle(esbuild, { contents: CALLER_ID_PATH }, 'dependencies');
      row(
        'the caller-ID path alone: OAuth, HTTP client, lookup, phone numbers, errors (no journal, records, diagnose, notifications, registry, option schemas)',
        `${size(callerId)}; own code ${kb(callerIdOwn.gzipBytes)} gzip, the dependencies add ${kb(callerId.gzipBytes - callerIdOwn.gzipBytes)}`,
        '',
        'what a lookup-only entry point would weigh at least',
      );
      const parts = [...full.parts].sort((a, b) => b[1] - a[1]);
      row(
        'what the full bundle holds by package (minified bytes before gzip)',
        parts.map(([name, bytes]) => `${name} ${kb(bytes)}`).join(', '),
      );
      targets.push({
        target: `core bundle (esbuild, browser, minified, gzip -9) ≤ ${BUNDLE_TARGET_KB} KB`,
        met: published.gzipBytes <= BUNDLE_TARGET_KB * 1024,
        actual: `${size(published)}; floor: our own code alone is ${kb(ownCode.gzipBytes)} gzip, libphonenumber-js/min with its metadata adds ${kb(full.gzipBytes - noPhone.gzipBytes)}; even the caller-ID path alone (no journal) is ${kb(callerId.gzipBytes)}, its kept dependencies (libphonenumber-js, zod/mini, lru-cache, ofetch, p-retry) adding ${kb(callerId.gzipBytes - callerIdOwn.gzipBytes)} of it, so ${BUNDLE_TARGET_KB} KB cannot be met with the design card's libraries`,
      });
    }
  } else {
    row('core bundle', `not measured: ${dist.reason}`);
  }

  // Cold import: the same helper (and, in a full run, the same measurement) as bench/official-sdk.ts.
  const ours = 'zoho-crm-connector';
  const imports = coldImport('entry' in dist ? [ours, OFFICIAL_SDK] : [OFFICIAL_SDK]);
  const oursImport = imports.get(ours);
  const officialImport = imports.get(OFFICIAL_SDK) as ColdImport;
  row(
    'cold import, median of 10 fresh processes (interleaved)',
    oursImport
      ? `${oursImport.medianMs.toFixed(1)} ms (${(officialImport.medianMs / oursImport.medianMs).toFixed(1)}× faster)`
      : `not measured: ${'reason' in dist ? dist.reason : ''}`,
    `${officialImport.medianMs.toFixed(1)} ms`,
    '`await import()` timed inside the process, Node start-up excluded; ours by package name (dist/index.js)',
  );
  // Schemas are built on first use, not at import (src/options.ts): what a host waits for before its first
  // connector is the import plus that first use, measured here as one step in fresh processes.
  if (oursImport) {
    const firstConnector = Array.from({ length: oursImport.samples.length }, () =>
      timedInFreshNode(
        `const { ZohoCrmConnector } = await import('${ours}'); await new ZohoCrmConnector({ connectionId: 'c', clientId: 'id', clientSecret: 'secret', redirectUri: 'https://pbx.example.com/cb' }).close();`,
      ),
    );
    row(
      `cold import and a first connector (its options checked), median of ${firstConnector.length} fresh processes`,
      `${median(firstConnector).toFixed(1)} ms`,
      '',
      '`await import()` then `new ZohoCrmConnector(options)` and `close()`; the options schemas are built on this first use',
    );
  }
  // What the bundling saves: each runtime dependency imported alone from node_modules, as Node would load
  // it unbundled (zod/mini still loads all of zod's core and locales; ofetch's Node build loads
  // node-fetch-native, node:http and node:https).
  const dependencies = ['zod/mini', 'ofetch', 'libphonenumber-js/min', 'p-retry', 'lru-cache'];
  const alone = coldImport(dependencies, 5);
  row(
    'cold import of each runtime dependency alone, unbundled from node_modules, median of 5',
    dependencies.map((d) => `${d} ${alone.get(d)?.medianMs.toFixed(1)} ms`).join(', '),
    '',
    'dist/ bundles them, tree-shaken (tsup.config.ts)',
  );

  // The tarball.
  tarball(row, targets);

  // Installed packages.
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockPackage>;
  };
  let npmLs: number | string;
  try {
    const { NODE_OPTIONS: _ignored, ...env } = process.env;
    const listing = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 30_000,
    });
    npmLs = listing
      .split('\n')
      .filter((line) => line.trim() && line.trim() !== ROOT.replace(/\/$/, '')).length;
  } catch (error) {
    npmLs = `npm ls failed: ${(error as Error).message.split('\n')[0]}`;
  }
  const ourTree = installClosure(lock.packages, '').filter((key) => key !== '');
  const officialKey = `node_modules/${OFFICIAL_SDK}`;
  const officialTree = lock.packages[officialKey] ? installClosure(lock.packages, officialKey) : [];
  const treeBytes = (keys: string[]) => keys.reduce((sum, key) => sum + packageBytes(join(ROOT, key)), 0);
  row(
    'packages installed by `npm install <package>` (production tree)',
    `${npmLs} (npm ls --omit=dev), ${ourTree.length} (lockfile walk)`,
    officialTree.length
      ? `${officialTree.length} incl. itself (lockfile walk)`
      : 'not measured: not in package-lock.json',
    '../shared/OFFICIAL-SDK.md measured 110 for the official SDK and 9 for our dependency stack',
  );
  row(
    'size of those packages on disk (apparent file size)',
    mb(treeBytes(ourTree)),
    officialTree.length ? mb(treeBytes(officialTree)) : '',
    'OFFICIAL-SDK.md: 107 MB official, 26 MB our stack (du)',
  );
  notes.push(
    'The lockfile walk follows Node resolution from each package over package-lock.json (dependencies, optional dependencies present, non-optional peers not already in the tree) and counts the official SDK itself; the official SDK is a devDependency here, used only for this comparison.',
  );

  targets.push({
    target: 'the official SDK is not installed by `npm install zoho-crm-connector`',
    met: officialTree.length > 0 && !ourTree.some((key) => key.endsWith(`node_modules/${OFFICIAL_SDK}`)),
    actual: `not in the production tree (${ourTree.length} packages); a devDependency for bench/official-sdk.ts only`,
  });

  return {
    title: 'Package: bundle size, cold import, tarball, install footprint',
    description:
      'The core entry as built by `npm run build` (`dist/index.js` and its chunks, into which tsup has bundled zod/mini, ofetch’s createFetch, p-retry and libphonenumber-js; lru-cache stays external), bundled again by esbuild for the browser platform, minified, then gzip -9 (node:zlib), with its metafile read by package. Because dist/ already holds the dependencies, the by-package figures and the variants (libphonenumber’s metadata module external, libphonenumber-js external, every dependency external: our own code alone) bundle `src/index.ts` the same way. Cold import: `await import()` timed inside each of 10 fresh `node` processes after one untimed warm-up process per specifier, ours and the official SDK interleaved, medians. Tarball: `npm pack --dry-run --json`, and every packed source map read for `sourcesContent`. Package counts: `npm ls --omit=dev --all --parseable` for ours, and a walk of package-lock.json for both.',
    rows,
    targets,
    notes,
  };
}

/** `npm pack --dry-run`: what the tarball holds, and whether a source map embeds its sources. */
function tarball(
  row: (measurement: string, ours: string, official?: string, note?: string) => void,
  targets: NonNullable<BenchSection['targets']>,
): void {
  let packed: {
    size: number;
    unpackedSize: number;
    entryCount: number;
    files: { path: string; size: number }[];
  };
  try {
    const { NODE_OPTIONS: _ignored, ...env } = process.env;
    [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
        cwd: ROOT,
        env,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 60_000,
      }),
    );
  } catch (error) {
    row('tarball', `not measured: npm pack failed: ${(error as Error).message.split('\n')[0]}`);
    return;
  }
  const bytesOf = (test: (path: string) => boolean) =>
    packed.files.filter((file) => test(file.path)).reduce((sum, file) => sum + file.size, 0);
  const maps = packed.files.filter((file) => file.path.endsWith('.map'));
  const embedding = maps.filter(
    (file) =>
      (JSON.parse(readFileSync(join(ROOT, file.path), 'utf8')) as { sourcesContent?: unknown })
        .sourcesContent,
  );
  row(
    'tarball (npm pack): packed / unpacked',
    `${kb(packed.size)} / ${kb(packed.unpackedSize)}, ${packed.entryCount} files`,
    '',
    'the dependencies are bundled into dist/ (their code is in the JavaScript and its maps)',
  );
  row(
    'unpacked by kind: JavaScript / source maps / type declarations',
    `${kb(bytesOf((p) => p.endsWith('.js')))} / ${kb(bytesOf((p) => p.endsWith('.map')))} / ${kb(bytesOf((p) => p.endsWith('.d.ts')))}`,
  );
  row(
    'source maps embedding their sources (sourcesContent)',
    `${embedding.length} of ${maps.length}`,
    '',
    'maps name src/ files and lines for stack traces (node --enable-source-maps); the sources stay in the repository',
  );
  targets.push({
    target: 'tarball: no sources embedded in source maps; unpacked size reported',
    met: maps.length > 0 && embedding.length === 0,
    actual: `${embedding.length} of ${maps.length} maps embed sources; ${kb(packed.unpackedSize)} unpacked (${kb(packed.size)} packed)`,
  });
}

await printWhenMain(import.meta, run);
