import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// What a user gets from `npm install zoho-crm-connector`: the packed tarball installed into an empty
// project (dependencies from the registry, or npm's cache when it has them), then every subpath
// imported by name and the emulator started and stopped, in a plain Node process.
const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, unknown>;
  bin: Record<string, string>;
  devDependencies: Record<string, string>;
};
/** Zoho's official SDK: a devDependency for bench/official-sdk.ts only. */
const OFFICIAL_SDK = '@zohocrm/typescript-sdk-8.0';
const work = mkdtempSync(join(tmpdir(), 'zcc-tarball-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const run = (command: string, args: string[], cwd: string) =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('the packed tarball installed into an empty project', () => {
  it('imports every subpath by name and starts and stops the emulator', () => {
    const [packed] = JSON.parse(
      run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], root),
    ) as Array<{ filename: string; files: Array<{ path: string }> }>;
    if (!packed) throw new Error('npm pack reported no tarball');
    // Only the built package ships: no sources, tests or docs.
    expect(
      packed.files.every((file) => /^(dist\/|package\.json$|README\.md$|LICENSE$)/.test(file.path)),
    ).toBe(true);

    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    // msw is the optional peer that `zoho-crm-connector/testing/msw` needs; the user installs it beside.
    run(
      'npm',
      [
        'install',
        join(work, packed.filename),
        `msw@${pkg.devDependencies.msw}`,
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--no-package-lock',
      ],
      app,
    );

    // Source maps ship without the sources embedded (they map stack traces to src/ paths only), and the
    // official Zoho SDK, a devDependency of the benchmark, is not installed with the package.
    const installed = join(app, 'node_modules', pkg.name);
    const maps = readdirSync(join(installed, 'dist'), { recursive: true, encoding: 'utf8' }).filter((file) =>
      file.endsWith('.map'),
    );
    expect(maps.length).toBeGreaterThan(0);
    for (const map of maps) {
      const parsed = JSON.parse(readFileSync(join(installed, 'dist', map), 'utf8')) as Record<
        string,
        unknown
      >;
      expect(parsed.sources, map).toBeDefined();
      expect(parsed.sourcesContent, map).toBeUndefined();
    }
    // The dependencies bundled into dist/ carry their licences with them.
    const notices = readFileSync(join(installed, 'dist', 'THIRD-PARTY-LICENSES.md'), 'utf8');
    for (const bundled of ['zod', 'libphonenumber-js', 'ofetch', 'p-retry']) {
      expect(notices, bundled).toMatch(new RegExp(`^## ${bundled}@\\d+\\.\\d+\\.\\d+ \\(MIT\\)$`, 'm'));
    }
    expect(notices).toContain('Permission is hereby granted');
    expect(pkg.devDependencies[OFFICIAL_SDK]).toBeDefined();
    expect(existsSync(join(app, 'node_modules', OFFICIAL_SDK))).toBe(false);

    const subpaths = Object.keys(pkg.exports)
      .filter((subpath) => subpath !== './package.json')
      .map((subpath) => (subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`));
    writeFileSync(
      join(app, 'check.mjs'),
      `const loaded = {};
for (const specifier of ${JSON.stringify(subpaths)}) loaded[specifier] = Object.keys(await import(specifier)).length;
const { startZohoEmulator } = await import('${pkg.name}/testing');
const emulator = await startZohoEmulator();
const health = await fetch(emulator.apiUrl + '/crm/v8/Contacts');
await emulator.close();
console.log(JSON.stringify({ loaded, status: health.status }));
`,
    );
    const report = JSON.parse(run(process.execPath, ['check.mjs'], app)) as {
      loaded: Record<string, number>;
      status: number;
    };
    for (const specifier of subpaths) expect(report.loaded[specifier], specifier).toBeGreaterThan(0);
    // The emulator answered over real HTTP (401: no token sent, exactly as Zoho would).
    expect(report.status).toBe(401);

    // The Docker image's command, as the Dockerfile writes it (ENTRYPOINT + CMD), from this install: it
    // serves, answers /healthz, and stops cleanly on SIGTERM.
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
    expect(entrypoint[0]).toBe('node');
    const script = (entrypoint[1] as string).replace('/app/', `${app}/`);
    const args = cmd.map((arg) =>
      arg === '/data' ? join(work, 'data') : arg === '0.0.0.0' ? '127.0.0.1' : arg,
    );
    args[args.indexOf('--port') + 1] = '0';
    const served = execFileSync(
      'bash',
      [
        '-c',
        `node "$0" "$@" > "${join(work, 'serve.log')}" 2>&1 & pid=$!
         for i in $(seq 1 100); do grep -q listening "${join(work, 'serve.log')}" && break; sleep 0.1; done
         url=$(grep -o '"url":"[^"]*"' "${join(work, 'serve.log')}" | head -1 | cut -d'"' -f4)
         curl -fsS "$url/healthz"; kill -TERM $pid; wait $pid; echo " exit=$?"`,
        script,
        ...args,
      ],
      { cwd: app, encoding: 'utf8', env: { ...process.env, PBX_API_KEY: 'docker-api-key-0123456789abcdef' } },
    );
    expect(served.trim()).toBe('{"ok":true} exit=0');

    // The installed executables are there and answer --help.
    for (const name of Object.keys(pkg.bin)) {
      expect(run(join(app, 'node_modules', '.bin', name), ['--help'], app).length, name).toBeGreaterThan(0);
    }
  });
});
