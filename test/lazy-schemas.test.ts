import { describe, expect, it, vi } from 'vitest';

// Importing the package must not build zod schemas: building them at import took 76 → 60 ms off a cold
// import of dist/index.js when they became lazy (21 fresh processes each, interleaved). Every schema of
// the core is a `z.lazy()`, built on first parse. Here every zod factory (also those of the `iso`,
// `coerce` and `z` namespaces) is counted while the core entry is imported; z.lazy() itself is free.
const built: string[] = [];

type Exports = Record<string, unknown>;

/** A copy of `exports` whose factories (lower-case functions) record their calls in `built`. */
function counting(exports: Exports, prefix: string): Exports {
  const counted: Exports = {};
  for (const [name, value] of Object.entries(exports)) {
    // Classes (ZodMiniObject) and `core` pass; so do z.config (settings, no schema) and z.lazy.
    const factory =
      typeof value === 'function' && /^_?[a-z]/.test(name) && name !== 'lazy' && name !== 'config';
    counted[name] = factory
      ? (...args: unknown[]) => {
          built.push(`${prefix}${name}`);
          return (value as (...a: unknown[]) => unknown)(...args);
        }
      : value;
  }
  return counted;
}

vi.mock('zod/mini', async (importOriginal) => {
  const real = (await importOriginal()) as Exports;
  const counted = counting(real, 'z.');
  for (const space of ['iso', 'coerce', 'z'])
    counted[space] = counting(real[space] as Exports, `z.${space}.`);
  return counted;
});

describe('importing the core entry', () => {
  it('builds no zod schema until one is used', async () => {
    const core = await import('../src/index.js');
    expect(built).toEqual([]);

    // The schemas are still there: the first parse builds them.
    const settings = core.parseTenantSettings('t1', { clientId: 'id', clientSecret: 'secret' });
    expect(settings.lookup.order).toEqual(['Contacts', 'Leads', 'Accounts']);
    expect(built.length).toBeGreaterThan(0);
  });
});
