/**
 * zod schemas for the Zoho CRM payloads the connector reads, written from Zoho's v8 OpenAPI description
 * (record.json, notes.json, users.json, fields.json, coql.json). Loose objects: Zoho adds fields freely,
 * and only the ones named here are relied upon.
 *
 * @module
 */
import * as z from 'zod/mini';

/** A CRM record: an id plus whatever fields were asked for. @internal */
export const RecordSchema = z.lazy(() => z.looseObject({ id: z.string() }));

/** `{ data: [...records], info: {...} }` from list, search and COQL. @internal */
export const RecordListSchema = z.lazy(() =>
  z.object({
    data: z.array(RecordSchema),
    info: z.optional(z.looseObject({ more_records: z.optional(z.boolean()), count: z.optional(z.number()) })),
  }),
);

/** One entry of an insert/update/upsert response, in request order. @internal */
export const WriteEntrySchema = z.lazy(() =>
  z.looseObject({
    code: z.string(),
    status: z.string(),
    message: z.optional(z.string()),
    action: z.optional(z.string()),
    details: z.optional(z.record(z.string(), z.unknown())),
  }),
);

/** `{ data: [...entries] }` from insert/update/upsert and Notes. @internal */
export const WriteResponseSchema = z.lazy(() => z.object({ data: z.array(WriteEntrySchema) }));

/** A CRM user. @internal */
export const UserSchema = z.lazy(() =>
  z.looseObject({
    id: z.string(),
    email: z.optional(z.string()),
    full_name: z.optional(z.string()),
    status: z.optional(z.string()),
    time_zone: z.optional(z.string()),
    phone: z.optional(z.nullable(z.string())),
    mobile: z.optional(z.nullable(z.string())),
  }),
);

/** `GET /users`. @internal */
export const UsersSchema = z.lazy(() =>
  z.object({
    users: z.array(UserSchema),
    info: z.optional(z.looseObject({ more_records: z.optional(z.boolean()) })),
  }),
);

/** `GET /settings/fields?module=`. @internal */
export const FieldsSchema = z.lazy(() =>
  z.object({
    fields: z.array(z.looseObject({ api_name: z.string(), data_type: z.string() })),
  }),
);

/** A record as the connector sees it: an id and loosely typed fields. @internal */
export type ZohoRecord = z.output<typeof RecordSchema>;
/** A CRM user as the connector sees it. @internal */
export type ZohoUser = z.output<typeof UserSchema>;
