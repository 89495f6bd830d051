/**
 * `diagnose()`: runs the read-only checks (and, asked to, the write probes), stores what they measured
 * in the org calibration beside the tokens, and reports every check in a fixed order. A check never
 * throws: what goes wrong becomes its `fail` (or `skip`, for a missing scope).
 *
 * @module
 */
import { argumentError, kindOf, optionalInteger, optionalSignal, optionsArgument } from '../args.js';
import type { OrgCalibration } from '../calibration/calibration.js';
import type { CalibrationKeeper } from '../calibration/keeper.js';
import { getCurrentUser, listActiveUsers } from '../crm/users.js';
import { dailyCredits, type Edition } from '../editions.js';
import { ErrorCode, isZohoCrmError, RateLimitError } from '../errors.js';
import type { AccessTokenProvider, ZohoHttp } from '../http/client.js';
import type { Logger } from '../logger.js';
import type { LookupModule } from '../options.js';
import type { StoredTokens, TokenStore } from '../stores/types.js';
import {
  callDurationCheck,
  callsFieldsCheck,
  check,
  creditsCheck,
  errorCheck,
  type FieldInfo,
  indexLagCheck,
  missingScopeCheck,
  type OwnerOptions,
  phoneFieldsCheck,
  phoneSearchCheck,
  phoneSearchReading,
  scopesCheck,
  timeZoneCheck,
  unfilledMandatoryFields,
  usersCheck,
} from './checks.js';
import { type Cleanup, type ProbeContext, probeCall, probeLead, readFields } from './probes.js';
import {
  missingScopes,
  moduleScope,
  neededScopes,
  parseGrantedScopes,
  type ScopeFeatures,
} from './scopes.js';
import type {
  DiagnoseCheck,
  DiagnoseCheckId,
  DiagnoseClock,
  DiagnoseOptions,
  DiagnoseReport,
} from './types.js';

/** What `diagnose()` works with (the connector's parts). @internal */
export interface DiagnoseDeps {
  connectionId: string;
  http: ZohoHttp;
  tokens: AccessTokenProvider & { isAuthorized(): Promise<boolean> };
  store: TokenStore;
  calibration: CalibrationKeeper;
  edition: Edition;
  features: ScopeFeatures;
  journal: OwnerOptions & { timeZone?: string | undefined; dedupeField?: string | undefined };
  logger: Logger;
}

const ORDER: readonly DiagnoseCheckId[] = [
  'authorization',
  'scopes',
  'credits',
  'phone-fields',
  'calls-fields',
  'users',
  'time-zone',
  'phone-search',
  'call-duration',
  'index-lag',
];
const FIELDS_SCOPE = 'ZohoCRM.settings.fields.READ';
const USERS_SCOPE = 'ZohoCRM.users.READ';
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

