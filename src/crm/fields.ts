/**
 * Field metadata: which fields of a module are phone fields (custom ones included). Thin I/O.
 *
 * @module
 */
import type { ZohoHttp } from '../http/client.js';
import { FieldsSchema } from './schemas.js';

/** API names of the fields whose `data_type` is `phone` in a module. @internal */
export async function listPhoneFields(
  http: ZohoHttp,
  module: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const { data } = await http.request({
    method: 'GET',
    path: '/settings/fields',
    query: { module },
    schema: FieldsSchema,
    ...(signal ? { signal } : {}),
  });
  return (data?.fields ?? []).filter((field) => field.data_type === 'phone').map((field) => field.api_name);
}
