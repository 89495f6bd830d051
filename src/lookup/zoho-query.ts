/**
 * One Zoho query of a caller's number: the lookup modules in the configured order, one after another or
 * all at once (`lookup.strategy`), the highest-priority match winning. Each module is asked with its phone
 * fields (the field metadata, else the calibration or the standard ones) and the org's phone-search
 * reading; what a query learns about the reading goes back to the org's knowledge.
 *
 * @module
 */
import type { CalibrationKeeper } from '../calibration/keeper.js';
import type { ZohoCrmError } from '../errors.js';
import type { ZohoHttp } from '../http/client.js';
import type { Logger } from '../logger.js';
import type { LookupModule, ResolvedConnectorOptions } from '../options.js';
import type { Region } from '../regions.js';
import { type CoqlMemo, queryModule } from './module-query.js';
import type { OrgKnowledge } from './org-knowledge.js';
import type { ModulePhoneFields, PhoneFieldResolver } from './phone-fields.js';
import type { CallerMatch } from './types.js';

/**
 * The answer to a lookup's query of a number: the match, the modules asked, and why custom phone fields
 * were not known; `sharedCache` when the engine answered from Redis instead of asking Zoho.
 * @internal
 */
export interface QueryResult {
  match: CallerMatch | null;
  modules: LookupModule[];
  fieldsError?: ZohoCrmError;
  /** Set when the answer came from the shared cache (Zoho was not asked). */
  sharedCache?: true;
}

/** What the modules of one query report beside their answers. */
interface QueryNotes {
  fieldsError?: ZohoCrmError;
}

/** @internal */
export interface ZohoQueryOptions {
  http: ZohoHttp;
  lookup: ResolvedConnectorOptions['lookup'];
  /** The connection's current data centre. */
  region: () => Region;
  logger: Logger;
  phoneFields: PhoneFieldResolver;
  org: OrgKnowledge;
  memo: CoqlMemo;
  calibration?: CalibrationKeeper | undefined;
  /**
   * Keeps a module's search in the engine's background work until it settles (the parallel strategy
   * leaves lower-priority modules running after a higher one answered).
   */
  track<T>(work: Promise<T>): Promise<T>;
}

/**
 * Creates the query: `(e164, signal)` asks Zoho with the engine's `signal`, which it aborts on
 * `close()`.
 * @internal
 */
export function createZohoQuery(
  options: ZohoQueryOptions,
): (e164: string, signal: AbortSignal) => Promise<QueryResult> {
  const { http, lookup, logger, phoneFields, org, memo, track } = options;
  const keeper = options.calibration;

  /** Asks one module; with its phone fields in hand already (every query after the first), at once. */
  function askModule(
    module: LookupModule,
    e164: string,
    notes: QueryNotes,
    signal: AbortSignal,
  ): Promise<CallerMatch | undefined> {
    const phone = phoneFields.ready(module);
    if (phone) return askWith(phone, module, e164, notes, signal);
    return phoneFields.of(module, signal).then((read) => askWith(read, module, e164, notes, signal));
  }

  function askWith(
    phone: ModulePhoneFields,
    module: LookupModule,
    e164: string,
    notes: QueryNotes,
    signal: AbortSignal,
  ): Promise<CallerMatch | undefined> {
    if (phone.error) notes.fieldsError ??= phone.error;
    return queryModule(module, e164, {
      http,
      lookup,
      region: options.region(),
      logger,
      phone,
      reading: org.reading(),
      recentlyWritten: org.writtenAt(e164) !== undefined,
      indexedBefore: org.indexedBefore(),
      memo,
      learn: org.learn,
      signal,
    });
  }

  return async function queryZoho(e164, signal) {
    const modules: LookupModule[] = [];
    const notes: QueryNotes = {};
    const done = (match: CallerMatch | null): QueryResult =>
      notes.fieldsError ? { match, modules, fieldsError: notes.fieldsError } : { match, modules };
    // Not awaited: a token store that hangs must not hold a ring beyond the HTTP deadlines. The stored
    // calibration is in long before the first query is decided (after the field metadata call); until
    // then the reading is 'unknown', which costs requests, never answers.
    void keeper?.load();
    if (lookup.strategy === 'parallel') {
      // Tracked one by one: the lower-priority modules go on after a higher one has answered.
      const pending = lookup.order.map((module) => {
        modules.push(module);
        return track(askModule(module, e164, notes, signal));
      });
      // Highest priority first: a lower module's match counts only once every higher one said no.
      let failure: unknown;
      for (const result of pending) {
        try {
          const match = await result;
          if (match) {
            pending.forEach((p) => {
              p.catch(() => undefined);
            });
            return done(match);
          }
        } catch (error) {
          failure ??= error;
        }
      }
      if (failure) throw failure;
      return done(null);
    }
    for (const module of lookup.order) {
      modules.push(module);
      const match = await askModule(module, e164, notes, signal);
      if (match) return done(match);
    }
    return done(null);
  };
}
