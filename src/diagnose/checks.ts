import type { ZohoUser } from '../crm/schemas.js';
import { ErrorCode, isZohoCrmError } from '../errors.js';
import { STATUS_FIELD_CANDIDATES } from '../journal/org-settings.js';
import { isValidTimeZone } from '../journal/zoho-time.js';
import { MODULE_FIELDS } from '../lookup/modules.js';
import type { LookupModule } from '../options.js';
import type { DiagnoseCheck, DiagnoseCheckId } from './types.js';

/** A field as `GET /settings/fields` describes it. @internal */
export interface FieldInfo {
  apiName: string;
  dataType: string;
  mandatory: boolean;
  readOnly: boolean;
}

/** Calls fields every journal insert fills (Zoho fills `Owner` with the authorizing user when none is mapped). @internal */
export const JOURNAL_FILLED_FIELDS: readonly string[] = Object.freeze([
  'Subject',
  'Call_Type',
  'Call_Start_Time',
  'Call_Duration',
  'Call_Duration_in_seconds',
  'Description',
  'Owner',
  'Who_Id',
  'What_Id',
  'Caller_ID',
  'Dialled_Number',
  'Voice_Recording__s',
]);

/** The `phone-fields` check: a standard phone field missing is a gap; custom ones are listed. @internal */
export function phoneFieldsCheck(fields: Partial<Record<LookupModule, FieldInfo[]>>): DiagnoseCheck {
  const phoneFields: Record<string, string[]> = {};
  const missing: string[] = [];
  const custom: string[] = [];
  for (const [module, list] of Object.entries(fields) as [LookupModule, FieldInfo[]][]) {
    const phones = list.filter((f) => f.dataType === 'phone').map((f) => f.apiName);
    phoneFields[module] = phones;
    for (const name of MODULE_FIELDS[module].phone)
      if (!phones.includes(name)) missing.push(`${module}.${name}`);
    for (const name of phones)
      if (!MODULE_FIELDS[module].phone.includes(name)) custom.push(`${module}.${name}`);
  }
  const details = { phoneFields, missingStandard: missing, custom };
  const count = Object.values(phoneFields).reduce((n, list) => n + list.length, 0);
  const extra = custom.length > 0 ? `, custom: ${custom.join(', ')}` : '';
  if (missing.length > 0) {
    return check(
      'phone-fields',
      'warn',
      `standard phone fields absent: ${missing.join(', ')}${extra}`,
      details,
    );
  }
  return check('phone-fields', 'pass', `${count} phone fields${extra}`, details);
}

/** Mandatory, writable Calls fields that no journal insert fills. @internal */
export function unfilledMandatoryFields(
  fields: readonly FieldInfo[],
  dedupeField: string | undefined,
  /** Fields `journal.fields` fills. */
  byOption: readonly string[] = [],
): string[] {
  const filled = new Set([...JOURNAL_FILLED_FIELDS, ...(dedupeField ? [dedupeField] : []), ...byOption]);
  return fields.filter((f) => f.mandatory && !f.readOnly && !filled.has(f.apiName)).map((f) => f.apiName);
}

/** The `calls-fields` check. @internal */
export function callsFieldsCheck(
  fields: readonly FieldInfo[],
  unfilled: readonly string[],
  journalEnabled: boolean,
): DiagnoseCheck {
  const names = new Set(fields.map((f) => f.apiName));
  const details = {
    mandatoryUnfilled: [...unfilled],
    statusField: STATUS_FIELD_CANDIDATES.find((name) => names.has(name)) ?? null,
    durationInSeconds: names.has('Call_Duration_in_seconds'),
  };
  if (unfilled.length > 0) {
    const status = journalEnabled ? 'fail' : 'warn';
    const effect = journalEnabled ? 'Zoho refuses the journal' : 'Zoho would refuse the journal';
    return check(
      'calls-fields',
      status,
      `mandatory Calls fields the journal does not fill: ${unfilled.join(', ')} (${effect}'s inserts)`,
      details,
    );
  }
  return check('calls-fields', 'pass', 'the journal fills every mandatory Calls field', details);
}

/** The journal's owner options, checked against the active users. @internal */
export interface OwnerOptions {
  agents?: Readonly<Record<string, string>> | undefined;
  fallbackOwnerId?: string | undefined;
  userExtensionField?: string | undefined;
}

