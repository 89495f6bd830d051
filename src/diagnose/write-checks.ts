/**
 * `diagnose({ write: true })`: runs the Lead and Call probes whose scopes are granted and turns what
 * they measured into checks and calibration.
 *
 * @module
 */
import type { OrgCalibration } from '../calibration/calibration.js';
import { callsFieldsCheck, check, type FieldInfo, missingScopeCheck } from './checks.js';
import {
  callDurationCheck,
  indexLagCheck,
  phoneSearchCheck,
  phoneSearchReading,
  withCleanup,
} from './probe-checks.js';
import { type ProbeContext, probeCall, probeLead } from './probes.js';
import { missingScopes, moduleScope } from './scopes.js';
import type { DiagnoseCheck } from './types.js';

const LEAD_PROBE_SCOPES = [
  moduleScope('Leads', 'CREATE'),
  moduleScope('Leads', 'READ'),
  moduleScope('Leads', 'DELETE'),
  'ZohoSearch.securesearch.READ',
];
const CALL_PROBE_SCOPES = [
  moduleScope('Calls', 'CREATE'),
  moduleScope('Calls', 'READ'),
  moduleScope('Calls', 'DELETE'),
];

/** What the write probes work with. @internal */
export interface WriteProbeInput {
  ctx: Omit<ProbeContext, 'runId'>;
  /** Granted scopes (the probes run only when their DELETE scopes are known to be granted). */
  granted: readonly string[] | undefined;
  maxIndexWaitMs: number;
  put: (check: DiagnoseCheck) => void;
  patch: Partial<OrgCalibration>;
  /** The Calls field metadata, when it was read. */
  callsFields: FieldInfo[] | undefined;
  /** Fields `journal.fields` fills on every call. */
  filledByOption?: Record<string, unknown> | undefined;
  journalEnabled: boolean;
}

/** Every scope a write probe needs. @internal */
export function probeScopes(): string[] {
  return [...new Set([...LEAD_PROBE_SCOPES, ...CALL_PROBE_SCOPES])];
}

/** Runs the write probes (or says why not), one after the other. @internal */
export async function runWriteProbes(input: WriteProbeInput): Promise<void> {
  const { granted, put, patch } = input;
  if (!granted) {
    const why =
      'Zoho did not report the granted scopes, so the DELETE scopes that remove the test records cannot be confirmed';
    for (const id of ['phone-search', 'call-duration', 'index-lag'] as const) put(check(id, 'skip', why));
    return;
  }
  const ctx: ProbeContext = { ...input.ctx, runId: runId(), callFields: input.filledByOption };
  const aborted = (ids: readonly ('phone-search' | 'call-duration' | 'index-lag')[]) => {
    if (!ctx.signal?.aborted) return false;
    for (const id of ids) put(check(id, 'fail', 'ABORTED: the run was aborted before this probe'));
    return true;
  };
  if (aborted(['phone-search', 'index-lag', 'call-duration'])) return;
  await leadChecks(ctx, missingScopes(granted, LEAD_PROBE_SCOPES), input.maxIndexWaitMs, put, patch);
  if (aborted(['call-duration'])) return;
  await callChecks(
    ctx,
    missingScopes(granted, CALL_PROBE_SCOPES),
    put,
    patch,
    input.callsFields,
    input.journalEnabled,
  );
}

async function leadChecks(
  ctx: ProbeContext,
  missing: string[],
  maxWaitMs: number,
  put: (c: DiagnoseCheck) => void,
  patch: Partial<OrgCalibration>,
): Promise<void> {
  if (missing.length > 0) {
    put(missingScopeCheck('phone-search', missing));
    put(missingScopeCheck('index-lag', missing));
    return;
  }
  const probe = await probeLead(ctx, maxWaitMs);
  if (probe.hits) {
    const search = phoneSearchCheck(probe.hits, probe.terms);
    put(withCleanup(search, probe.cleanup));
    put(indexLagCheck(probe.lagMs, probe.waitedMs));
    const reading = phoneSearchReading(probe.hits);
    if (reading !== 'unknown') {
      patch.phoneSearch = reading;
      patch.sources = { ...patch.sources, phoneSearch: 'diagnose' };
    }
    if (probe.lagMs !== undefined) {
      patch.indexLagMs = probe.lagMs;
      patch.sources = { ...patch.sources, indexLagMs: 'diagnose' };
    }
    return;
  }
  // A run cut short fails; a probe Zoho would not let finish only leaves the reading unknown.
  const status = ctx.signal?.aborted ? 'fail' : 'warn';
  const why = `could not measure with a test Lead: ${probe.error ?? 'unknown error'}`;
  put(withCleanup(check('phone-search', status, why), probe.cleanup));
  put(check('index-lag', status, why));
}

async function callChecks(
  ctx: ProbeContext,
  missing: string[],
  put: (c: DiagnoseCheck) => void,
  patch: Partial<OrgCalibration>,
  callsFields: FieldInfo[] | undefined,
  journalEnabled: boolean,
): Promise<void> {
  if (missing.length > 0) return void put(missingScopeCheck('call-duration', missing));
  const probe = await probeCall(ctx);
  if (probe.mandatoryMissing.length > 0) {
    // A mandatory field the metadata did not show (a layout rule): the journal's inserts fail the same way.
    const unfilled = [...new Set([...(patch.callsMandatoryFields ?? []), ...probe.mandatoryMissing])];
    patch.callsMandatoryFields = unfilled;
    put(callsFieldsCheck(callsFields ?? [], unfilled, journalEnabled));
    const summary = `Zoho refused a test Call without ${probe.mandatoryMissing.join(', ')}, which the journal does not fill`;
    return void put(
      withCleanup(check('call-duration', 'fail', summary, { error: probe.error }), probe.cleanup),
    );
  }
  if (probe.error) {
    return void put(
      withCleanup(
        check(
          'call-duration',
          ctx.signal?.aborted ? 'fail' : 'warn',
          `could not measure with a test Call: ${probe.error}`,
        ),
        probe.cleanup,
      ),
    );
  }
  const result = callDurationCheck(probe.seconds, probe.hasSecondsField);
  put(withCleanup(result, probe.cleanup));
  const reading = result.details?.reading;
  if (reading === 'mm:ss' || reading === 'HH:mm') {
    patch.durationFormat = reading;
    patch.sources = { ...patch.sources, durationFormat: 'diagnose' };
  }
}

// --- Internal helpers ---

function runId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, '0')).join(
    '',
  );
}