/** Runs the checks. @internal */
export async function runDiagnose(deps: DiagnoseDeps, input?: DiagnoseOptions): Promise<DiagnoseReport> {
  const options = readOptions(input);
  const { signal, clock } = options;
  await deps.calibration.load();
  const checks = new Map<DiagnoseCheckId, DiagnoseCheck>();
  const put = (c: DiagnoseCheck) => checks.set(c.id, c);
  const credits = { remaining: undefined as number | undefined };
  const http = observeCredits(deps.http, credits);

  const stored = await authorization(deps, signal, put);
  if (!stored) {
    for (const id of ORDER) if (!checks.has(id)) put(check(id, 'skip', 'needs an authorized connection'));
    return report(checks, deps.calibration.current());
  }

  const granted = parseGrantedScopes(stored.scope);
  const needs = neededScopes(deps.features);
  const probeScopes = [...new Set([...LEAD_PROBE_SCOPES, ...CALL_PROBE_SCOPES])];
  put(
    scopesCheck(granted, {
      required: granted ? missingScopes(granted, needs.required) : [],
      optional: granted ? missingScopes(granted, needs.optional) : [],
      probes: granted ? missingScopes(granted, probeScopes) : [],
    }),
  );
  /** Runs `read` unless a scope it needs is known to be missing; its failure becomes the check. */
  const guarded = async (id: DiagnoseCheckId, scopes: string[], read: () => Promise<DiagnoseCheck>) => {
    const missing = granted ? missingScopes(granted, scopes) : [];
    if (missing.length > 0) return put(missingScopeCheck(id, missing));
    try {
      put(await read());
    } catch (error) {
      deps.logger.warn({ check: id, code: (error as { code?: unknown }).code }, 'diagnose check failed');
      put(errorCheck(id, error, scopes));
    }
  };

  const patch: Partial<OrgCalibration> = {};
  let callsFields: FieldInfo[] | undefined;
  let activeUsers = 1;
  await Promise.all([
    guarded('phone-fields', [FIELDS_SCOPE], async () => {
      const modules = deps.features.lookupOrder;
      const lists = await Promise.all(modules.map((m) => readFields(http, m, signal)));
      const fields = Object.fromEntries(modules.map((m, i) => [m, lists[i] ?? []])) as Record<
        LookupModule,
        FieldInfo[]
      >;
      const result = phoneFieldsCheck(fields);
      patch.phoneFields = result.details?.phoneFields as OrgCalibration['phoneFields'];
      return result;
    }),
    guarded('calls-fields', [FIELDS_SCOPE], async () => {
      callsFields = await readFields(http, 'Calls', signal);
      const unfilled = unfilledMandatoryFields(callsFields, deps.journal.dedupeField);
      patch.callsMandatoryFields = unfilled;
      return callsFieldsCheck(callsFields, unfilled, deps.features.journal);
    }),
    guarded('users', [USERS_SCOPE], async () => {
      const users = await listActiveUsers(http, signal);
      activeUsers = Math.max(1, users.length);
      return usersCheck(users, deps.journal);
    }),
    guarded('time-zone', [USERS_SCOPE], async () =>
      timeZoneCheck(await getCurrentUser(http, signal), deps.journal.timeZone),
    ),
  ]);

  if (!options.write) {
    for (const id of ['phone-search', 'call-duration', 'index-lag'] as const) {
      put(check(id, 'skip', 'a write probe: run diagnose({ write: true }) (doctor --write) to measure it'));
    }
  } else if (!granted) {
    const why =
      'Zoho did not report the granted scopes, so the DELETE scopes that remove the test records cannot be confirmed';
    for (const id of ['phone-search', 'call-duration', 'index-lag'] as const) put(check(id, 'skip', why));
  } else {
    const ctx: ProbeContext = { http, clock, signal, runId: runId() };
    await leadChecks(ctx, missingScopes(granted, LEAD_PROBE_SCOPES), options.maxIndexWaitMs, put, patch);
    await callChecks(ctx, missingScopes(granted, CALL_PROBE_SCOPES), put, patch, callsFields, deps);
  }

  put(creditsCheck(credits.remaining, dailyCredits(deps.edition, activeUsers)));
  let calibration = deps.calibration.current();
  if (Object.keys(patch).length > 0) {
    try {
      calibration = await deps.calibration.update(patch);
    } catch (error) {
      deps.logger.warn({ code: (error as { code?: unknown }).code }, 'cannot store the calibration');
      calibration = deps.calibration.current();
    }
  }
  return report(checks, calibration);
}

async function authorization(
  deps: DiagnoseDeps,
  signal: AbortSignal | undefined,
  put: (c: DiagnoseCheck) => void,
): Promise<StoredTokens | undefined> {
  try {
    const stored = await deps.store.get(deps.connectionId);
    if (!stored) {
      put(
        check(
          'authorization',
          'fail',
          'not authorized: no tokens are stored for this connection (the admin must click Authorize)',
          { code: ErrorCode.AUTH_NOT_CONNECTED },
        ),
      );
      return undefined;
    }
    if (!(await deps.tokens.isAuthorized())) {
      put(
        check(
          'authorization',
          'fail',
          'the Zoho grant was lost (revoked or expired): the admin must click Authorize again',
          { code: ErrorCode.AUTH_INVALID_GRANT },
        ),
      );
      return undefined;
    }
    await deps.tokens.getAccessToken(signal);
    const since = new Date(stored.grantedAt).toISOString();
    put(
      check('authorization', 'pass', `authorized in region ${stored.region} since ${since}`, {
        region: stored.region,
        apiDomain: stored.apiDomain,
        grantedAt: since,
      }),
    );
    return (await deps.store.get(deps.connectionId)) ?? stored;
  } catch (error) {
    const code = isZohoCrmError(error) ? error.code : ErrorCode.UNEXPECTED;
    const message = isZohoCrmError(error) ? error.message : 'unexpected error';
    put(check('authorization', 'fail', `${code}: ${message}`, { code }));
    return undefined;
  }
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
  const why = `could not measure with a test Lead: ${probe.error ?? 'unknown error'}`;
  put(withCleanup(check('phone-search', 'warn', why), probe.cleanup));
  put(check('index-lag', 'warn', why));
}

