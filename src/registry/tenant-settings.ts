/**
 * `TenantSettings`: the seed's per-tenant admin form (Integrations > CRM) as data, its zod schema, the
 * JSON Schema generated from it (for admin UIs in any language), the tenant id rule, and the pure
 * mapping onto {@link ConnectorOptions}.
 *
 * @module
 */
import * as z from 'zod/mini';
import { EDITION_NAMES, type Edition } from '../editions.js';
import { ConfigError } from '../errors.js';
import { type ConnectorOptions, configErrorFromIssues, countryCode, type LookupModule } from '../options.js';
import { REGION_CODES, type RegionCode } from '../regions.js';

/**
 * One tenant's Zoho CRM settings, as its admin enters them (the seed's Integrations > CRM form).
 * Everything but the client credentials has a default.
 * @example
 * ```ts
 * const settings: TenantSettings = {
 *   clientId: '1000.ABC123',
 *   clientSecret: process.env.TENANT_42_ZOHO_SECRET!,
 *   region: 'EU',
 *   edition: 'Enterprise',
 *   lookup: { order: ['Contacts', 'Leads', 'Accounts'], query: 'always', defaultCountry: 'DE' },
 *   journal: { enabled: true, recordingLink: 'private', transcriptionLink: 'private' },
 *   createRecords: { enabled: true, type: 'Leads' },
 * };
 * ```
 * @group Registry
 */
export interface TenantSettings {
  /**
   * CRM is enabled for this tenant (the seed's Tenants > Features > CRM). A disabled tenant gets no
   * connector and its callbacks are refused.
   * @default true
   */
  enabled?: boolean;
  /** Client ID of the tenant's Zoho server-based client (or the PBX's shared client). */
  clientId: string;
  /** Client secret of that client. Write-only in the JSON Schema; never logged or echoed. */
  clientSecret: string;
  /**
   * Data centre the admin picked ("Zoho Region"); the OAuth callback's accounts server wins over it.
   * @default 'US'
   */
  region?: RegionCode;
  /**
   * Zoho CRM edition of the tenant's org (concurrency and credit limits).
   * @default 'Standard'
   */
  edition?: Edition;
  /** "Contact Lookup Order" and "Query CRM". */
  lookup?: {
    /** Modules to search, highest priority first. @default ['Contacts', 'Leads', 'Accounts'] */
    order?: LookupModule[];
    /** When to query Zoho. `'whenNotFoundInPbx'` needs the host's `pbxContacts`. @default 'always' */
    query?: 'always' | 'whenNotFoundInPbx';
    /** ISO 3166-1 alpha-2 country for numbers dialled without a country code. @default 'US' */
    defaultCountry?: string;
  };
  /** "Log Calls as Activities" and the recording and transcription links. */
  journal?: {
    /** Log trunk calls as Zoho Calls activities. @default true */
    enabled?: boolean;
    /** Private (PBX sign-in), public (signed, needs the host's `publicLinks`) or no recording link. @default 'private' */
    recordingLink?: 'private' | 'public' | 'none';
    /** The same choice for AI transcription links. @default 'private' */
    transcriptionLink?: 'private' | 'public' | 'none';
  };
  /** "Create Contacts for New Numbers". */
  createRecords?: {
    /** Allow agents to create CRM records for unknown numbers. @default true */
    enabled?: boolean;
    /** Module of new records. @default 'Contacts' */
    type?: 'Contacts' | 'Leads';
  };
}

/**
 * Tenant settings after validation, every default filled in.
 * @example
 * ```ts
 * const resolved: ResolvedTenantSettings = parseTenantSettings('tenant-42', { clientId, clientSecret });
 * resolved.region; // 'US'
 * ```
 * @group Registry
 */
export type ResolvedTenantSettings = {
  [K in keyof TenantSettings]-?: Exclude<TenantSettings[K], undefined> extends infer V
    ? V extends readonly unknown[] | string | boolean
      ? V
      : { [P in keyof V]-?: Exclude<V[P], undefined> }
    : never;
};