/** The `users` check. @internal */
export function usersCheck(users: readonly ZohoUser[], owners: OwnerOptions): DiagnoseCheck {
  const ids = new Set(users.map((u) => u.id));
  const unknownAgents = Object.entries(owners.agents ?? {})
    .filter(([, id]) => !ids.has(id))
    .map(([agent]) => agent);
  const field = owners.userExtensionField;
  const withExtension = field
    ? users.filter((u) => typeof u[field] === 'string' && (u[field] as string) !== '').length
    : undefined;
  const details: Record<string, unknown> = {
    activeUsers: users.length,
    withEmail: users.filter((u) => u.email).length,
    ...(withExtension === undefined ? {} : { withExtension }),
    unknownAgents,
  };
  const problems: string[] = [];
  if (unknownAgents.length > 0)
    problems.push(`journal.agents names users that are not active: ${unknownAgents.join(', ')}`);
  if (owners.fallbackOwnerId && !ids.has(owners.fallbackOwnerId))
    problems.push('journal.fallbackOwnerId is not an active user');
  if (field && withExtension === 0) problems.push(`no active user has ${field} set`);
  const summary = `${users.length} active user${users.length === 1 ? '' : 's'} to own call activities`;
  if (problems.length > 0) return check('users', 'warn', `${summary}; ${problems.join('; ')}`, details);
  return check('users', 'pass', summary, details);
}

/** The `time-zone` check. @internal */
export function timeZoneCheck(user: ZohoUser | undefined, configured: string | undefined): DiagnoseCheck {
  const zone = user?.time_zone;
  const details = { userTimeZone: zone ?? null, configured: configured ?? null };
  if (configured)
    return check(
      'time-zone',
      'pass',
      `call start times use journal.timeZone ${configured} (Zoho user: ${zone ?? 'none'})`,
      details,
    );
  if (!zone || !isValidTimeZone(zone)) {
    return check(
      'time-zone',
      'warn',
      `the authorizing user has no usable time zone (${zone ?? 'none'}): call start times are written in UTC`,
      details,
    );
  }
  return check(
    'time-zone',
    'pass',
    `call start times are written in ${zone}, the authorizing user's time zone`,
    details,
  );
}

/** The `credits` check. @internal */
export function creditsCheck(remaining: number | undefined, estimatedDaily: number): DiagnoseCheck {
  const details = { remaining: remaining ?? null, estimatedDaily };
  if (remaining === undefined) {
    return check(
      'credits',
      'skip',
      "Zoho did not report remaining credits (X-API-CREDITS-REMAINING comes only once half the day's credits are used)",
      details,
    );
  }
  if (remaining < estimatedDaily * 0.1) {
    return check(
      'credits',
      'warn',
      `${remaining} API credits left today (under 10% of about ${estimatedDaily})`,
      details,
    );
  }
  return check('credits', 'pass', `${remaining} API credits left today`, details);
}

/** The `scopes` check. @internal */
export function scopesCheck(
  granted: readonly string[] | undefined,
  missing: { required: string[]; optional: string[]; probes: string[] },
): DiagnoseCheck {
  if (!granted) {
    return check(
      'scopes',
      'warn',
      'Zoho did not report the granted scopes: each check finds out for itself',
      {},
    );
  }
  const details = {
    granted: [...granted],
    missingRequired: missing.required,
    missingOptional: missing.optional,
    missingForWriteProbes: missing.probes,
  };
  if (missing.required.length > 0) {
    return check(
      'scopes',
      'fail',
      `missing scopes the configured features need: ${missing.required.join(', ')} (authorize again)`,
      details,
    );
  }
  if (missing.optional.length > 0) {
    return check('scopes', 'warn', `missing optional scopes: ${missing.optional.join(', ')}`, details);
  }
  return check(
    'scopes',
    'pass',
    `${granted.length} scopes granted; the configured features need no more`,
    details,
  );
}

/** A check skipped because a scope is missing. @internal */
export function missingScopeCheck(id: DiagnoseCheckId, scopes: readonly string[]): DiagnoseCheck {
  return check(id, 'skip', `needs the scope ${scopes.join(', ')}, which was not granted`, {
    missingScopes: [...scopes],
  });
}

/**
 * A check whose reading failed: a scope Zoho refused is a `skip` naming the scope; anything else
 * (Zoho unreachable, authorization lost) is a `fail` with the error's code.
 * @internal
 */
export function errorCheck(id: DiagnoseCheckId, error: unknown, scopes: readonly string[]): DiagnoseCheck {
  const code = isZohoCrmError(error) ? error.code : ErrorCode.UNEXPECTED;
  if (code === ErrorCode.AUTH_SCOPE_MISMATCH) {
    return check(id, 'skip', `Zoho refused it for a missing scope (needs ${scopes.join(', ')})`, {
      missingScopes: [...scopes],
      code,
    });
  }
  const message = isZohoCrmError(error) ? error.message : 'unexpected error';
  return check(id, 'fail', `${code}: ${message}`, { code });
}

/** Builds a check, leaving `details` out when empty. @internal */
export function check(
  id: DiagnoseCheckId,
  status: DiagnoseCheck['status'],
  summary: string,
  details?: Record<string, unknown>,
): DiagnoseCheck {
  return details && Object.keys(details).length > 0
    ? { id, status, summary, details }
    : { id, status, summary };
}
