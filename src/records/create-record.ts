/**
 * Creating a Contact or a Lead for an unknown caller (the seed's "Create Contacts for New Numbers"),
 * without ever creating a duplicate: the number is looked up first (fresh), Zoho's `DUPLICATE_DATA`
 * answer returns the existing record, the lookup cache learns the new record at once, and the call being
 * journaled is linked to it.
 *
 * @module
 */
import * as z from 'zod/mini';
import { type FieldMetadata, readFieldMetadata } from '../crm/fields.js';
import { getRecord, insertRecords } from '../crm/records.js';
import type { ZohoRecord } from '../crm/schemas.js';
import { ConfigError, ZohoApiError } from '../errors.js';
import type { ZohoHttp } from '../http/client.js';
import { type ConfigErrorEvent, createFieldsApplier } from '../journal/custom-fields.js';
import type { JournalApi } from '../journal/journal.js';
import { isOptionalLookupRefused } from '../journal/retry-policy.js';
import { type Logger, noopLogger } from '../logger.js';
import type { CallerLookupEngine, CallerMatch } from '../lookup/types.js';
import type { ResolvedConnectorOptions } from '../options.js';
import { formatForDisplay, toE164 } from '../phone/normalize.js';
import { maskPhone } from '../redact.js';
import { type Region, recordUrl } from '../regions.js';

/**
 * What to create. Only `phone` is required; the rest fills the record when known.
 * @example
 * ```ts
 * const input: CreateRecordInput = { phone: '+1 415 555 0000', firstName: 'Jane', lastName: 'Doe', company: 'Acme', type: 'Leads' };
 * ```
 * @group Records
 */
export interface CreateRecordInput {
  /** The caller's number in any dialable form; stored as E.164 in `Phone`. */
  phone: string;
  /** `Last_Name`; defaults to `createRecords.lastNamePlaceholder` (e.g. `Unknown caller +1 415 555 0000`). */
  lastName?: string;
  /** `First_Name`. */
  firstName?: string;
  /** `Company` of a Lead (defaults to `createRecords.companyPlaceholder`); ignored for Contacts. */
  company?: string;
  /** `Email`. */
  email?: string;
  /** Module to create in; defaults to `createRecords.type`. */
  type?: 'Contacts' | 'Leads';
  /** `Lead_Source` (a value of the org's picklist); defaults to `createRecords.leadSource`. */
  leadSource?: string;
  /** A PBX call to link to the record (its activity is updated, or linked when it is written). */
  callId?: string;
}

/**
 * What `createRecords.fields` receives: the input of `createRecord` with the number in E.164 and the module
 * resolved.
 * @example
 * ```ts
 * const input: CreateRecordFieldsInput = { phone: '+14155550000', type: 'Leads', lastName: 'Doe' };
 * ```
 * @group Records
 */
export interface CreateRecordFieldsInput extends Omit<CreateRecordInput, 'phone' | 'type'> {
  /** The number in E.164. */
  phone: string;
  /** The module the record goes to. */
  type: 'Contacts' | 'Leads';
}

/**
 * `createRecords.fields`: extra or overriding fields for each new Contact or Lead.
 * @param input - What is being created.
 * @returns Fields to add or override (`null` leaves one out), or nothing.
 * @example
 * ```ts
 * const fields: CreateRecordFieldsFunction = (input) => ({ Lead_Source: 'Phone', ...(input.type === 'Leads' ? { Region: 'EMEA' } : {}) });
 * ```
 * @group Records
 */
export type CreateRecordFieldsFunction = (
  input: CreateRecordFieldsInput,
) => Record<string, unknown> | undefined | null;

/**
 * The record-creation API the connector exposes (its `createRecord`).
 * @internal
 */
export interface RecordCreator {
  /**
   * Creates a Contact or Lead for a number, or returns the record that already has it.
   * @returns The record as a {@link CallerMatch} (`source: 'zoho'` when created now).
   * @throws {@link ConfigError} when record creation is disabled or an input field is invalid;
   * `PhoneNumberError` for a number that cannot be normalised; `ZohoApiError` when Zoho refuses the
   * record (e.g. a layout-mandatory field).
   */
  createRecord(input: CreateRecordInput): Promise<CallerMatch>;
}

/**
 * What {@link createRecordCreator} needs; the connector supplies it.
 * @internal
 */
