/**
 * Which phone fields a lookup verifies and queries per module: Zoho's field metadata (custom phone
 * fields included, standard fields the org's layout lacks left out), read once per module per process
 * and kept with the calibration; the calibration's copy or the standard fields while it cannot be read.
 *
 * @module
 */
import type { CalibrationKeeper } from '../calibration/keeper.js';
import { listPhoneFields } from '../crm/fields.js';
import { ErrorCode, isZohoCrmError, TransportError, ZohoApiError, ZohoCrmError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { LookupModule } from '../options.js';
import { MODULE_FIELDS } from './modules.js';

/** How long a metadata call refused for scope or permission reasons is not asked again, in ms. */
export const REFUSED_RETRY_MS = 10 * 60_000;

/** The phone fields of one module as the lookup uses them. @internal */
export interface ModulePhoneFields {
  /** API names, the standard fields first (the first field holding the number names the match). */
  fields: readonly string[];
  /** True when the list is Zoho's metadata (read now or kept in the calibration): every phone field. */
  complete: boolean;
  /** Why the metadata could not be read; the calibration's copy or the standard fields are used. */
  error?: ZohoCrmError;
}

/** @internal */
export interface PhoneFieldResolver {
  /** The module's phone fields; never rejects except when `signal` aborted. */
  of(module: LookupModule, signal?: AbortSignal): Promise<ModulePhoneFields>;
  /** What {@link of} would answer at once, when it has the answer in hand already (no wait). */
  ready(module: LookupModule): ModulePhoneFields | undefined;
}

/** @internal */
export interface PhoneFieldResolverOptions {
  http: Parameters<typeof listPhoneFields>[0];
  /** `lookup.discoverPhoneFields`: false uses the standard fields and never reads metadata. */
  discover: boolean;
  calibration?: CalibrationKeeper | undefined;
  logger: Logger;
  now: () => number;
}

/** @internal */
export function createPhoneFieldResolver(options: PhoneFieldResolverOptions): PhoneFieldResolver {
  const { http, calibration, logger } = options;
  const read = new Map<LookupModule, Promise<ModulePhoneFields>>();
  // What a read settled with, while `read` still holds it.
  const settled = new Map<LookupModule, ModulePhoneFields>();
  const refused = new Map<LookupModule, { until: number; error: ZohoCrmError }>();

  function fallback(module: LookupModule, error: ZohoCrmError): ModulePhoneFields {
    const kept = calibration?.current().phoneFields[module];
    return kept && kept.length > 0
      ? { fields: ordered(module, kept), complete: true, error }
      : { fields: MODULE_FIELDS[module].phone, complete: false, error };
  }

  function remember(module: LookupModule, fields: readonly string[]): void {
    if (!calibration) return;
    const kept = calibration.current().phoneFields[module];
    if (kept && kept.length === fields.length && kept.every((field, i) => field === fields[i])) return;
    calibration.update({ phoneFields: { [module]: [...fields] } }).catch((error: unknown) => {
      logger.warn({ module, code: codeOf(error) }, 'cannot keep the phone fields with the calibration');
    });
  }

  function discover(module: LookupModule, signal?: AbortSignal): Promise<ModulePhoneFields> {
    return listPhoneFields(http, module, signal).then(
      (found) => {
        // A module without any phone field in its metadata is not believed: keep the standard ones.
        if (found.length === 0) return { fields: MODULE_FIELDS[module].phone, complete: false };
        const fields = ordered(module, found);
        remember(module, fields);
        return { fields, complete: true };
      },
      (error: unknown) => {
        read.delete(module);
        const failure = asLibraryError(error);
        // What would fail the lookup's own queries too fails it now (no second request into a wall).
        if (signal?.aborted || failsEveryRequest(failure)) throw error;
        const scope = isRefusal(failure);
        if (scope) refused.set(module, { until: options.now() + REFUSED_RETRY_MS, error: failure });
        logger.warn(
          { module, code: failure.code, ...(scope ? { retryInMs: REFUSED_RETRY_MS } : {}) },
          scope
            ? 'phone field discovery refused (scope or permission); custom phone fields are not searched'
            : 'phone field discovery failed',
        );
        return fallback(module, failure);
      },
    );
  }

  return {
    of(module, signal) {
      if (!options.discover) return Promise.resolve(STANDARD[module]);
      const known = read.get(module);
      if (known) return known;
      const refusal = refused.get(module);
      if (refusal && options.now() < refusal.until) return Promise.resolve(fallback(module, refusal.error));
      const pending = discover(module, signal);
      read.set(module, pending);
      pending.then(
        (found) => {
          if (read.get(module) === pending) settled.set(module, found);
        },
        () => undefined, // the caller of `of` hears of it
      );
      return pending;
    },
    ready(module) {
      return options.discover ? settled.get(module) : STANDARD[module];
    },
  };
}

/** A module's standard phone fields, for a connector that does not read the metadata. */
const STANDARD: Readonly<Record<LookupModule, Readonly<ModulePhoneFields>>> = {
  Contacts: Object.freeze({ fields: MODULE_FIELDS.Contacts.phone, complete: false }),
  Leads: Object.freeze({ fields: MODULE_FIELDS.Leads.phone, complete: false }),
  Accounts: Object.freeze({ fields: MODULE_FIELDS.Accounts.phone, complete: false }),
};

/** The standard fields the metadata lists, in their usual order, then the others as Zoho lists them. */
function ordered(module: LookupModule, found: readonly string[]): string[] {
  const standard = MODULE_FIELDS[module].phone.filter((field) => found.includes(field));
  return [...new Set([...standard, ...found])];
}

/**
 * Rate limits, a missing or rejected grant, no answer at all (network, timeout, open circuit, abort): the
 * lookup's next request would fail alike. A scope refusal or an error answer is about this endpoint only.
 */
function failsEveryRequest(error: ZohoCrmError): boolean {
  if (error.code === ErrorCode.AUTH_SCOPE_MISMATCH) return false;
  return (
    error instanceof TransportError ||
    error.code === ErrorCode.ZOHO_RATE_LIMIT ||
    error.code.startsWith('AUTH_') ||
    error.code === ErrorCode.CONNECTOR_CLOSED
  );
}

/** A refusal that will not go away by asking again: missing scope, or no permission on field metadata. */
function isRefusal(error: ZohoCrmError): boolean {
  if (error.code === ErrorCode.AUTH_SCOPE_MISMATCH) return true;
  return error instanceof ZohoApiError && (error.zohoCode === 'NO_PERMISSION' || error.status === 403);
}

function asLibraryError(error: unknown): ZohoCrmError {
  return isZohoCrmError(error)
    ? error
    : new ZohoCrmError(ErrorCode.UNEXPECTED, 'Reading the field metadata failed unexpectedly.', {
        cause: error,
      });
}

function codeOf(error: unknown): string {
  return isZohoCrmError(error) ? error.code : ErrorCode.UNEXPECTED;
}
