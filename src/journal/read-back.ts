/**
 * Reading back what Zoho stored, for creates whose insert may have reached it (the answer was lost: a
 * timeout, a dropped connection, a 5xx, a process killed while sending). Zoho offers no upsert on Calls
 * (docs/zoho-facts.md §6), so an insert is made idempotent by looking before sending again:
 * - with `journal.dedupeField`: `select id, <field> from Calls where <field> in (…)`, 50 call ids a query;
 * - without: every activity the journal writes ends its description with a marker derived from the call
 *   id (`callMarker`); the query takes the Calls that start when the lost calls start
 *   (`Call_Start_Time` between the batch's first and last start) and matches the marker line exactly.
 *
 * COQL, not the search API: Zoho documents search-index lag for the search API, not for COQL
 * (docs/zoho-facts.md §2.2), so a record committed before the query is found.
 *
 * @module
 */
import { coqlQuery } from '../crm/records.js';
import { AuthError, RateLimitError, TransportError, ZohoApiError } from '../errors.js';
import { neverSent } from '../http/client.js';
import { chunk } from './batch.js';
import type { JournalContext } from './context.js';
import { callMarker, callStartMs } from './map-call.js';
import type { CallWriteSettings } from './org-settings.js';
import type { NormalizedCall } from './pbx-call.js';
import { formatZohoDateTime } from './zoho-time.js';

/** COQL's `in` takes at most 50 values; 200 rows a page is the documented safe page size. */
const IN_LIMIT = 50;
const PAGE = 200;
/** COQL cannot page past 10,000 rows. */
const MAX_OFFSET = 10_000 - PAGE;

/**
 * Whether a failed insert may have been stored by Zoho: false only when Zoho (or the network) proves it
 * was not (429, an authorization failure, a whole-request 4xx refusal, a connection never made).
 * @internal
 */
export function maybeStored(error: unknown): boolean {
  if (error instanceof RateLimitError || error instanceof AuthError) return false;
  if (error instanceof ZohoApiError) return !(error.status >= 400 && error.status < 500);
  if (error instanceof TransportError) return !neverSent(error);
  return true;
}

/**
 * Finds the Calls records Zoho stored for these calls.
 * @returns PBX call id → Zoho call id, for the calls found.
 * @throws What the COQL request throws (the creates are then retried later, still unsent).
 * @internal
 */
export async function readBack(
  ctx: JournalContext,
  settings: CallWriteSettings,
  calls: readonly NormalizedCall[],
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const field = settings.dedupeField;
  if (field) {
    for (const part of chunk(calls, IN_LIMIT)) {
      const wanted = new Set(part.map((call) => call.id));
      const list = part.map((call) => quote(call.id)).join(', ');
      await eachRow(ctx, `select id, ${field} from Calls where ${field} in (${list})`, (row) => {
        const value = row[field];
        if (typeof value === 'string' && wanted.has(value) && !found.has(value)) found.set(value, row.id);
      });
    }
  } else {
    const byStart = [...calls].sort((a, b) => callStartMs(a) - callStartMs(b));
    for (const part of chunk(byStart, IN_LIMIT)) {
      const markers = new Map(part.map((call) => [callMarker(call.id, ctx.options.includeCallId), call.id]));
      const from = formatZohoDateTime(callStartMs(part[0] as NormalizedCall), settings.timeZone);
      const to = formatZohoDateTime(callStartMs(part.at(-1) as NormalizedCall), settings.timeZone);
      const query = `select id, Description from Calls where (Call_Start_Time >= '${from}' and Call_Start_Time <= '${to}')`;
      await eachRow(ctx, query, (row) => {
        if (typeof row.Description !== 'string') return;
        for (const line of row.Description.split('\n')) {
          const callId = markers.get(line);
          if (callId !== undefined && !found.has(callId)) found.set(callId, row.id);
        }
      });
    }
  }
  ctx.logger.info({ asked: calls.length, found: found.size }, 'journal read back Calls after a lost answer');
  return found;
}

/** Visits every row of a COQL query, page by page (up to COQL's 10,000-row limit). @internal */
export async function eachRow(
  ctx: Pick<JournalContext, 'http' | 'logger'>,
  query: string,
  visit: (row: Record<string, unknown> & { id: string }) => void,
): Promise<void> {
  for (let offset = 0; ; offset += PAGE) {
    const page = await coqlQuery(ctx.http, `${query} limit ${PAGE} offset ${offset}`);
    for (const row of page.records) if (typeof row.id === 'string') visit(row as never);
    if (!page.more) return;
    if (offset >= MAX_OFFSET) {
      ctx.logger.warn({ offset }, 'journal read-back reached the COQL paging limit; later rows are not seen');
      return;
    }
  }
}

/** A COQL string literal (a single quote is doubled). */
function quote(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
