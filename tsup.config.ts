import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Plugin } from 'esbuild';
import { defineConfig } from 'tsup';
import { thirdPartyLicenses } from './scripts/third-party-licenses.js';

/**
 * Every build entry, keyed by its path under dist/. Each one must appear in package.json "exports"
 * and every export must be built: the check below fails the build when the two disagree.
 */
const entry = {
  index: 'src/index.ts',
  'stores/file': 'src/stores/file.ts',
  'stores/redis': 'src/stores/redis.ts',
  'stores/postgres': 'src/stores/postgres.ts',
  server: 'src/server/index.ts',
  testing: 'src/testing/index.ts',
  'testing/msw': 'src/testing/msw.ts',
  'testing/cli': 'src/testing/cli.ts',
  cli: 'src/cli/index.ts',
} as const;

function assertExportsMatchEntries(): void {
  const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
    exports: Record<string, string | { types: string; default: string }>;
    bin?: Record<string, string>;
  };
  const exported = new Set<string>();
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') continue; // "./package.json"
    const built = target.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '');
    if (target.types !== `./dist/${built}.d.ts`) {
      throw new Error(`package.json exports["${subpath}"]: types and default point at different entries`);
    }
    exported.add(built);
  }
  // Executables (package.json "bin") are built entries too, but not exports.
  const binaries = new Set(
    Object.values(pkg.bin ?? {}).map((target) => target.replace(/^\.\/dist\//, '').replace(/\.js$/, '')),
  );
  const notBuilt = [...binaries].filter((name) => !Object.hasOwn(entry, name));
  if (notBuilt.length > 0) throw new Error(`package.json bin targets not built: [${notBuilt.join(', ')}]`);
  const entries = new Set(Object.keys(entry).filter((name) => !binaries.has(name)));
  const missing = [...entries].filter((name) => !exported.has(name));
  const unbuilt = [...exported].filter((name) => !entries.has(name));
  if (missing.length > 0 || unbuilt.length > 0) {
    throw new Error(
      `tsup entries and package.json exports disagree: entries not exported [${missing.join(', ')}], exports not built [${unbuilt.join(', ')}]`,
    );
  }
}

assertExportsMatchEntries();

/**
 * package.json "dependencies" that are bundled (see `noExternal` below). lru-cache stays external: its
 * runtime-neutral build imports node:diagnostics_channel dynamically, and the core chunks import nothing
 * from node: (test/package/exports.test.ts); Node loads it as one file, in a few milliseconds.
 */
const BUNDLED_DEPENDENCIES = Object.keys(
  (
    JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
      dependencies?: Record<string, string>;
    }
  ).dependencies ?? {},
).filter((name) => name !== 'lru-cache');

/**
 * `import { createFetch, createFetchError } from 'ofetch'` bundled without the rest of ofetch's entry
 * module, whose body builds a default instance from `globalThis.Headers`: reading it makes Node load
 * undici, about 30 ms of the core's cold import, which createZohoHttp() pays later (at construction) or
 * never. The entry re-exports both from a hashed shared file; this finds that file and the names' local
 * aliases from the entry itself, so an ofetch release that changes the layout only falls back to the whole
 * entry (the build stays correct).
 */
const OFETCH_NAMES = ['createFetch', 'createFetchError', 'FetchError'];
export const ofetchCreateFetchOnly: Plugin = {
  name: 'ofetch-create-fetch-only',
  setup(build) {
    build.onResolve({ filter: /^ofetch$/ }, (args) => {
      if (!args.importer.includes('/src/')) return undefined;
      const entry = join(dirname(createRequire(args.importer).resolve('ofetch')), 'index.mjs');
      const source = readFileSync(entry, 'utf8');
      const shared = /from '(\.\/shared\/ofetch\.[\w-]+\.mjs)'/.exec(source)?.[1];
      const aliases = new Map([...source.matchAll(/\b(\w+) as (\w+)\b/g)].map((m) => [m[2], m[1]]));
      if (!shared || OFETCH_NAMES.some((name) => !aliases.has(name))) return undefined;
      return { path: join(dirname(entry), shared), namespace: 'ofetch-create-fetch', pluginData: aliases };
    });
    build.onLoad({ filter: /.*/, namespace: 'ofetch-create-fetch' }, (args) => {
      const aliases = args.pluginData as Map<string, string>;
      const names = OFETCH_NAMES.map((name) => `${aliases.get(name)} as ${name}`).join(', ');
      return {
        contents: `export { ${names} } from ${JSON.stringify(args.path)};`,
        resolveDir: dirname(args.path),
      };
    });
  },
};

export default defineConfig({
  entry,
  format: ['esm'],
  target: 'node20',
  platform: 'neutral',
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
  treeshake: true,
  // Keep `node:` specifiers as written and external (they appear only in the Node-only entries; the
  // core entry stays runtime-neutral, which test/package/exports.test.ts checks).
  removeNodeProtocol: false,
  external: [/^node:/],
  // The runtime dependencies are bundled into the chunks, tree-shaken: Node then loads a handful of files
  // instead of a few hundred (zod's core alone loads every locale), and resolves ofetch's runtime-neutral
  // build rather than its Node build with node-fetch-native. bench/package.ts measures the cold import.
  noExternal: BUNDLED_DEPENDENCIES,
  esbuildPlugins: [ofetchCreateFetchOnly, thirdPartyLicenses],
  // Source maps map stack traces back to src/ (node --enable-source-maps) without embedding the sources:
  // the sources are in the repository (bench/package.ts reports the tarball).
  esbuildOptions(options) {
    options.sourcesContent = false;
  },
});