export interface RecordCreatorDependencies {
  /** The Zoho HTTP client. @internal */
  http: ZohoHttp;
  /** The lookup engine: checked first (fresh) and taught the new record. */
  lookup: Pick<CallerLookupEngine, 'findByE164' | 'remember'>;
  /** `createRecords` options, validated. */
  options: ResolvedConnectorOptions['createRecords'];
  /** Country for numbers without a country code (`lookup.defaultCountry`). */
  defaultCountry: string;
  /** The connection's data centre (record URLs). */
  region: () => Pick<Region, 'crmWebUrl'>;
  /** The journal, to link a call to the record. */
  journal?: Pick<JournalApi, 'linkCall'>;
  /** Logger (already redacting). */
  logger?: Logger;
  /** The connection (for `configError`). */
  connectionId?: string;
  /** Receives `configError` when `createRecords.fields` names a field the module lacks. */
  onConfigError?: (event: ConfigErrorEvent) => void;
  /** Clock for the daily field-metadata cache, epoch ms. @default Date.now */
  now?: () => number;
}

/**
 * Creates the record creator of one connection.
 * @param deps - See {@link RecordCreatorDependencies}.
 * @returns A {@link RecordCreator}.
 * @example
 * ```ts
 * const records = createRecordCreator({ http, lookup, options: resolved.createRecords,
 *   defaultCountry: resolved.lookup.defaultCountry, region: () => REGIONS.US, journal });
 * const lead = await records.createRecord({ phone: '+14155550000', lastName: 'Doe', type: 'Leads', callId: 'pbx-1' });
 * ```
 * @internal
 */
export function createRecordCreator(deps: RecordCreatorDependencies): RecordCreator {
  const logger = deps.logger ?? noopLogger;
  const inflight = new Map<string, Promise<CallerMatch>>();
  const now = deps.now ?? Date.now;
  const applier = createFieldsApplier({
    connectionId: deps.connectionId ?? '',
    option: 'createRecords.fields',
    logger,
    emit: (event) => deps.onConfigError?.(event),
  });
  const metadataCache = new Map<string, { at: number; value: Promise<FieldMetadata | undefined> }>();
  /** The module's fields, read once a day (undefined when the grant may not read them). */
  const metadataOf = (module: string): Promise<FieldMetadata | undefined> => {
    const cached = metadataCache.get(module);
    if (cached && now() - cached.at < 86_400_000) return cached.value;
    const value = readFieldMetadata(deps.http, module).catch((error: unknown) => {
      if (!isOptionalLookupRefused(error)) {
        metadataCache.delete(module);
        throw error;
      }
      logger.warn({ module, code: (error as { code?: string }).code }, 'cannot read the field metadata');
      return undefined;
    });
    metadataCache.set(module, { at: now(), value });
    return value;
  };

  const create = async (input: Parsed, e164: string): Promise<CallerMatch> => {
    const existing = await deps.lookup.findByE164(e164, { fresh: true });
    if (existing && existing.module !== 'PBX') return existing;

    const module = input.type ?? deps.options.type;
    const display = formatForDisplay(e164);
    const lastName = input.lastName ?? fill(deps.options.lastNamePlaceholder, display).slice(0, 80);
    let record: Record<string, unknown> = { Last_Name: lastName, Phone: e164 };
    if (input.firstName) record.First_Name = input.firstName;
    if (input.email) record.Email = input.email;
    const leadSource = input.leadSource ?? deps.options.leadSource;
    if (leadSource) record.Lead_Source = leadSource;
    if (module === 'Leads')
      record.Company = input.company ?? fill(deps.options.companyPlaceholder, display).slice(0, 200);
    const fields = deps.options.fields;
    if (fields) {
      const { type: _type, ...rest } = input;
      const metadata = await metadataOf(module);
      record = applier.apply(module, record, () => fields({ ...rest, phone: e164, type: module }), {
        metadata,
      });
    }

    const [outcome] = await insertRecords(deps.http, module, [record]);
    if (outcome?.ok) {
      const match: CallerMatch = {
        module,
        id: outcome.id,
        name: [record.First_Name, record.Last_Name]
          .filter((part) => typeof part === 'string' && part)
          .join(' '),
        phone: e164,
        field: 'Phone',
        recordUrl: recordUrl(deps.region(), module, outcome.id),
        source: 'zoho',
      };
      deps.lookup.remember(match);
      logger.info(
        { module, id: outcome.id, number: maskPhone(e164) },
        'created a record for an unknown caller',
      );
      return match;
    }
    if (outcome?.code === 'DUPLICATE_DATA') {
      const duplicate = await fromDuplicate(outcome.details, module, e164);
      if (duplicate) return duplicate;
    }
    throw new ZohoApiError(
      `Zoho refused the new ${module === 'Leads' ? 'Lead' : 'Contact'} (${outcome?.code ?? 'no result'})${
        outcome?.message ? `: ${outcome.message}` : ''
      }`,
      {
        status: 400,
        method: 'POST',
        path: `/${module}`,
        ...(outcome ? { zohoCode: outcome.code, details: outcome.details } : {}),
      },
    );
  };

  /** The record Zoho says already exists (`details.duplicate_record`), else whoever has the number now. */
  const fromDuplicate = async (
    details: Record<string, unknown>,
    module: 'Contacts' | 'Leads',
    e164: string,
  ): Promise<CallerMatch | undefined> => {
    const duplicate = details.duplicate_record as
      | { id?: unknown; module?: { api_name?: unknown } }
      | undefined;
    const id = typeof duplicate?.id === 'string' ? duplicate.id : undefined;
    const apiName = duplicate?.module?.api_name;
    const target = apiName === 'Contacts' || apiName === 'Leads' ? apiName : module;
    if (id) {
      const record = await getRecord(deps.http, target, id);
      if (record) {
        const field = typeof details.api_name === 'string' ? details.api_name : 'Phone';
        const match = toMatch(target, record, e164, field, deps.region);
        // Only a duplicate on a phone field says the record holds this number.
        if (/phone|mobile/i.test(field)) deps.lookup.remember(match);
        return match;
      }
    }
    const found = await deps.lookup.findByE164(e164, { fresh: true });
    return found && found.module !== 'PBX' ? found : undefined;
  };

  return {
    async createRecord(raw) {
      if (!deps.options.enabled) {
        throw new ConfigError(
          [
            {
              path: 'createRecords.enabled',
              message: 'is false: creating records is disabled for this connection',
            },
          ],
          'createRecord',
        );
      }
      const input = parseInput(raw);
      const e164 = toE164(input.phone, deps.defaultCountry);
      const key = `${input.type ?? deps.options.type}:${e164}`;
      let pending = inflight.get(key);
      if (!pending) {
        pending = create(input, e164).finally(() => inflight.delete(key));
        inflight.set(key, pending);
      }
      const match = await pending;
      if (input.callId && deps.journal) {
        try {
          await deps.journal.linkCall(input.callId, match);
        } catch (error) {
          logger.warn(
            { callId: input.callId, code: (error as { code?: string }).code },
            'the new record could not be linked to the call',
          );
        }
      }
      return match;
    },
  };
}

