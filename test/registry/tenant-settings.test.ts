import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { ConfigError } from '../../src/errors.js';
import { parseConnectorOptions } from '../../src/options.js';
import { REGION_CODES } from '../../src/regions.js';
import {
  assertTenantId,
  connectorOptionsFromSettings,
  parseTenantSettings,
  TENANT_ID_PATTERN,
  type TenantSettings,
  TenantSettingsSchema,
  tenantSettingsJsonSchema,
  tenantSettingsSchema,
} from '../../src/registry/tenant-settings.js';

const MINIMAL: TenantSettings = { clientId: '1000.ABC', clientSecret: 'tenant-secret-value' };

describe('TenantSettings', () => {
  it('fills in the seed form defaults', () => {
    expect(parseTenantSettings('t', MINIMAL)).toEqual({
      enabled: true,
      clientId: '1000.ABC',
      clientSecret: 'tenant-secret-value',
      region: 'US',
      edition: 'Standard',
      lookup: { order: ['Contacts', 'Leads', 'Accounts'], query: 'always', defaultCountry: 'US' },
      journal: { enabled: true, recordingLink: 'private', transcriptionLink: 'private' },
      createRecords: { enabled: true, type: 'Contacts' },
    });
    expect(tenantSettingsSchema.parse(MINIMAL)).toEqual(parseTenantSettings('t', MINIMAL));
  });

  it('names the tenant and every bad path, never a value; unknown keys are errors', () => {
    const secret = 'a-very-secret-value-here';
    let error: ConfigError | undefined;
    try {
      parseTenantSettings('tenant-5', {
        clientId: '',
        clientSecret: secret,
        region: secret,
        lookup: { order: ['Leads', 'Leads'], defaultCountry: 'XX' },
        journal: { recordingLink: secret },
        createRecords: { type: 'Deals' },
        clientSecretTypo: secret,
      });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toContain('settings of tenant "tenant-5"');
    expect(error?.issues.map((i) => i.path).sort()).toEqual([
      '',
      'clientId',
      'createRecords.type',
      'journal.recordingLink',
      'lookup.defaultCountry',
      'lookup.order',
      'region',
    ]);
    expect(JSON.stringify(error)).not.toContain(secret);
    expect(error?.message).not.toContain(secret);
  });

  it('the written-out JSON Schema is exactly what zod generates from the schema, key order included', () => {
    const generated = z.toJSONSchema(TenantSettingsSchema, { io: 'input', target: 'draft-2020-12' });
    expect(tenantSettingsJsonSchema).toStrictEqual(generated);
    expect(JSON.stringify(tenantSettingsJsonSchema)).toBe(JSON.stringify(generated));
  });

  it('the JSON Schema comes from the zod schema: titles, defaults, enums, the secret write-only', () => {
    const schema = tenantSettingsJsonSchema as {
      $schema: string;
      required: string[];
      additionalProperties: boolean;
      properties: Record<
        string,
        Record<string, unknown> & { properties?: Record<string, Record<string, unknown>> }
      >;
    };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.required.sort()).toEqual(['clientId', 'clientSecret']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.clientSecret).toMatchObject({
      type: 'string',
      writeOnly: true,
      title: 'Client Secret',
    });
    expect(schema.properties.clientId?.writeOnly).toBeUndefined();
    expect(schema.properties.region).toMatchObject({
      enum: REGION_CODES,
      default: 'US',
      title: 'Zoho Region',
    });
    expect(schema.properties.lookup?.properties?.order).toMatchObject({
      type: 'array',
      uniqueItems: true,
      default: ['Contacts', 'Leads', 'Accounts'],
      title: 'Contact Lookup Order',
    });
    expect(schema.properties.lookup?.properties?.query).toMatchObject({
      enum: ['always', 'whenNotFoundInPbx'],
    });
    expect(schema.properties.journal?.properties?.recordingLink).toMatchObject({
      enum: ['private', 'public', 'none'],
      default: 'private',
    });
    expect(schema.properties.createRecords?.properties?.type).toMatchObject({ enum: ['Contacts', 'Leads'] });
    expect(schema.properties.enabled).toMatchObject({ type: 'boolean', default: true });
    expect(Object.isFrozen(tenantSettingsJsonSchema)).toBe(true);
    // Every field of the form is in the schema (nothing hand-maintained twice).
    expect(Object.keys(schema.properties).sort()).toEqual(
      Object.keys(parseTenantSettings('t', MINIMAL)).sort(),
    );
  });
});

describe('connectorOptionsFromSettings', () => {
  const shared = {
    redirectUri: 'https://pbx.example.com/api/auth/callback/zoho',
    stateSecret: 'state-secret-0123456789abcdef',
    lookup: { timeoutMs: 900, query: 'always' as const },
    journal: { agents: { '201': '42' }, recordingLink: 'none' as const },
    createRecords: { leadSource: 'Phone' },
    http: { retries: 1 },
  };

  it('maps the form onto connector options; the tenant wins on its fields, shared options stay', () => {
    const settings: TenantSettings = {
      ...MINIMAL,
      region: 'EU',
      edition: 'Enterprise',
      lookup: { order: ['Leads'], defaultCountry: 'de' },
      journal: { recordingLink: 'private', transcriptionLink: 'none' },
      createRecords: { type: 'Leads' },
    };
    const before = JSON.stringify({ settings, shared });
    const options = connectorOptionsFromSettings('tenant-9', settings, shared);
    expect(JSON.stringify({ settings, shared })).toBe(before); // pure: inputs untouched
    expect(options).toEqual({
      ...shared,
      connectionId: 'tenant-9',
      clientId: '1000.ABC',
      clientSecret: 'tenant-secret-value',
      region: 'EU',
      edition: 'Enterprise',
      lookup: { timeoutMs: 900, order: ['Leads'], query: 'always', defaultCountry: 'de' },
      journal: {
        agents: { '201': '42' },
        enabled: true,
        recordingLink: 'private',
        transcriptionLink: 'none',
      },
      createRecords: { leadSource: 'Phone', enabled: true, type: 'Leads' },
    });
    expect(parseConnectorOptions(options).lookup.defaultCountry).toBe('DE');
  });

  it('throws the settings ConfigError naming the tenant', () => {
    expect(() => connectorOptionsFromSettings('t-1', { clientId: 'x' } as TenantSettings, shared)).toThrow(
      /settings of tenant "t-1": clientSecret/,
    );
  });
});

describe('tenant ids', () => {
  it.each(['tenant-42', 'a', 'A.b_c-d@e:f', 'x'.repeat(100), '42'])('accepts %j', (id) => {
    expect(TENANT_ID_PATTERN.test(id)).toBe(true);
    expect(() => assertTenantId(id)).not.toThrow();
  });
  it.each(['', '../x', 'a/b', 'a\\b', 'a b', 'a\u0007', '-lead', '.hidden', 'x'.repeat(101), 'é'])(
    'refuses %j with a ConfigError that does not echo it',
    (id) => {
      expect(() => assertTenantId(id)).toThrow(ConfigError);
      try {
        assertTenantId(id);
      } catch (error) {
        if (id.length > 2) expect((error as Error).message).not.toContain(id);
      }
    },
  );
});
