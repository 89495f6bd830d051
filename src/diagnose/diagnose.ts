/**
 * `diagnose()`: runs the read-only checks (and, asked to, the write probes), stores what they measured
 * in the org calibration beside the tokens, and reports every check in a fixed order. A check never
 * throws: what goes wrong becomes its `fail` (or `skip`, for a missing scope).
 *
 * @module
 */
import type { OrgCalibration } from '../calibration/calibration.js';
import type { CalibrationKeeper } from '../calibration/keeper.js';
import { getCurrentUser, listActiveUsers } from '../crm/users.js';
import { dailyCredits, type Edition } from '../editions.js';
import { ErrorCode, isZohoCrmError, RateLimitError } from '../errors.js';
import type { AccessTokenProvider, ZohoHttp } from '../http/client.js';
import { raceDeadline } from '../http/signals.js';
import type { JournalFieldsFunction } from '../journal/map-fields.js';
import type { Logger } from '../logger.js';
import type { LookupModule } from '../options.js';
import type { StoredTokens, TokenStore } from '../stores/types.js';
import {
  callsFieldsCheck,
  check,
  creditsCheck,
  errorCheck,
  type FieldInfo,
  missingScopeCheck,
  type OwnerOptions,
  phoneFieldsCheck,
  scopesCheck,
  timeZoneCheck,
  unfilledMandatoryFields,
  usersCheck,
} from './checks.js';
import { fieldsFilledByOption } from './fields-option.js';
import { readOptions } from './options.js';
import { readFields } from './probes.js';
import { missingScopes, neededScopes, parseGrantedScopes, type ScopeFeatures } from './scopes.js';
import type { DiagnoseCheck, DiagnoseCheckId, DiagnoseOptions, DiagnoseReport } from './types.js';
import { probeScopes, runWriteProbes } from './write-checks.js';

/** What `diagnose()` works with (the connector's parts). @internal */
export interface DiagnoseDeps {
  connectionId: string;
  http: ZohoHttp;
  tokens: AccessTokenProvider & { isAuthorized(): Promise<boolean> };
  store: TokenStore;
  calibration: CalibrationKeeper;
  edition: Edition;
  features: ScopeFeatures;
  journal: OwnerOptions & {
    timeZone?: string | undefined;
    dedupeField?: string | undefined;
    fields?: JournalFieldsFunction | undefined;
  };
  logger: Logger;
  /** The HTTP client's operation deadline: the longest wait on the token store. */
  deadlineMs: number;
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

/** Runs the checks. @internal */
export async function runDiagnose(deps: DiagnoseDeps, input?: DiagnoseOptions): Promise<DiagnoseReport> {
  const options = readOptions(input);
  const { signal, clock } = options;
  await bounded(deps.calibration.load(), deps, signal);
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
  put(
    scopesCheck(granted, {
      required: granted ? missingScopes(granted, needs.required) : [],
      optional: granted ? missingScopes(granted, needs.optional) : [],
      probes: granted ? missingScopes(granted, probeScopes()) : [],
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
  const byOption = fieldsFilledByOption(deps.journal.fields);
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
      const unfilled = unfilledMandatoryFields(callsFields, deps.journal.dedupeField, Object.keys(byOption));
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
  } else {
    await runWriteProbes({
      ctx: { http, clock, signal },
      granted,
      maxIndexWaitMs: options.maxIndexWaitMs,
      put,
      patch,
      callsFields,
      filledByOption: byOption,
      journalEnabled: deps.features.journal,
    });
  }

  put(creditsCheck(credits.remaining, dailyCredits(deps.edition, activeUsers)));
  return report(checks, await keep(deps, patch, signal));
}

/**
 * Stores what was measured with the tokens; when the store cannot keep it (down, hung past the deadline)
 * the report still shows it.
 */
async function keep(
  deps: DiagnoseDeps,
  patch: Partial<OrgCalibration>,
  signal: AbortSignal | undefined,
): Promise<OrgCalibration> {
  const current = deps.calibration.current();
  if (Object.keys(patch).length === 0) return current;
  try {
    const raced = await bounded(deps.calibration.update(patch), deps, signal);
    if ('value' in raced) return raced.value;
    deps.logger.warn({ cause: raced.cause }, 'the calibration was not stored in time');
  } catch (error) {
    deps.logger.warn({ code: (error as { code?: unknown }).code }, 'cannot store the calibration');
  }
  return { ...current, ...patch, sources: { ...current.sources, ...patch.sources } };
}

/** Reads the stored grant and gets an access token (refreshed if due), within the client's deadline. */
async function authorization(
  deps: DiagnoseDeps,
  signal: AbortSignal | undefined,
  put: (c: DiagnoseCheck) => void,
): Promise<StoredTokens | undefined> {
  const fail = (summary: string, code: string) => {
    put(check('authorization', 'fail', summary, { code }));
    return undefined;
  };
  const steps = async (): Promise<StoredTokens | undefined> => {
    const stored = await deps.store.get(deps.connectionId);
    if (!stored) {
      return fail(
        'not authorized: no tokens are stored for this connection (the admin must click Authorize)',
        ErrorCode.AUTH_NOT_CONNECTED,
      );
    }
    if (!(await deps.tokens.isAuthorized())) {
      return fail(
        'the Zoho grant was lost (revoked or expired): the admin must click Authorize again',
        ErrorCode.AUTH_INVALID_GRANT,
      );
    }
    await deps.tokens.getAccessToken(signal);
    const since = new Date(stored.grantedAt).toISOString();
    const summary = `authorized in region ${stored.region} since ${since}`;
    put(
      check('authorization', 'pass', summary, {
        region: stored.region,
        apiDomain: stored.apiDomain,
        grantedAt: since,
      }),
    );
    return (await deps.store.get(deps.connectionId)) ?? stored;
  };
  try {
    const raced = await bounded(steps(), deps, signal);
    if ('value' in raced) return raced.value;
    const code = raced.cause === 'aborted' ? ErrorCode.ABORTED : ErrorCode.DEADLINE_EXCEEDED;
    return fail(`${code}: the token store or Zoho's accounts server did not answer in time`, code);
  } catch (error) {
    const code = isZohoCrmError(error) ? error.code : ErrorCode.UNEXPECTED;
    return fail(`${code}: ${isZohoCrmError(error) ? error.message : 'unexpected error'}`, code);
  }
}

/** Waits for the token store (which takes no signal) no longer than one HTTP operation may take. */
function bounded<T>(work: Promise<T>, deps: DiagnoseDeps, signal: AbortSignal | undefined) {
  return raceDeadline(work, performance.now() + deps.deadlineMs, signal);
}

function report(checks: Map<DiagnoseCheckId, DiagnoseCheck>, calibration: OrgCalibration): DiagnoseReport {
  const list = ORDER.map((id) => checks.get(id) ?? check(id, 'skip', 'not run'));
  return { ok: list.every((c) => c.status !== 'fail'), checks: list, calibration };
}

/** Notes `X-API-CREDITS-REMAINING` from every answer (and every 429) of this run. */
function observeCredits(http: ZohoHttp, seen: { remaining: number | undefined }): ZohoHttp {
  return {
    async request(req, circuit) {
      try {
        const response = await http.request(req, circuit);
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
