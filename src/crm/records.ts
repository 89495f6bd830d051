/**
 * Thin, typed CRM record calls: search, COQL, get, insert, upsert, update. No business rules here.
 *
 * @module
 */

import type * as z from 'zod/mini';
import type { ZohoHttp, ZohoRequest } from '../http/client.js';
import {
  RecordListSchema,
  RecordSchema,
  type WriteEntrySchema,
  WriteResponseSchema,
  type ZohoRecord,
} from './schemas.js';

/** What to search by: exactly one of these (Zoho's precedence is criteria > email > phone > word). @internal */
export type SearchBy = { phone: string } | { word: string } | { email: string } | { criteria: string };

/** @internal */
export interface SearchOptions {
  fields?: readonly string[];
  page?: number;
  /** At most 200 (Zoho's cap). */
  perPage?: number;
  signal?: AbortSignal;
}

/** One page of search or COQL results. @internal */
export interface RecordPage {
  records: ZohoRecord[];
  more: boolean;
}

const joined = new WeakMap<readonly string[], string>();

/** `fields` as Zoho's comma-separated list, joined once per list (a lookup asks with the same one each time). */
function fieldList(fields: readonly string[]): string {
  let list = joined.get(fields);
  if (list === undefined) {
    list = fields.join(',');
    joined.set(fields, list);
  }
  return list;
}

/**
 * `GET /{module}/search`. 204 (no match) is an empty page.
 * @internal
 */
export async function searchRecords(
  http: ZohoHttp,
  module: string,
  by: SearchBy,
  options: SearchOptions = {},
): Promise<RecordPage> {
  const request: ZohoRequest<z.infer<typeof RecordListSchema>> = {
    method: 'GET',
    path: `/${module}/search`,
    query: {
      ...by,
      fields: options.fields && fieldList(options.fields),
      page: options.page,
      per_page: options.perPage,
    },
    schema: RecordListSchema,
  };
  if (options.signal) request.signal = options.signal;
  const { data } = await http.request(request);
  return { records: data?.data ?? [], more: data?.info?.more_records ?? false };
}

/**
 * `POST /coql` with a select query. 204 and an empty `data` both mean no rows.
 * @internal
 */
export async function coqlQuery(http: ZohoHttp, query: string, signal?: AbortSignal): Promise<RecordPage> {
  const { data } = await http.request({
    method: 'POST',
    path: '/coql',
    body: { select_query: query },
    schema: RecordListSchema,
    idempotent: true,
    ...(signal ? { signal } : {}),
  });
  return { records: data?.data ?? [], more: data?.info?.more_records ?? false };
}

/** `GET /{module}/{id}`; undefined when Zoho has no such record (204). @internal */
export async function getRecord(
  http: ZohoHttp,
  module: string,
  id: string,
  signal?: AbortSignal,
): Promise<ZohoRecord | undefined> {
  const { data } = await http.request({
    method: 'GET',
    path: `/${module}/${encodeURIComponent(id)}`,
    schema: RecordListSchema,
    ...(signal ? { signal } : {}),
  });
  return data?.data[0];
}

/**
 * The outcome of one record in a write, in request order.
 * @internal
 */
export type WriteOutcome =
  | { ok: true; id: string; action?: string; details: Record<string, unknown> }
  | { ok: false; code: string; message: string; details: Record<string, unknown> };

/** @internal */
export interface WriteOptions {
  /** Zoho automation to run; `[]` runs none. Omitted = Zoho's default (all). */
  trigger?: readonly string[];
  signal?: AbortSignal;
}

/** `POST /{module}`: up to 100 records; per-record outcomes in request order. @internal */
export function insertRecords(
  http: ZohoHttp,
  module: string,
  records: readonly Record<string, unknown>[],
  options: WriteOptions = {},
): Promise<WriteOutcome[]> {
  return write(
    http,
    'POST',
    `/${module}`,
    { data: records, ...(options.trigger ? { trigger: options.trigger } : {}) },
    options,
    false,
  );
}

/**
 * `POST /{module}/upsert` with `duplicate_check_fields`: an existing record with the same value is
 * updated instead of duplicated, so resending is harmless.
 * @internal
 */
export function upsertRecords(
  http: ZohoHttp,
  module: string,
  records: readonly Record<string, unknown>[],
  duplicateCheckFields: readonly string[],
  options: WriteOptions = {},
): Promise<WriteOutcome[]> {
  return write(
    http,
    'POST',
    `/${module}/upsert`,
    {
      data: records,
      duplicate_check_fields: duplicateCheckFields,
      ...(options.trigger ? { trigger: options.trigger } : {}),
    },
    options,
    true,
  );
}

/** `PUT /{module}` for records that carry their `id`. @internal */
export function updateRecords(
  http: ZohoHttp,
  module: string,
  records: readonly (Record<string, unknown> & { id: string })[],
  options: WriteOptions = {},
): Promise<WriteOutcome[]> {
  return write(
    http,
    'PUT',
    `/${module}`,
    { data: records, ...(options.trigger ? { trigger: options.trigger } : {}) },
    options,
    true,
  );
}

async function write(
  http: ZohoHttp,
  method: 'POST' | 'PUT',
  path: string,
  body: Record<string, unknown>,
  options: WriteOptions,
  idempotent: boolean,
): Promise<WriteOutcome[]> {
  const { data } = await http.request({
    method,
    path,
    body,
    schema: WriteResponseSchema,
    idempotent,
    recordResultStatuses: [400],
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return toOutcomes(data?.data);
}

/** Zoho's per-record write entries → outcomes, in request order. @internal */
export function toOutcomes(
  entries: readonly z.output<typeof WriteEntrySchema>[] | undefined,
): WriteOutcome[] {
  return (entries ?? []).map((entry): WriteOutcome => {
    const details = entry.details ?? {};
    if (entry.status === 'success' && typeof details.id === 'string') {
      return { ok: true, id: details.id, details, ...(entry.action ? { action: entry.action } : {}) };
    }
    return { ok: false, code: entry.code, message: entry.message ?? entry.code, details };
  });
}

/** Re-exported for callers that validate a single record. @internal */
export { RecordSchema };