async function callChecks(
  ctx: ProbeContext,
  missing: string[],
  put: (c: DiagnoseCheck) => void,
  patch: Partial<OrgCalibration>,
  callsFields: FieldInfo[] | undefined,
  deps: DiagnoseDeps,
): Promise<void> {
  if (missing.length > 0) return void put(missingScopeCheck('call-duration', missing));
  const probe = await probeCall(ctx);
  if (probe.mandatoryMissing.length > 0) {
    // A mandatory field the metadata did not show (a layout rule): the journal's inserts fail the same way.
    const unfilled = [...new Set([...(patch.callsMandatoryFields ?? []), ...probe.mandatoryMissing])];
    patch.callsMandatoryFields = unfilled;
    put(callsFieldsCheck(callsFields ?? [], unfilled, deps.features.journal));
    const summary = `Zoho refused a test Call without ${probe.mandatoryMissing.join(', ')}, which the journal does not fill`;
    return void put(
      withCleanup(check('call-duration', 'fail', summary, { error: probe.error }), probe.cleanup),
    );
  }
  if (probe.error) {
    return void put(
      withCleanup(
        check('call-duration', 'warn', `could not measure with a test Call: ${probe.error}`),
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

/** A probe that may have left its test record behind fails, whatever it measured. */
function withCleanup(result: DiagnoseCheck, cleanup: Cleanup): DiagnoseCheck {
  if (cleanup.clean) return result;
  const problem = cleanup.problem ?? 'the test record may be left behind';
  return {
    ...result,
    status: 'fail',
    summary: `${result.summary}; ${problem}`,
    details: { ...result.details, leftBehind: cleanup.id ?? null },
  };
}

function report(checks: Map<DiagnoseCheckId, DiagnoseCheck>, calibration: OrgCalibration): DiagnoseReport {
  const list = ORDER.map((id) => checks.get(id) ?? check(id, 'skip', 'not run'));
  return { ok: list.every((c) => c.status !== 'fail'), checks: list, calibration };
}

/** Notes `X-API-CREDITS-REMAINING` from every answer (and every 429) of this run. */
function observeCredits(http: ZohoHttp, seen: { remaining: number | undefined }): ZohoHttp {
  return {
    async request(req) {
      try {
        const response = await http.request(req);
        const value = response.headers.get('x-api-credits-remaining')?.trim();
        if (value && /^\d+$/.test(value)) seen.remaining = Number(value);
        return response;
      } catch (error) {
        if (error instanceof RateLimitError && error.creditsRemaining !== undefined)
          seen.remaining = error.creditsRemaining;
        throw error;
      }
    },
    get queued() {
      return http.queued;
    },
  };
}

interface ReadOptions {
  write: boolean;
  maxIndexWaitMs: number;
  signal: AbortSignal | undefined;
  clock: DiagnoseClock;
}

function readOptions(input: unknown): ReadOptions {
  const method = 'diagnose';
  const raw = optionsArgument(input, method, ['write', 'maxIndexWaitMs', 'signal', 'clock']);
  if (raw.write !== undefined && typeof raw.write !== 'boolean') {
    throw argumentError(method, 'write', `must be a boolean (received ${kindOf(raw.write)})`);
  }
  const clock = raw.clock as DiagnoseClock | undefined;
  if (clock !== undefined && (typeof clock?.now !== 'function' || typeof clock?.sleep !== 'function')) {
    throw argumentError(method, 'clock', 'must have now() and sleep(ms, signal) functions');
  }
  return {
    write: raw.write === true,
    maxIndexWaitMs: optionalInteger(raw.maxIndexWaitMs, method, 'maxIndexWaitMs', 1_000, 600_000) ?? 60_000,
    signal: optionalSignal(raw.signal, method, 'signal'),
    clock: clock ?? systemClock,
  };
}

const systemClock: DiagnoseClock = {
  now: Date.now,
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', abort);
        resolve();
      }, ms);
      const abort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', abort, { once: true });
    }),
};

function runId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, '0')).join(
    '',
  );
}
