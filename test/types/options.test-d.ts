import type { Cluster, Redis } from 'ioredis';
import { describe, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type { SharedCacheClient } from '../../src/lookup/shared-cache-types.js';
import type {
  ConnectorOptions,
  ConnectorOptionsSchema,
  ResolvedConnectorOptions,
} from '../../src/options.js';

describe('ConnectorOptions', () => {
  it('the documented interface is exactly what the schema accepts', () => {
    expectTypeOf<z.input<typeof ConnectorOptionsSchema>>().toEqualTypeOf<ConnectorOptions>();
  });

  it('resolved options have every default filled in', () => {
    expectTypeOf<ResolvedConnectorOptions['lookup']['order']>().toEqualTypeOf<
      ('Contacts' | 'Leads' | 'Accounts')[]
    >();
    expectTypeOf<ResolvedConnectorOptions['region']>().toEqualTypeOf<
      'US' | 'EU' | 'IN' | 'AU' | 'CN' | 'JP' | 'CA' | 'SA' | 'UK'
    >();
    expectTypeOf<ResolvedConnectorOptions['http']['timeoutMs']>().toEqualTypeOf<number>();
  });
});

describe('lookup.sharedCache', () => {
  it('takes an ioredis Redis or Cluster client as it is', () => {
    expectTypeOf<Redis>().toExtend<SharedCacheClient>();
    expectTypeOf<Cluster>().toExtend<SharedCacheClient>();
  });
});