const linkPolicy = () => z.enum(['private', 'public', 'none']);
/** A schema with JSON Schema metadata (a title, say), as classic zod's `.meta()` attaches it. */
const titled = <T extends z.ZodMiniType>(schema: T, meta: z.core.GlobalMeta): T => schema.check(z.meta(meta));
const trimmed = (max: number) => z.string().check(z.trim(), z.minLength(1), z.maxLength(max));
const flag = (title: string) => titled(z._default(z.boolean(), true), { title });

/**
 * The zod schema itself, for the type test that keeps {@link TenantSettings} equal to what it accepts.
 * @internal
 */
export const TenantSettingsSchema = z.lazy(() =>
  z.strictObject({
    enabled: flag('CRM enabled for this tenant'),
    clientId: titled(trimmed(200), { title: 'Client ID' }),
    clientSecret: titled(trimmed(1_000), { title: 'Client Secret', writeOnly: true }),
    region: titled(z._default(z.enum(REGION_CODES as [RegionCode, ...RegionCode[]]), 'US'), {
      title: 'Zoho Region',
    }),
    edition: titled(z._default(z.enum(EDITION_NAMES as [Edition, ...Edition[]]), 'Standard'), {
      title: 'Zoho CRM edition',
    }),
    lookup: z.prefault(
      z.strictObject({
        order: titled(
          z._default(
            z.array(z.enum(['Contacts', 'Leads', 'Accounts'])).check(
              z.minLength(1),
              z.maxLength(3),
              z.refine((order) => new Set(order).size === order.length, 'each module may appear only once'),
            ),
            ['Contacts', 'Leads', 'Accounts'],
          ),
          { title: 'Contact Lookup Order', uniqueItems: true },
        ),
        query: titled(z._default(z.enum(['always', 'whenNotFoundInPbx']), 'always'), {
          title: 'Query CRM',
          description: "'whenNotFoundInPbx': only when the PBX contacts have no match",
        }),
        defaultCountry: titled(z._default(countryCode, 'US'), { title: 'Default country' }),
      }),
      {},
    ),
    journal: z.prefault(
      z.strictObject({
        enabled: flag('Log Calls as Activities'),
        recordingLink: titled(z._default(linkPolicy(), 'private'), { title: 'Recording link' }),
        transcriptionLink: titled(z._default(linkPolicy(), 'private'), { title: 'Transcription link' }),
      }),
      {},
    ),
    createRecords: z.prefault(
      z.strictObject({
        enabled: flag('Create Contacts for New Numbers'),
        type: titled(z._default(z.enum(['Contacts', 'Leads']), 'Contacts'), { title: 'Record type' }),
      }),
      {},
    ),
  }),
);

/**
 * The zod schema of {@link TenantSettings}: strict (unknown keys are errors), defaults filled in.
 * Prefer {@link parseTenantSettings}, which names the tenant and never echoes a value.
 * @example
 * ```ts
 * const result = tenantSettingsSchema.safeParse(JSON.parse(body));
 * if (!result.success) reply(400, result.error.issues.map((i) => i.path.join('.')));
 * ```
 * @group Registry
 */
export const tenantSettingsSchema: z.ZodMiniType<ResolvedTenantSettings, TenantSettings> =
  TenantSettingsSchema;

export { tenantSettingsJsonSchema } from './tenant-settings-json-schema.js';

/**
 * Validates tenant settings and fills in defaults.
 * @throws {@link ConfigError} naming the tenant and every bad path (never a value).
 * @example
 * ```ts
 * const settings = parseTenantSettings('tenant-42', await db.loadCrmSettings('tenant-42'));
 * settings.lookup.order; // ['Contacts', 'Leads', 'Accounts'] unless the admin changed it
 * ```
 * @group Registry
 */
