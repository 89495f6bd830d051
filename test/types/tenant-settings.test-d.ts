import { describe, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type {
  ResolvedTenantSettings,
  TenantSettings,
  TenantSettingsSchema,
} from '../../src/registry/tenant-settings.js';

describe('TenantSettings', () => {
  it('the documented interface is exactly what the schema accepts', () => {
    expectTypeOf<z.input<typeof TenantSettingsSchema>>().toEqualTypeOf<TenantSettings>();
  });

  it('resolved settings are exactly what the schema returns, every default filled in', () => {
    expectTypeOf<z.output<typeof TenantSettingsSchema>>().toEqualTypeOf<ResolvedTenantSettings>();
    expectTypeOf<ResolvedTenantSettings['lookup']['order']>().toEqualTypeOf<
      ('Contacts' | 'Leads' | 'Accounts')[]
    >();
    expectTypeOf<ResolvedTenantSettings['enabled']>().toEqualTypeOf<boolean>();
  });
});
