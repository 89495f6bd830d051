/**
 * The OpenAPI 3.1 description of the PBX service, built from the same zod schemas that validate the
 * request bodies (so the document cannot drift from what the service accepts). Built once, on first use.
 *
 * @module
 */
import * as z from 'zod/mini';
import { PbxCallSchema } from '../journal/pbx-call.js';
import { CreateRecordInputSchema } from '../records/create-record.js';
import { tenantSettingsJsonSchema } from '../registry/tenant-settings.js';

const schemaOf = (schema: z.ZodMiniType) =>
  z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' });

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonBody = (name: string) => ({
  required: true,
  content: { 'application/json': { schema: ref(name) } },
});
const answer = (description: string, schema?: object) => ({
  description,
  ...(schema ? { content: { 'application/json': { schema } } } : {}),
});
const errors = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((status) => [String(status), { $ref: `#/components/responses/E${status}` }]),
  );

const tenant = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'Tenant (connection) id',
};
const callId = {
  name: 'callId',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'PBX call id',
};

const callerMatch = {
  type: 'object',
  required: ['module', 'id', 'name', 'phone', 'field', 'source'],
  properties: {
    module: { enum: ['Contacts', 'Leads', 'Accounts', 'PBX'] },
    id: { type: 'string' },
    name: { type: 'string' },
    phone: { type: 'string', description: 'E.164' },
    field: { type: 'string', description: 'The Zoho field that matched (Phone, Mobile, …)' },
    account: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } },
    ownerId: { type: 'string' },
    recordUrl: { type: 'string', format: 'uri' },
    source: { type: 'string' },
  },
};
const journalResult = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { enum: ['logged', 'queued', 'skipped'] },
    zohoCallId: { type: 'string' },
    reason: { type: 'string' },
  },
};

let built: Record<string, unknown> | undefined;

/** The document served at `GET /openapi.json`. @internal */
export function openApiDocument(): Record<string, unknown> {
  if (built) return built;
  // The attachments of a call are the PbxCall's own recording and transcription fields.
  const pbxCall = schemaOf(PbxCallSchema) as { properties?: Record<string, unknown> };
  built = {
    openapi: '3.1.0',
    info: {
      title: 'zoho-crm-connector PBX service',
      version: '1',
      description:
        'Zoho CRM for phone systems over HTTP: caller ID, directory, call journal, records and OAuth per tenant.',
    },
    security: [{ apiKey: [] }],
    paths: {
      '/healthz': { get: { security: [], responses: { '200': answer('The service is up') } } },
      '/api/auth/callback/zoho': {
        get: {
          security: [],
          summary: "Zoho's OAuth redirect for every tenant (routed by the signed state)",
          responses: {
            '200': answer('An HTML page: connected'),
            '400': answer('An HTML page: not connected'),
          },
        },
      },
      '/v1/tenants/{id}/authorize': {
        get: {
          parameters: [tenant, { name: 'redirect', in: 'query', schema: { enum: ['false'] } }],
          responses: { '302': answer("Redirect to Zoho's consent page"), ...errors(401, 404) },
        },
      },
      '/v1/tenants/{id}/caller': {
        get: {
          summary:
            'Caller ID to name (answers within the ring deadline; a failure is a null match with a reason)',
          parameters: [
            tenant,
            { name: 'number', in: 'query', required: true, schema: { type: 'string' } },
            {
              name: 'format',
              in: 'query',
              schema: { enum: ['json', 'text'] },
              description: 'text: the bare name (empty when unknown), for dialplans',
            },
          ],
          responses: {
            '200': answer('The match, or null with the reason (NOT_FOUND or an error code)', {
              type: 'object',
              properties: {
                match: { oneOf: [callerMatch, { type: 'null' }] },
                source: { type: 'string' },
                reason: { type: 'string' },
              },
            }),
            ...errors(400, 401, 404),
          },
        },
      },
      '/v1/tenants/{id}/directory': {
        get: {
          parameters: [
            tenant,
            { name: 'q', in: 'query', required: true, schema: { type: 'string' } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1 } },
          ],
          responses: {
            '200': answer('Matching people', { type: 'object', properties: { entries: { type: 'array' } } }),
            ...errors(400, 401, 404, 409, 502, 504),
          },
        },
      },
      '/v1/tenants/{id}/calls': {
        post: {
          summary: 'Journal a call as a Zoho Calls activity (answers once it is in the outbox)',
          parameters: [tenant],
          requestBody: jsonBody('PbxCall'),
          responses: {
            '200': answer('Already logged', journalResult),
            '202': answer('Queued', journalResult),
            ...errors(400, 401, 404, 413, 415),
          },
        },
      },
      '/v1/tenants/{id}/calls/{callId}/notes': {
        post: {
          parameters: [tenant, callId],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: { type: 'object', required: ['text'], properties: { text: { type: 'string' } } },
              },
            },
          },
          responses: { '202': answer('Queued', journalResult), ...errors(400, 401, 404, 413, 415) },
        },
      },
      '/v1/tenants/{id}/calls/{callId}/attachments': {
        post: {
          parameters: [tenant, callId],
          requestBody: jsonBody('CallAttachments'),
          responses: { '202': answer('Queued', journalResult), ...errors(400, 401, 404, 413, 415) },
        },
      },
      '/v1/tenants/{id}/records': {
        post: {
          summary: 'Create a Contact or Lead for an unknown number (returns the existing one if any)',
          parameters: [tenant],
          requestBody: jsonBody('CreateRecordInput'),
          responses: {
            '201': answer('The record', { type: 'object', properties: { match: callerMatch } }),
            ...errors(400, 401, 404, 409, 502, 504),
          },
        },
      },
      '/v1/tenants/{id}/settings': {
        get: {
          parameters: [tenant],
          responses: { '200': answer('Settings (secrets as *Set flags)'), ...errors(401, 404) },
        },
        put: {
          parameters: [tenant],
          requestBody: jsonBody('TenantSettings'),
          responses: {
            '200': answer('Saved; the next use rebuilds the connector'),
            ...errors(400, 401, 413, 415),
          },
        },
      },
      '/metrics': { get: { responses: { '200': answer('Prometheus text') } } },
    },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
      schemas: {
        PbxCall: pbxCall,
        CallAttachments: {
          type: 'object',
          additionalProperties: false,
          properties: {
            recording: pbxCall.properties?.recording,
            transcription: pbxCall.properties?.transcription,
          },
        },
        CreateRecordInput: schemaOf(CreateRecordInputSchema),
        TenantSettings: tenantSettingsJsonSchema,
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                issues: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: { path: { type: 'string' }, message: { type: 'string' } },
                  },
                },
              },
            },
          },
        },
      },
      responses: Object.fromEntries(
        [
          [400, 'Invalid input (issues name the paths)'],
          [401, 'Missing or wrong API key'],
          [404, 'Unknown tenant or route'],
          [409, 'The tenant is not authorized at Zoho (Authorize again)'],
          [413, 'Body too large'],
          [415, 'Body is not JSON'],
          [502, 'Zoho failed'],
          [504, 'Zoho did not answer in time'],
        ].map(([status, description]) => [`E${status}`, answer(description as string, ref('Error'))]),
      ),
    },
  };
  return built;
}