// --- Internal helpers ---

const text = (max: number) =>
  z
    .string()
    .check(
      z.trim(),
      z.minLength(1, 'must not be empty'),
      z.maxLength(max, `must be at most ${max} characters`),
    );

/** The input of `createRecord`, also the PBX service's request body. @internal */
export const CreateRecordInputSchema = z.lazy(() =>
  z.strictObject({
    phone: z.string().check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(256)),
    lastName: z.optional(text(80)),
    firstName: z.optional(text(40)),
    company: z.optional(text(200)),
    email: z.optional(z.email('must be an e-mail address').check(z.maxLength(100))),
    type: z.optional(z.enum(['Contacts', 'Leads'])),
    leadSource: z.optional(text(120)),
    callId: z.optional(
      z
        .string()
        .check(z.trim(), z.regex(/^[^\p{Cc}]{1,200}$/u, 'must be a PBX call id (1 to 200 characters)')),
    ),
  }),
);

type Parsed = z.output<typeof CreateRecordInputSchema>;

function parseInput(input: unknown): Parsed {
  const result = CreateRecordInputSchema.safeParse(input);
  if (result.success) return result.data;
  throw ConfigError.fromIssues(
    result.error.issues.map((issue) => ({ path: issue.path, message: issue.message })),
    'createRecord input',
  );
}

function fill(template: string, number: string): string {
  return template.replace(/\{number\}/g, number);
}

function toMatch(
  module: 'Contacts' | 'Leads',
  record: ZohoRecord,
  e164: string,
  field: string,
  region: () => Pick<Region, 'crmWebUrl'>,
): CallerMatch {
  const full = typeof record.Full_Name === 'string' ? record.Full_Name : undefined;
  const name =
    full ??
    [record.First_Name, record.Last_Name].filter((part) => typeof part === 'string' && part).join(' ');
  const owner = (record.Owner as { id?: unknown } | undefined)?.id;
  return {
    module,
    id: record.id,
    name,
    phone: e164,
    field,
    ...(typeof owner === 'string' ? { ownerId: owner } : {}),
    recordUrl: recordUrl(region(), module, record.id),
    source: 'zoho',
  };
}
