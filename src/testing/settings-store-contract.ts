/**
 * The behavioural contract every {@link SettingsStore} meets, as one framework-neutral async function:
 * the built-in stores run it in their tests, and so can yours.
 *
 * @module
 */
import { ConfigError, isZohoCrmError } from '../errors.js';
import { parseTenantSettings, type TenantSettings } from '../registry/tenant-settings.js';
import type { SettingsStore } from '../stores/settings-types.js';

/**
 * Options of {@link assertSettingsStoreContract}.
 * @example
 * ```ts
 * const options: SettingsStoreContractOptions = { shared: true, idPrefix: 'ci-run-7-' };
 * ```
 * @group Testing
 */
export interface SettingsStoreContractOptions {
  /**
   * Whether two stores returned by `makeStore` share their data (two processes on one directory or one
   * Redis prefix); then the suite also checks that one reads and lists what the other wrote.
   * @default false
   */
  shared?: boolean;
  /**
   * Prefix of every tenant id the suite uses (keep it short: ids are at most 100 characters), so that
   * runs against a shared backend never collide. Everything the suite writes is deleted at the end.
   * @default `contract-<random>-`
   */
  idPrefix?: string;
}

/**
 * Checks that a settings store behaves as the registry and the PBX service expect, and throws an
 * `Error` naming the first rule it breaks.
 *
 * Rules: `get` of an unknown tenant resolves to `undefined`; `set` then `get` returns the settings with
 * every default filled in (what `parseTenantSettings` returns); `set` replaces (no merging); `delete`
 * removes and is idempotent; `list` returns every stored id, sorted, and none that was deleted; tenants
 * are isolated, including ids that differ only in letter case and ids with `.`, `_`, `-`, `@`, `:` and
 * 100 characters; returned objects are copies, and so are stored ones; invalid settings are refused
 * with a `ConfigError` that echoes no value, and store nothing; ids outside `TENANT_ID_PATTERN` (path
 * separators, control characters) are refused with a `ConfigError` by every method.
 *
 * @param makeStore - Returns a store to test; called twice with `shared: true`.
 * @param options - See {@link SettingsStoreContractOptions}.
 * @throws `Error` `SettingsStore contract: <rule>: <what happened>`.
 * @example
 * ```ts
 * import { it } from 'vitest';
 * import { assertSettingsStoreContract } from 'zoho-crm-connector/testing';
 *
 * it('meets the SettingsStore contract', () => assertSettingsStoreContract(() => createPostgresSettingsStore({ pool })));
 * ```
 * @group Testing
 */
export async function assertSettingsStoreContract(
  makeStore: () => SettingsStore | Promise<SettingsStore>,
  options: SettingsStoreContractOptions = {},
): Promise<void> {
  const prefix = options.idPrefix ?? `contract-${globalThis.crypto.randomUUID().slice(0, 8)}-`;
  const used = new Set<string>();
  const id = (name: string): string => {
    const full = `${prefix}${name}`.slice(0, 100);
    used.add(full);
    return full;
  };
  const store = await makeStore();
  const other = options.shared ? await makeStore() : store;
  try {
    await checkReadWrite(store, other, id);
    await checkIsolation(store, id);
    await checkList(store, other, id, prefix);
    await checkRefusals(store, id);
  } finally {
    await Promise.allSettled([...used].map((tenant) => store.delete(tenant)));
  }
}

// --- Internal helpers ---

const SECRET = 'contract-client-secret-value-0123';
const FULL: TenantSettings = {
  enabled: false,
  clientId: '1000.CONTRACT',
  clientSecret: SECRET,
  region: 'EU',
  edition: 'Enterprise',
  lookup: { order: ['Leads', 'Contacts'], query: 'whenNotFoundInPbx', defaultCountry: 'DE' },
  journal: { enabled: false, recordingLink: 'public', transcriptionLink: 'none' },
  createRecords: { enabled: false, type: 'Leads' },
};
const MINIMAL: TenantSettings = { clientId: '1000.MINIMAL', clientSecret: 'minimal-secret-value' };

class ContractViolation extends Error {}

async function rule(name: string, check: () => Promise<void>): Promise<void> {
  try {
    await check();
  } catch (error) {
    if (error instanceof ContractViolation)
      throw new Error(`SettingsStore contract: ${name}: ${error.message}`);
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new Error(`SettingsStore contract: ${name}: the store threw ${detail}`, { cause: error });
  }
}

function fail(message: string): never {
  throw new ContractViolation(message);
}

