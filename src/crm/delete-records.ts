/**
 * `DELETE /{module}/{id}`: removes one record (it goes to Zoho's recycle bin). Thin I/O.
 *
 * @module
 */
import { ErrorCode } from '../errors.js';
import type { ZohoHttp } from '../http/client.js';
import { toOutcomes, type WriteOutcome } from './records.js';
import { WriteResponseSchema } from './schemas.js';

/**
 * Deletes one record; the outcome says whether Zoho deleted it. Repeating it is harmless (a record
 * already gone answers `INVALID_DATA`), so the client retries it like a read.
 * @internal
 */
export async function deleteRecord(
  http: ZohoHttp,
  module: string,
  id: string,
  options: { signal?: AbortSignal; deadlineMs?: number } = {},
): Promise<WriteOutcome> {
  const { data } = await http.request({
    method: 'DELETE',
    path: `/${module}/${encodeURIComponent(id)}`,
    schema: WriteResponseSchema,
    recordResultStatuses: [400],
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.deadlineMs ? { deadlineMs: options.deadlineMs } : {}),
  });
  return (
    toOutcomes(data?.data)[0] ?? {
      ok: false,
      code: ErrorCode.ZOHO_INVALID_RESPONSE,
      message: 'Zoho answered the delete without a result',
      details: { id },
    }
  );
}
