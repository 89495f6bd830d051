/**
 * An esbuild plugin for the tsup build: the dependencies bundled into dist/ are listed, with their
 * version and licence text, in dist/THIRD-PARTY-LICENSES.md (their licences ask that the notice travels
 * with every copy of the code). The list comes from the build's own metafile, so it always names
 * exactly the packages whose code is inside dist/, transitive ones included.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Plugin } from 'esbuild';

/** The package root of a bundled input path (`node_modules/<name>` or `node_modules/@scope/<name>`). */
function packageRoot(input: string): string | undefined {
  const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
  return match?.[1];
}

function licenceText(root: string): string {
  const file = readdirSync(root).find((name) => /^(licen[cs]e|copying)(\.|$)/i.test(name));
  return file ? readFileSync(join(root, file), 'utf8').trim() : '(no licence file in the package)';
}

export const thirdPartyLicenses: Plugin = {
  name: 'third-party-licenses',
  setup(build) {
    build.initialOptions.metafile = true;
    build.onEnd((result) => {
      if (!result.metafile || result.errors.length > 0) return;
      const cwd = process.cwd();
      const roots = new Set<string>();
      for (const input of Object.keys(result.metafile.inputs)) {
        const root = packageRoot(input);
        if (root) roots.add(resolve(cwd, root));
      }
      const sections = [...roots]
        .filter((root) => existsSync(join(root, 'package.json')))
        .map((root) => {
          const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
            name: string;
            version: string;
            license?: string;
          };
          return {
            title: `${pkg.name}@${pkg.version} (${pkg.license ?? 'see below'})`,
            text: licenceText(root),
          };
        })
        .sort((a, b) => a.title.localeCompare(b.title));
      const lines = [
        '# Third-party code in dist/',
        '',
        'These packages are bundled (tree-shaken) into the files of dist/. Their licences follow.',
        '',
        ...sections.flatMap(({ title, text }) => [`## ${title}`, '', '```text', text, '```', '']),
      ];
      const outdir = build.initialOptions.outdir ?? dirname(build.initialOptions.outfile ?? 'dist/index.js');
      // tsup writes the bundles itself after this hook: on a clean checkout dist/ does not exist yet.
      const target = resolve(cwd, outdir);
      mkdirSync(target, { recursive: true });
      writeFileSync(join(target, 'THIRD-PARTY-LICENSES.md'), lines.join('\n'));
    });
  },
};