function same(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(sorted(actual));
  const e = JSON.stringify(sorted(expected));
  if (a !== e) fail(`${what}: expected ${redact(e)}, got ${redact(a)}`);
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sorted((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

const redact = (text: string) => text.split(SECRET).join('[secret]');

async function checkReadWrite(store: SettingsStore, other: SettingsStore, id: (n: string) => string) {
  const tenant = id('rw');
  await rule('get of an unknown tenant resolves to undefined', async () => {
    const found = await store.get(id('unknown'));
    if (found !== undefined) fail('got a value');
  });
  await rule('set then get returns the settings with defaults filled in', async () => {
    await store.set(tenant, structuredClone(FULL));
    same(await other.get(tenant), parseTenantSettings(tenant, FULL), 'full settings');
    const minimal = id('minimal');
    await store.set(minimal, structuredClone(MINIMAL));
    same(await other.get(minimal), parseTenantSettings(minimal, MINIMAL), 'minimal settings');
  });
  await rule('set replaces, never merges', async () => {
    await store.set(tenant, structuredClone(MINIMAL));
    same(await other.get(tenant), parseTenantSettings(tenant, MINIMAL), 'after replacing');
  });
  await rule('returned and stored objects are copies', async () => {
    const input = structuredClone(FULL) as Required<TenantSettings>;
    await store.set(tenant, input);
    input.lookup.order?.push('Accounts');
    input.clientId = 'changed-after-set';
    const first = (await store.get(tenant)) as Required<TenantSettings>;
    first.lookup.order?.pop();
    first.clientId = 'changed-after-get';
    same(await store.get(tenant), parseTenantSettings(tenant, FULL), 'after mutating the input and a result');
  });
  await rule('delete removes and is idempotent', async () => {
    await store.delete(tenant);
    if ((await other.get(tenant)) !== undefined) fail('get still returns the deleted tenant');
    await store.delete(tenant);
    await store.delete(id('never-stored'));
  });
}

async function checkIsolation(store: SettingsStore, id: (n: string) => string) {
  await rule('tenants are isolated (letter case, punctuation, 100 characters)', async () => {
    const ids = [id('Case'), id('case'), id('a.b_c-d@e:f'), id('a.b_c-d@e-f'), id(`long-${'x'.repeat(100)}`)];
    if (new Set(ids).size !== ids.length) fail('the suite built colliding ids (shorten idPrefix)');
    for (const [index, tenant] of ids.entries()) {
      await store.set(tenant, { ...MINIMAL, clientId: `1000.TENANT${index}` });
    }
    for (const [index, tenant] of ids.entries()) {
      const found = await store.get(tenant);
      if (found?.clientId !== `1000.TENANT${index}`) fail(`tenant #${index} reads another tenant's settings`);
    }
  });
}

async function checkList(
  store: SettingsStore,
  other: SettingsStore,
  id: (n: string) => string,
  prefix: string,
) {
  await rule('list returns every stored id, sorted, and no deleted one', async () => {
    const names = [id('list-b'), id('list-a'), id('list-c')];
    for (const tenant of names) await store.set(tenant, MINIMAL);
    await store.delete(names[2] as string);
    const listed = (await other.list()).filter((tenant) => tenant.startsWith(`${prefix}list-`));
    same(listed, [names[1], names[0]], 'listed ids');
    const all = await other.list();
    same(all, [...all].sort(), 'the whole list in sorted order');
  });
}

async function checkRefusals(store: SettingsStore, id: (n: string) => string) {
  const tenant = id('refusals');
  await rule(
    'invalid settings are refused with a ConfigError that echoes no value, and store nothing',
    async () => {
      await store.set(tenant, MINIMAL);
      const bad = { ...FULL, region: SECRET, lookup: { order: [] } } as unknown as TenantSettings;
      const error = await store.set(tenant, bad).then(
        () => fail('set accepted invalid settings'),
        (e: unknown) => e,
      );
      if (!(error instanceof ConfigError) && !(isZohoCrmError(error) && error.code === 'CONFIG_INVALID')) {
        fail(`set rejected with ${String((error as Error)?.name)} instead of a ConfigError`);
      }
      if (JSON.stringify(error).includes(SECRET) || String((error as Error).message).includes(SECRET)) {
        fail('the error echoes a value');
      }
      same(await store.get(tenant), parseTenantSettings(tenant, MINIMAL), 'settings after a refused set');
    },
  );
  await rule('ids outside TENANT_ID_PATTERN are refused with a ConfigError', async () => {
    for (const bad of ['../escape', 'a/b', 'a\\b', 'tab\there', 'nul\u0000', '', ' lead', 'x'.repeat(101)]) {
      for (const [name, run] of [
        ['get', () => store.get(bad)],
        ['set', () => store.set(bad, MINIMAL)],
        ['delete', () => store.delete(bad)],
      ] as const) {
        const error = await run().then(
          () => undefined,
          (e: unknown) => e,
        );
        if (!(isZohoCrmError(error) && error.code === 'CONFIG_INVALID')) {
          fail(`${name}(${JSON.stringify(bad)}) was not refused with a ConfigError`);
        }
      }
    }
  });
}
