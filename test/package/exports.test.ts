import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Runs after `npm run build` (`npm run test:package`): imports every subpath of the built package by name,
// as a user would, and checks that the core entry stays free of node: imports.
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  name: string;
  exports: Record<string, unknown>;
};

describe('the built package', () => {
  it('every export subpath resolves and loads', async () => {
    for (const subpath of Object.keys(pkg.exports)) {
      if (subpath === './package.json') continue;
      const specifier = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
      const mod = (await import(specifier)) as Record<string, unknown>;
      expect(Object.keys(mod).length, specifier).toBeGreaterThan(0);
    }
  });

  it('the core entry exposes the public contract', async () => {
    const core = (await import(pkg.name)) as Record<string, unknown>;
    for (const name of [
      'ZohoCrmConnector',
      'createMemoryStore',
      'createConnectorRegistry',
      'createMemorySettingsStore',
      'tenantSettingsSchema',
      'tenantSettingsJsonSchema',
      'isZohoCrmError',
      'ErrorCode',
      'AuthError',
      'REGIONS',
      'toE164',
    ]) {
      expect(core[name], name).toBeDefined();
    }
  });

  it('one ZohoCrmError class is shared by every entry (instanceof works across subpaths)', async () => {
    const core = (await import(pkg.name)) as { ZohoCrmError: new (...args: never[]) => Error };
    const file = (await import(`${pkg.name}/stores/file`)) as { createFileStore: (o: unknown) => unknown };
    let thrown: unknown;
    try {
      file.createFileStore({ path: '/tmp/x', encryptionKey: 'short' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(core.ZohoCrmError);
  });

  it('the Postgres entry exports its stores and migrate, and loads without pg installed in it', async () => {
    const postgres = (await import(`${pkg.name}/stores/postgres`)) as Record<string, unknown>;
    for (const name of ['createPostgresStore', 'createPostgresJournalStore', 'migrate']) {
      expect(typeof postgres[name], name).toBe('function');
    }
    const code = readFileSync(new URL('../../dist/stores/postgres.js', import.meta.url), 'utf8');
    expect(code).not.toMatch(/from\s*["']pg["']/);
  });

  it('the core entry and its chunks import nothing from node:', () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const code = readFileSync(new URL(`../../dist/${file}`, import.meta.url), 'utf8');
      expect(code, file).not.toMatch(/from\s*["']node:|import\(["']node:|require\(["']node:/);
      for (const [, chunk] of code.matchAll(/from\s*["']\.\/([^"']+)["']/g)) visit(chunk as string);
    };
    visit('index.js');
    expect(seen.size).toBeGreaterThan(0);
  });

  it('importing the core and creating a connector load neither undici (fetch) nor node:crypto before they are used, and a read loads no undici', () => {
    // A fresh process: this one has long loaded both. Node loads undici when fetch is first called,
    // node:crypto when asked for it; each costs milliseconds that a host which has not used them yet
    // should not pay at start-up. A read goes over node:http; a write with a body is what calls fetch.
    const script = `
      const { ZohoCrmConnector, createMemoryStore } = await import(${JSON.stringify(pkg.name)});
      const tokenStore = createMemoryStore();
      await tokenStore.set('c', { accessToken: 'a', refreshToken: 'r', expiresAt: Date.now() + 3_600_000,
        apiDomain: 'https://www.zohoapis.com', accountsServer: 'https://accounts.zoho.com', region: 'US', authorizedAt: Date.now() });
      const zoho = new ZohoCrmConnector({ connectionId: 'c', clientId: 'id', clientSecret: 'secret',
        redirectUri: 'https://pbx.example.com/cb', tokenStore, endpoints: { apiUrl: 'http://127.0.0.1:9' },
        http: { retries: 0 } });
      const loaded = (name) => process.moduleLoadList.some((m) => m.includes(name));
      const before = { undici: loaded('undici'), crypto: loaded('crypto') };
      // Port 9 refuses the connection: each request fails, but only after it was sent.
      await zoho.request({ method: 'GET', path: '/crm/v8/users' }).catch(() => undefined);
      const afterRead = loaded('undici');
      await zoho.request({ method: 'POST', path: '/crm/v8/Calls', body: { data: [] } }).catch(() => undefined);
      const afterWrite = loaded('undici');
      await zoho.close();
      process.stdout.write(JSON.stringify({ before, afterRead, afterWrite }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual({
      before: { undici: false, crypto: false },
      afterRead: false,
      afterWrite: true,
    });
  });
});
