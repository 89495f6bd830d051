/**
 * `diagnose()`'s I/O: field metadata, and the write probes that create one test Lead and one test Call,
 * measure what Zoho does with them, and delete them again, whatever happened in between.
 *
 * @module
 */
import { deleteRecord } from '../crm/delete-records.js';
import { readModuleFields } from '../crm/fields.js';
import { getRecord, insertRecords, searchRecords, type WriteOutcome } from '../crm/records.js';
import { isZohoCrmError, TransportError, ZohoApiError } from '../errors.js';
import { neverSent, type ZohoHttp } from '../http/client.js';
import { formatZohoDateTime } from '../journal/zoho-time.js';
import type { FieldInfo } from './checks.js';
import { type Cleanup, type PhoneSearchHits, searchTerms, testPhone } from './probe-checks.js';
import type { DiagnoseClock } from './types.js';

/** `GET /settings/fields?module=`, as the checks read it. @internal */
export async function readFields(http: ZohoHttp, module: string, signal?: AbortSignal): Promise<FieldInfo[]> {
  return (await readModuleFields(http, module, signal)).map((f) => ({
    apiName: f.api_name,
    dataType: f.data_type,
    mandatory: f.system_mandatory === true,
    readOnly: f.read_only === true || f.field_read_only === true,
  }));
}

/** What the probes share. @internal */
export interface ProbeContext {
  http: ZohoHttp;
  clock: DiagnoseClock;
  signal: AbortSignal | undefined;
  /** Unique per run; part of every test record's name. */
  runId: string;
  /** Fields `journal.fields` fills on every call (the test Call carries them like the journal's). */
  callFields?: Record<string, unknown> | undefined;
}

/** The Lead probe's measurements. @internal */
export interface LeadProbe {
  /** Set when the test Lead could not be created or searched (a Zoho error code and message). */
  error?: string;
  terms: Record<keyof PhoneSearchHits, string>;
  hits: PhoneSearchHits | undefined;
  lagMs: number | undefined;
  waitedMs: number;
  cleanup: Cleanup;
}

/** The Call probe's measurements. @internal */
export interface CallProbe {
  error?: string;
  /** Mandatory fields Zoho named when it refused the test Call. */
  mandatoryMissing: string[];
  seconds: number | undefined;
  hasSecondsField: boolean;
  cleanup: Cleanup;
}

const TRIGGER_NONE: readonly string[] = [];
/** Polls after 0 s, then every 0.5 s to 5 s, every 1 s to 15 s, then every 2.5 s. */
function pollDelay(elapsedMs: number): number {
  return elapsedMs < 5_000 ? 500 : elapsedMs < 15_000 ? 1_000 : 2_500;
}

/**
 * Creates the test Lead with a formatted number, polls `search?phone=` with the stored string until it
 * is found (bounded by `maxWaitMs`), then searches with the other terms; deletes the Lead in the end.
 * @internal
 */
export async function probeLead(ctx: ProbeContext, maxWaitMs: number): Promise<LeadProbe> {
  const phone = testPhone(ctx.runId);
  const name = `zoho-crm-connector diagnose ${ctx.runId}`;
  const result: LeadProbe = {
    terms: searchTerms(phone),
    hits: undefined,
    lagMs: undefined,
    waitedMs: 0,
    cleanup: { id: undefined, clean: true },
  };
  const record = {
    Last_Name: name,
    First_Name: 'Test',
    Company: 'zoho-crm-connector diagnose (test record, deleted automatically)',
    Phone: phone,
  };
  let id: string | undefined;
  try {
    const created = await create(ctx, 'Leads', record, { field: 'Last_Name', value: name });
    id = created.id;
    result.cleanup = created.cleanup;
    if (!id || created.error) {
      result.error = created.error;
      return result;
    }
    const started = ctx.clock.now();
    const stored = await getRecord(ctx.http, 'Leads', id, ctx.signal);
    if (typeof stored?.Phone === 'string' && stored.Phone !== phone) result.terms = searchTerms(stored.Phone);
    const found = (term: string) => findsLead(ctx, term, id as string);
    let exact = false;
    for (;;) {
      const elapsed = ctx.clock.now() - started;
      exact = await found(result.terms.exact);
      result.waitedMs = elapsed;
      if (exact || elapsed >= maxWaitMs) break;
      await ctx.clock.sleep(Math.min(pollDelay(elapsed), maxWaitMs - elapsed), ctx.signal);
    }
    if (exact) result.lagMs = result.waitedMs;
    result.hits = {
      exact,
      allDigits: await found(result.terms.allDigits),
      national: await found(result.terms.national),
      middle: await found(result.terms.middle),
    };
  } catch (error) {
    result.error = describe(error, ctx.signal);
  } finally {
    if (id) result.cleanup = await remove(ctx, 'Leads', id);
  }
  return result;
}

/**
 * Creates the test Call with `Call_Duration` `"01:02"` (and no seconds), reads back
 * `Call_Duration_in_seconds`, and deletes the Call in the end.
 * @internal
 */
