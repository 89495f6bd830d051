/**
 * Field metadata: which fields of a module are phone fields (custom ones included), and what each field
 * is (type, read-only, picklist values), from `GET /settings/fields?module=…`. Thin I/O plus a pure reader.
 *
 * @module
 */
import type * as z from 'zod/mini';
import type { ZohoHttp } from '../http/client.js';
import { FieldsSchema } from './schemas.js';

/** What the connector needs to know about one field of a module. @internal */
export interface FieldMeta {
  /** Zoho data type (`text`, `picklist`, `lookup`…). */
  readonly dataType: string;
  /** Zoho ignores writes to it. */
  readonly readOnly: boolean;
  /** The picklist's values (`actual_value`, what writes send), for picklist fields. */
  readonly picklist?: readonly string[];
}

/** A module's fields by API name. @internal */
export type FieldMetadata = ReadonlyMap<string, FieldMeta>;

/** One field as `GET /settings/fields` describes it (keys beyond these are kept, unchecked). @internal */
export type ZohoField = z.output<typeof FieldsSchema>['fields'][number];

/** A module's fields (`GET /settings/fields?module=…`): the one request every reader of metadata uses. @internal */
export async function readModuleFields(
  http: ZohoHttp,
  module: string,
  signal?: AbortSignal,
): Promise<readonly ZohoField[]> {
  const { data } = await http.request({
    method: 'GET',
    path: '/settings/fields',
    query: { module },
    schema: FieldsSchema,
    ...(signal ? { signal } : {}),
  });
  return data?.fields ?? [];
}

/** API names of the fields whose `data_type` is `phone` in a module. @internal */
export async function listPhoneFields(
  http: ZohoHttp,
  module: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const fields = await readModuleFields(http, module, signal);
  return fields.filter((field) => field.data_type === 'phone').map((field) => field.api_name);
}

/** A module's field metadata (`GET /settings/fields?module=…`). @internal */
export async function readFieldMetadata(http: ZohoHttp, module: string): Promise<FieldMetadata> {
  return toFieldMetadata(await readModuleFields(http, module));
}

/**
 * Reads Zoho's field list into {@link FieldMetadata}. Pure; tolerant of missing keys.
 * @internal
 */
export function toFieldMetadata(
  fields: ReadonlyArray<{ api_name: string; data_type: string; [key: string]: unknown }>,
): FieldMetadata {
  const out = new Map<string, FieldMeta>();
  for (const field of fields) {
    const values = Array.isArray(field.pick_list_values)
      ? (field.pick_list_values as unknown[])
          .map((value) => (value as { actual_value?: unknown } | null)?.actual_value)
          .filter((value): value is string => typeof value === 'string')
      : undefined;
    out.set(field.api_name, {
      dataType: field.data_type,
      readOnly: field.read_only === true || field.field_read_only === true,
      ...(field.data_type === 'picklist' && values ? { picklist: values } : {}),
    });
  }
  return out;
}
