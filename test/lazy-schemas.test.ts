import { describe, expect, it, vi } from 'vitest';

// Importing the package must not build zod schemas: building them was about a fifth of a cold import
// (docs/performance.md, "cold import"). Every schema of the core is a `z.lazy()`, built on first parse.
// Here every zod factory is counted while the core entry is imported; z.lazy() itself is free to call.
const built: string[] = [];

vi.mock('zod/mini', async (importOriginal) => {
  const real = (await importOriginal()) as Record<string, unknown>;
  const counted: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(real)) {
    // Factories are lower-case functions (z.string, z.object…); classes (ZodMiniObject), `core`, z.config
    // (settings, no schema) and z.lazy itself pass uncounted.
    const factory =
      typeof value === 'function' && /^_?[a-z]/.test(name) && name !== 'lazy' && name !== 'config';
    counted[name] = factory
      ? (...args: unknown[]) => {
          built.push(name);
          return (value as (...a: unknown[]) => unknown)(...args);
        }
      : value;
  }
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
