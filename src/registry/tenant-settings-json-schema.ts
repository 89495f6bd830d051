/**
 * The JSON Schema of `TenantSettings`, written out. It is exactly what `z.toJSONSchema()` makes of
 * `TenantSettingsSchema` (test/registry/tenant-settings.test.ts compares the two, so a schema change that
 * is not made here fails there), without shipping zod's JSON Schema generator in the core entry or
 * running it on every import.
 *
 * @module
 */
import { EDITION_NAMES } from '../editions.js';
import { REGION_CODES } from '../regions.js';

/**
 * JSON Schema (draft 2020-12) of {@link TenantSettings}, equal to what zod generates from
 * {@link tenantSettingsSchema}, for admin UIs in any language: titles for every field, defaults, and
 * `writeOnly: true` on the client secret (show it as a password field, never send it back).
 * @example
 * ```ts
 * app.get('/schemas/tenant-settings.json', (_req, res) => res.json(tenantSettingsJsonSchema));
 * ```
 * @group Registry
 */
export const tenantSettingsJsonSchema: Readonly<Record<string, unknown>> = Object.freeze({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    enabled: {
      default: true,
      title: 'CRM enabled for this tenant',
      type: 'boolean',
    },
    clientId: {
      type: 'string',
      minLength: 1,
      maxLength: 200,
      title: 'Client ID',
    },
    clientSecret: {
      type: 'string',
      minLength: 1,
      maxLength: 1000,
      title: 'Client Secret',
      writeOnly: true,
    },
    region: {
      default: 'US',
      title: 'Zoho Region',
      type: 'string',
      enum: [...REGION_CODES],
    },
    edition: {
      default: 'Standard',
      title: 'Zoho CRM edition',
      type: 'string',
      enum: [...EDITION_NAMES],
    },
    lookup: {
      default: {},
      type: 'object',
      properties: {
        order: {
          default: ['Contacts', 'Leads', 'Accounts'],
          title: 'Contact Lookup Order',
          uniqueItems: true,
          minItems: 1,
          maxItems: 3,
          type: 'array',
          items: {
            type: 'string',
            enum: ['Contacts', 'Leads', 'Accounts'],
          },
        },
        query: {
          default: 'always',
          title: 'Query CRM',
          description: "'whenNotFoundInPbx': only when the PBX contacts have no match",
          type: 'string',
          enum: ['always', 'whenNotFoundInPbx'],
        },
        defaultCountry: {
          default: 'US',
          title: 'Default country',
          type: 'string',
          pattern: '^[A-Za-z]{2}$',
        },
      },
      additionalProperties: false,
    },
    journal: {
      default: {},
      type: 'object',
      properties: {
        enabled: {
          default: true,
          title: 'Log Calls as Activities',
          type: 'boolean',
        },
        recordingLink: {
          default: 'private',
          title: 'Recording link',
          type: 'string',
          enum: ['private', 'public', 'none'],
        },
        transcriptionLink: {
          default: 'private',
          title: 'Transcription link',
          type: 'string',
          enum: ['private', 'public', 'none'],
        },
      },
      additionalProperties: false,
    },
    createRecords: {
      default: {},
      type: 'object',
      properties: {
        enabled: {
          default: true,
          title: 'Create Contacts for New Numbers',
          type: 'boolean',
        },
        type: {
          default: 'Contacts',
          title: 'Record type',
          type: 'string',
          enum: ['Contacts', 'Leads'],
        },
      },
      additionalProperties: false,
    },
  },
  required: ['clientId', 'clientSecret'],
  additionalProperties: false,
});