export async function probeCall(ctx: ProbeContext): Promise<CallProbe> {
  const subject = `zoho-crm-connector diagnose ${ctx.runId} (test call, deleted automatically)`;
  const result: CallProbe = {
    mandatoryMissing: [],
    seconds: undefined,
    hasSecondsField: false,
    cleanup: { id: undefined, clean: true },
  };
  const record = {
    ...ctx.callFields,
    Subject: subject,
    Call_Type: 'Inbound',
    Call_Start_Time: formatZohoDateTime(ctx.clock.now() - 10 * 60_000, 'UTC'),
    Call_Duration: '01:02',
    Description: 'Created by zoho-crm-connector diagnose({ write: true }) to read the duration back.',
  };
  let id: string | undefined;
  try {
    const created = await create(ctx, 'Calls', record, { field: 'Subject', value: subject });
    id = created.id;
    result.cleanup = created.cleanup;
    if (!id || created.error) {
      result.error = created.error;
      result.mandatoryMissing = created.mandatoryMissing;
      return result;
    }
    const stored = await getRecord(ctx.http, 'Calls', id, ctx.signal);
    const seconds = stored?.Call_Duration_in_seconds;
    result.hasSecondsField = stored !== undefined && 'Call_Duration_in_seconds' in stored;
    result.seconds =
      typeof seconds === 'number'
        ? seconds
        : typeof seconds === 'string' && /^\d+$/.test(seconds)
          ? Number(seconds)
          : undefined;
  } catch (error) {
    result.error = describe(error, ctx.signal);
  } finally {
    if (id) result.cleanup = await remove(ctx, 'Calls', id);
  }
  return result;
}

// --- Internal helpers ---

async function findsLead(ctx: ProbeContext, term: string, id: string): Promise<boolean> {
  const page = await searchRecords(
    ctx.http,
    'Leads',
    { phone: term },
    { fields: ['Last_Name'], perPage: 200, ...(ctx.signal ? { signal: ctx.signal } : {}) },
  );
  return page.records.some((r) => r.id === id);
}

interface Created {
  id: string | undefined;
  error?: string;
  mandatoryMissing: string[];
  cleanup: Cleanup;
}

/**
 * Inserts one test record (no workflow, approval or blueprint runs). When the answer is lost the record
 * may exist: it is looked for by its unique name so it can still be deleted.
 */
async function create(
  ctx: ProbeContext,
  module: 'Leads' | 'Calls',
  record: Record<string, unknown>,
  unique: { field: string; value: string },
): Promise<Created> {
  let outcome: WriteOutcome | undefined;
  try {
    [outcome] = await insertRecords(ctx.http, module, [record], {
      trigger: TRIGGER_NONE,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  } catch (error) {
    if (!outcomeUnknown(error))
      return {
        id: undefined,
        error: describe(error),
        mandatoryMissing: [],
        cleanup: { id: undefined, clean: true },
      };
    const id = await findByName(ctx, module, unique).catch(() => undefined);
    const cleanup: Cleanup = id
      ? { id, clean: false }
      : {
          id: undefined,
          clean: false,
          problem: `the test record may exist: look for "${unique.value}" in ${module} and delete it`,
        };
    return { id, error: describe(error), mandatoryMissing: [], cleanup };
  }
  if (outcome?.ok) return { id: outcome.id, mandatoryMissing: [], cleanup: { id: outcome.id, clean: false } };
  const field = typeof outcome?.details.api_name === 'string' ? outcome.details.api_name : undefined;
  return {
    id: undefined,
    error: outcome ? `${outcome.code}: ${outcome.message}${field ? ` (${field})` : ''}` : 'no result',
    mandatoryMissing: outcome?.code === 'MANDATORY_NOT_FOUND' && field ? [field] : [],
    cleanup: { id: undefined, clean: true },
  };
}

async function findByName(
  ctx: ProbeContext,
  module: string,
  unique: { field: string; value: string },
): Promise<string | undefined> {
  const criteria = `(${unique.field}:equals:${unique.value.replace(/[(),\\]/g, (c) => `\\${c}`)})`;
  const page = await searchRecords(ctx.http, module, { criteria }, { fields: [unique.field] });
  return page.records.find((r) => r[unique.field] === unique.value)?.id;
}

/** Deletes a test record without the caller's signal (an aborted run still cleans up), within the client's deadline. */
async function remove(ctx: ProbeContext, module: 'Leads' | 'Calls', id: string): Promise<Cleanup> {
  try {
    const outcome = await deleteRecord(ctx.http, module, id);
    // A retried delete whose first answer was lost finds nothing left to delete: that is clean too.
    if (outcome.ok || !(await getRecord(ctx.http, module, id))) return { id, clean: true };
    return {
      id,
      clean: false,
      problem: `Zoho did not delete the test record ${module}/${id} (${outcome.code}): delete it by hand`,
    };
  } catch (error) {
    return {
      id,
      clean: false,
      problem: `could not delete the test record ${module}/${id} (${describe(error)}): delete it by hand`,
    };
  }
}

/** Whether an insert may have been stored although no answer says so. */
function outcomeUnknown(error: unknown): boolean {
  if (error instanceof TransportError) return !neverSent(error);
  return error instanceof ZohoApiError && error.status >= 500;
}

function describe(error: unknown, signal?: AbortSignal): string {
  if (isZohoCrmError(error)) return `${error.code}: ${error.message}`;
  return signal?.aborted ? 'ABORTED: the run was aborted' : 'unexpected error';
}