export function parseTenantSettings(connectionId: string, input: unknown): ResolvedTenantSettings {
  const result = TenantSettingsSchema.safeParse(input);
  if (result.success) return result.data as ResolvedTenantSettings;
  throw configErrorFromIssues(result.error.issues, input, `settings of tenant ${tenantLabel(connectionId)}`);
}

/**
 * Ids a registry and the settings stores accept: 1 to 100 characters of letters, digits, `.`, `_`, `-`,
 * `@` and `:`, starting with a letter or digit. No path separators, spaces or control characters, so an
 * id is safe in a file name, a Redis key and a URL path segment.
 * @example
 * ```ts
 * TENANT_ID_PATTERN.test('tenant-42'); // true
 * TENANT_ID_PATTERN.test('../etc');    // false
 * ```
 * @group Registry
 */
export const TENANT_ID_PATTERN: RegExp = /^[A-Za-z0-9][A-Za-z0-9._@:-]{0,99}$/;

/**
 * Checks a tenant id against {@link TENANT_ID_PATTERN}.
 * @throws {@link ConfigError} (path `connectionId`) for anything else; the id is not echoed.
 * @example
 * ```ts
 * assertTenantId(req.params.tenant); // before using it as a key
 * ```
 * @group Registry
 */
export function assertTenantId(connectionId: unknown): asserts connectionId is string {
  if (typeof connectionId === 'string' && TENANT_ID_PATTERN.test(connectionId)) return;
  throw new ConfigError(
    [
      {
        path: 'connectionId',
        message:
          'must be 1 to 100 letters, digits, ".", "_", "-", "@" or ":", starting with a letter or digit',
      },
    ],
    'tenant id',
  );
}

/**
 * What every tenant's connector shares: the redirect URI, stores, logger, fetch, endpoints, and any
 * option the admin form does not carry (`pbxContacts`, `journal.publicLinks`, `http`, `scopes`…).
 * @example
 * ```ts
 * const shared: SharedConnectorOptions = { redirectUri: 'https://pbx.example.com/api/auth/callback/zoho', http: { retries: 2 } };
 * ```
 * @group Registry
 */
export type SharedConnectorOptions = Omit<ConnectorOptions, 'connectionId' | 'clientId' | 'clientSecret'>;

/**
 * Maps a tenant's settings onto the options of its connector. Pure: the tenant's choices win over
 * `shared` for the fields the form carries; everything else comes from `shared`.
 * @throws {@link ConfigError} naming the tenant and the bad settings path (never a value).
 * @example
 * ```ts
 * const zoho = new ZohoCrmConnector(
 *   connectorOptionsFromSettings('tenant-42', settings, { redirectUri, tokenStore, stateSecret }),
 * );
 * ```
 * @group Registry
 */
export function connectorOptionsFromSettings(
  connectionId: string,
  settings: TenantSettings,
  shared: SharedConnectorOptions,
): ConnectorOptions {
  const tenant = parseTenantSettings(connectionId, settings);
  if (typeof shared !== 'object' || shared === null) {
    throw new ConfigError(
      [{ path: 'shared', message: 'must be an object (redirectUri, tokenStore, …)' }],
      `connector options of tenant ${tenantLabel(connectionId)}`,
    );
  }
  return {
    ...shared,
    connectionId,
    clientId: tenant.clientId,
    clientSecret: tenant.clientSecret,
    region: tenant.region,
    edition: tenant.edition,
    lookup: { ...shared.lookup, ...tenant.lookup },
    journal: { ...shared.journal, ...tenant.journal },
    createRecords: { ...shared.createRecords, ...tenant.createRecords },
  };
}

/** The tenant as error messages name it: a quoted id, or a placeholder for something that is not one. */
function tenantLabel(connectionId: unknown): string {
  return typeof connectionId === 'string' && connectionId.length <= 200
    ? JSON.stringify(connectionId)
    : '(not a valid id)';
}
