import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

/**
 * Every build entry, keyed by its path under dist/. Each one must appear in package.json "exports"
 * and every export must be built: the check below fails the build when the two disagree.
 */
const entry = {
  index: 'src/index.ts',
  'stores/file': 'src/stores/file.ts',
  'stores/redis': 'src/stores/redis.ts',
} as const;

function assertExportsMatchEntries(): void {
  const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
    exports: Record<string, string | { types: string; default: string }>;
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
  const entries = new Set(Object.keys(entry));
  const missing = [...entries].filter((name) => !exported.has(name));
  const unbuilt = [...exported].filter((name) => !entries.has(name));
  if (missing.length > 0 || unbuilt.length > 0) {
    throw new Error(
      `tsup entries and package.json exports disagree: entries not exported [${missing.join(', ')}], exports not built [${unbuilt.join(', ')}]`,
    );
  }
}

assertExportsMatchEntries();

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
});
