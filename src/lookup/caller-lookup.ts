/**
 * Caller ID to name: the ring-time lookup engine. A raw caller ID is classified once (memoised), the
 * E.164 number is answered from an LRU cache (hits and misses), concurrent lookups of one number share
 * one Zoho request, modules are searched in the configured order (sequential or parallel), every hit is
 * verified against its phone fields, and the caller gets `null` when the ring deadline passes while the
 * answer still fills the cache for the next ring. The engine keeps track of those background searches:
 * `close()` cancels them and resolves once they have stopped, `settled()` waits for them to finish.
 *
 * This module coordinates; the parts live beside it: caller-classifier.ts (caller ID → E.164),
 * local-cache.ts and forget-ledger.ts (this process's answers, and which in-flight answers went stale),
 * zoho-query.ts (the modules in order), shared-cache.ts (Redis) and ring-deadline.ts.
 *
 * @module
 */

import { optionalInteger, optionalSignal, optionsArgument, requireString } from '../args.js';
import type { CalibrationKeeper } from '../calibration/keeper.js';
import { ErrorCode, isZohoCrmError, ZohoCrmError } from '../errors.js';
import { withCircuitBreaker } from '../http/circuit-breaker.js';
import type { ZohoHttp } from '../http/client.js';
import { abortControllerForMany } from '../http/signals.js';
import { type Logger, noopLogger } from '../logger.js';
import type { LookupModule, PbxContactsProvider, ResolvedConnectorOptions } from '../options.js';
import { createPendingWork } from '../pending-work.js';
import { maskPhone } from '../redact.js';
import type { Region } from '../regions.js';
import { type CacheEntry, createCacheEntries, createEntryReader } from './cache-entry.js';
import { createCallerClassifier, NOT_PUBLIC } from './caller-classifier.js';
import { searchDirectory } from './directory.js';
import { createForgetLedger } from './forget-ledger.js';
import { createLocalCache, MISS } from './local-cache.js';
import { createCoqlMemo } from './module-query.js';
import { createOrgKnowledge } from './org-knowledge.js';
import { createPhoneFieldResolver } from './phone-fields.js';
import { raceRingDeadline, ringDeadlineError, TIMED_OUT } from './ring-deadline.js';
import { createSharedCache } from './shared-cache.js';
import type { SharedHit } from './shared-cache-types.js';
import type { CallerLookupEngine, CallerMatch, LookupCallerOptions, LookupEvent } from './types.js';
import { createZohoQuery, type QueryResult } from './zoho-query.js';

/** @internal */
export interface CallerLookupOptions {
  http: ZohoHttp;
  lookup: ResolvedConnectorOptions['lookup'];
  pbxContacts?: PbxContactsProvider | undefined;
  /** The connection's current data centre (record URLs). */
  region: () => Region;
  logger?: Logger;
  /**
   * Observes each lookup (the connector's `lookup` event). `enabled()` is asked first so that the hot
   * path builds no event when nobody listens.
   */
  events?: { enabled(): boolean; emit(event: LookupEvent): void } | undefined;
  /** Clock for cache TTLs (tests). */
  now?: () => number;
  /** The org's calibration (phone-search matching, phone fields, index lag), kept with the tokens. */
  calibration?: CalibrationKeeper;
  /** The connection (keys of `lookup.sharedCache`). */
  connectionId?: string;
}

/**
 * The lookup engine as its owner (the connector) sees it: the journal's view plus the cache size and
 * the life cycle of the searches that outlive a ring's deadline.
 * @internal
 */
export interface CallerLookup extends CallerLookupEngine {
  /** Numbers in the cache (hits and misses). */
  readonly cacheSize: number;
  /**
   * Drops from the cache the records with this id and the number this string normalises to (the
   * connector's `invalidate`); with `lookup.sharedCache`, from Redis and every node's cache too. The
   * local cache forgets at once; resolves once Redis did (never rejects).
   */
  forget(numberOrId: string): Promise<void>;
  /**
   * Drops every cached number of these records (a change notification's ids) in one walk of the cache;
   * with `lookup.sharedCache`, from Redis and every node's cache too (one notice). Never rejects.
   */
  forgetRecords(ids: readonly string[]): Promise<void>;
  /**
   * Drops every number cached as unknown (a record created or renumbered in Zoho may own one now); with
   * `lookup.sharedCache`, from Redis and every node's cache too. The local cache forgets at once; resolves
   * once Redis did (never rejects).
   */
  forgetMisses(): Promise<void>;
  /** Resolves once no Zoho search runs in the background any more (late answers have filled the cache). */
  settled(): Promise<void>;
  /**
   * Cancels the Zoho searches still running (ring-time lookups past their deadline, parallel modules
   * that lost) and resolves once every one of them has stopped. Lookups started afterwards fail fast.
   */
  close(): Promise<void>;
}

/** `+`, the first character of an E.164 caller ID. */
const PLUS = 43;

/** @internal */
export function createCallerLookup(options: CallerLookupOptions): CallerLookup {
  const { lookup } = options;
  // While Zoho is failing, lookups and directory searches cost one probe per interval (finding 9).
  const http = withCircuitBreaker(options.http, lookup.circuitBreaker, options.now);
  const logger = options.logger ?? noopLogger;
  const cache = createLocalCache({
    maxEntries: lookup.cache.maxEntries,
    ttlMs: lookup.cache.ttlMs,
    now: options.now,
  });
  // A caller ID sent as its own E.164 is memoised only while lookups bypass the cache (the PBX directory
  // is asked first); otherwise it is found in the cache under itself once answered.
  const classify = createCallerClassifier({
    defaultCountry: lookup.defaultCountry,
    maxExtensionLength: lookup.maxExtensionLength,
    maxEntries: lookup.cache.maxEntries,
    memoiseOwnE164: lookup.query === 'whenNotFoundInPbx',
  });
  // Every Zoho query listens to one controller, which close() aborts (a controller per query cost about
  // 4 % of a cold lookup's CPU); each request in flight listens to it, so it allows any number of
  // listeners. Queries stay in `background` until they settle: close() awaits them.
  const cancel = abortControllerForMany();
  const background = createPendingWork();
  const track = background.track;
  let closed = false;
  const cacheEntry = createCacheEntries(lookup.cache.maxEntries);
  const toMatch = createEntryReader(options.region);
  const inflight = new Map<string, Promise<QueryResult>>();
  const now = options.now ?? Date.now;
  const keeper = options.calibration;
  const phoneFields = createPhoneFieldResolver({
    http,
    discover: lookup.discoverPhoneFields,
    calibration: keeper,
    logger,
    now,
  });
  const org = createOrgKnowledge({ lookup, calibration: keeper, logger, now });
  const queryZoho = createZohoQuery({
    http,
    lookup,
    region: options.region,
    logger,
    phoneFields,
    org,
    memo: createCoqlMemo(),
    calibration: keeper,
    track,
  });
  const sharedTtl = {
    hit: lookup.sharedCache?.ttlMs ?? lookup.cache.ttlMs,
    miss: lookup.sharedCache?.negativeTtlMs ?? lookup.cache.negativeTtlMs,
  };
  const shared = lookup.sharedCache
    ? createSharedCache({
        ...lookup.sharedCache,
        connectionId: options.connectionId ?? 'default',
        missTtlMs: sharedTtl.miss,
        logger,
        now,
      })
    : undefined;
  // An answer read before a forget that concerns it answers its ring but fills no cache.
  const forgotten = createForgetLedger(lookup.cache.maxEntries, () => background.size > 0);
  shared?.listen(dropLocally, dropMissesLocally, () => {
    forgotten.noteAll();
    cache.clear();
  });

  async function settled(): Promise<void> {
    // Work started while waiting (another ring) is waited for too.
    await background.settled();
    await shared?.settled();
  }

  /** A cancellable Zoho query of one number; the parallel modules it leaves running are tracked too. */
  function startQuery(e164: string) {
    // After close() the signal is aborted already: the query fails fast.
    return track(queryZoho(e164, cancel.signal));
  }

  /**
   * One shared query per number (the shared cache, else Zoho); the answer (hit or miss) fills the cache
   * whoever is still waiting.
   */
  function resolveShared(e164: string): Promise<QueryResult> {
    let pending = inflight.get(e164);
    if (!pending) {
      // then(done, failed) rather than finally(): one promise and one turn fewer per lookup.
      pending = (shared ? track(sharedOrZoho(e164)) : zoho(e164)).then(
        (result) => {
          inflight.delete(e164);
          return result;
        },
        (error: unknown) => {
          inflight.delete(e164);
          throw error;
        },
      );
      inflight.set(e164, pending);
    }
    return pending;
  }

  function zoho(e164: string): Promise<QueryResult> {
    const since = forgotten.seq;
    return startQuery(e164).then((result) => {
      if (!forgotten.staleSince(since, e164, result.match)) store(e164, result.match);
      return result;
    });
  }

  /** What another node (or this one, before) found in Redis, else Zoho. */
  async function sharedOrZoho(e164: string): Promise<QueryResult> {
    const since = forgotten.seq;
    const found = await shared?.get(e164);
    if (!found || forgotten.staleSince(since, e164, found.entry)) return zoho(e164);
    return { match: fromShared(e164, found), modules: [], sharedCache: true };
  }

  /** An answer from Redis into the local cache, for no longer than it has left there. */
  function fromShared(e164: string, { entry, ttlMs }: SharedHit): CallerMatch | null {
    const ttl = Math.min(entry ? lookup.cache.ttlMs : lookup.cache.negativeTtlMs, ttlMs);
    const local = entry && cacheEntry(entry.module, entry);
    if (ttl > 0) cache.set(e164, local ?? MISS, { ttl });
    return local ? toMatch(e164, local) : null;
  }

  function store(e164: string, match: CallerMatch | null, announce = false) {
    if (match && match.module !== 'PBX') {
      const entry = cacheEntry(match.module, match);
      cache.set(e164, entry);
      shared?.put(e164, entry, sharedTtl.hit, announce);
    } else if (!match) {
      // A number this connector just wrote may not be searchable yet: its miss lives no longer than the lag.
      const at = org.writtenAt(e164);
      const lagLeft = at === undefined ? Number.POSITIVE_INFINITY : at + org.lagWindow() - now();
      const ttl = Math.min(lookup.cache.negativeTtlMs, lagLeft);
      if (ttl > 0) cache.set(e164, MISS, { ttl });
      shared?.put(e164, null, Math.min(sharedTtl.miss, lagLeft));
    }
  }

  function fromCache(e164: string): CallerMatch | null | undefined {
    const hit = cache.get(e164);
    if (hit === undefined) return undefined;
    if (hit === MISS) return null;
    return toMatch(e164, hit as CacheEntry);
  }

  async function askPbx(e164: string): Promise<CallerMatch | null> {
    const provider = options.pbxContacts;
    if (!provider || lookup.query !== 'whenNotFoundInPbx') return null;
    const contact = await provider.lookup(e164);
    return contact
      ? {
          module: 'PBX',
          id: contact.id ?? e164,
          name: contact.name,
          phone: e164,
          field: 'PBX',
          source: 'pbx',
        }
      : null;
  }

  /** The hot path: no async machinery, no clock, no event object unless someone listens. */
  function lookupCaller(raw: string, given?: LookupCallerOptions): Promise<CallerMatch | null> {
    const observe = options.events?.enabled() ?? false;
    const started = observe ? performance.now() : 0;
    let e164: string;
    let callOptions: LookupCallerOptions;
    try {
      callOptions = given === undefined ? NO_OPTIONS : checkLookupOptions(given);
      const text = requireString(raw, 'lookupCaller', 'number');
      // A caller ID sent as an E.164 the cache holds is that key itself (keys are what classification
      // gives back for them): no classification and no memo entry for it.
      e164 = text.charCodeAt(0) === PLUS && cache.has(text) ? text : classify(text);
    } catch (error) {
      return Promise.reject(error);
    }
    if (e164 === NOT_PUBLIC) {
      if (observe)
        options.events?.emit({ number: undefined, match: null, source: 'none', modules: [], ms: 0 });
      return Promise.resolve(null);
    }
    if (lookup.query !== 'whenNotFoundInPbx') {
      const cached = fromCache(e164);
      if (cached !== undefined) {
        if (observe) {
          options.events?.emit({
            number: e164,
            match: cached,
            source: 'cache',
            modules: [],
            ms: performance.now() - started,
          });
        }
        return Promise.resolve(cached);
      }
    }
    return slowLookup(e164, callOptions, started);
  }

  async function slowLookup(
    e164: string,
    callOptions: LookupCallerOptions,
    started: number,
  ): Promise<CallerMatch | null> {
    const report = (
      match: CallerMatch | null,
      source: LookupEvent['source'],
      modules: LookupModule[],
      error?: ZohoCrmError,
      fieldsError?: ZohoCrmError,
      sharedCache?: true,
    ) => {
      if (options.events?.enabled()) {
        const event: LookupEvent = { number: e164, match, source, modules, ms: performance.now() - started };
        if (sharedCache) event.sharedCache = true;
        if (error) event.error = error;
        if (fieldsError) event.fieldsError = fieldsError;
        options.events.emit(event);
      }
    };
    try {
      // No provider consulted first: no await, the cache was read a moment ago in lookupCaller.
      const pbx = options.pbxContacts && lookup.query === 'whenNotFoundInPbx' ? await askPbx(e164) : null;
      if (pbx) {
        report(pbx, 'pbx', []);
        return pbx;
      }
      const cached = fromCache(e164);
      if (cached !== undefined) {
        report(cached, 'cache', []);
        return cached;
      }
      const shared = resolveShared(e164);
      const timeoutMs = callOptions.timeoutMs ?? lookup.timeoutMs;
      const result = await raceRingDeadline(shared, timeoutMs, callOptions.signal);
      if (result === TIMED_OUT) {
        // The search goes on so that the next ring is a cache hit; say when its late answer is in.
        shared.then(
          (late) =>
            logger.debug(
              { number: maskPhone(e164), found: late.match !== null },
              'caller lookup answered after its deadline',
            ),
          () => undefined,
        );
        logger.debug(
          { number: maskPhone(e164) },
          'caller lookup passed its deadline; answering without a name',
        );
        report(null, 'timeout', [], ringDeadlineError(timeoutMs, callOptions.signal));
        return null;
      }
      const source = result.sharedCache ? 'cache' : 'zoho';
      report(result.match, source, result.modules, undefined, result.fieldsError, result.sharedCache);
      return result.match;
    } catch (error) {
      if (closed) {
        logger.debug({ number: maskPhone(e164) }, 'caller lookup cancelled: the connector was closed');
        report(null, 'error', [], new ZohoCrmError(ErrorCode.CONNECTOR_CLOSED, 'The connector was closed.'));
        return null;
      }
      // A ringing call never fails because of Zoho: log, answer without a name, leave the cache alone.
      logger.warn(
        { number: maskPhone(e164), code: isZohoCrmError(error) ? error.code : ErrorCode.UNEXPECTED },
        'caller lookup failed; answering without a name',
      );
      report(null, 'error', [], asLibraryError(error));
      return null;
    }
  }

  return {
    lookupCaller,

    async findByE164(e164, findOptions = {}) {
      // Fresh: Zoho itself (createRecord's check before it creates), its answer filling the caches.
      if (findOptions.fresh) return (await zoho(e164)).match;
      const cached = fromCache(e164);
      return cached !== undefined ? cached : (await resolveShared(e164)).match;
    },

    remember(match) {
      org.noteWritten(match.phone);
      // Announced: other nodes drop what they cached for the number (a miss, most likely).
      store(match.phone, { ...match, source: 'zoho' }, true);
    },

    invalidate(e164, recordId) {
      const ids = recordId === undefined ? [] : [recordId];
      dropLocally([e164], ids);
      // Never rejects; close() and settled() wait for it.
      void shared?.forget([e164], ids);
    },

    forget(numberOrId) {
      let e164: string | undefined;
      try {
        e164 = classify(numberOrId);
      } catch {
        // Not a phone number (a record id): only the ids.
      }
      const numbers = e164 ? [e164] : [];
      dropLocally(numbers, [numberOrId]);
      return shared ? shared.forget(numbers, [numberOrId]) : Promise.resolve();
    },

    forgetRecords(ids) {
      dropLocally([], ids);
      return shared ? shared.forget([], ids) : Promise.resolve();
    },

    forgetMisses() {
      dropMissesLocally();
      return shared ? shared.forgetMisses() : Promise.resolve();
    },

    searchDirectory(query, searchOptions = {}) {
      const fieldsOf = (module: LookupModule, signal?: AbortSignal) =>
        phoneFields.of(module, signal).then((found) => found.fields);
      return searchDirectory({ http, lookup, region: options.region(), fieldsOf }, query, searchOptions);
    },

    get cacheSize() {
      return cache.size;
    },

    settled,

    async close() {
      closed = true;
      cancel.abort(closedReason());
      await settled();
      await shared?.close();
    },
  };

  /** Drops every miss from this process's cache. */
  function dropMissesLocally(): void {
    forgotten.note([], true);
    cache.dropMisses();
  }

  /** Drops the numbers and the records with these ids from this process's cache. */
  function dropLocally(numbers: readonly string[], ids: readonly string[]): void {
    forgotten.note([...numbers, ...ids]);
    cache.drop(numbers, ids);
  }
}

const NO_OPTIONS: LookupCallerOptions = Object.freeze({});

/** The per-call options of `lookupCaller`, checked (a JavaScript caller can pass anything). */
function checkLookupOptions(given: unknown): LookupCallerOptions {
  const bag = optionsArgument(given, 'lookupCaller', ['signal', 'timeoutMs']);
  const checked: LookupCallerOptions = {};
  const signal = optionalSignal(bag.signal, 'lookupCaller', 'options.signal');
  const timeoutMs = optionalInteger(bag.timeoutMs, 'lookupCaller', 'options.timeoutMs', 1, 60_000);
  if (signal) checked.signal = signal;
  if (timeoutMs !== undefined) checked.timeoutMs = timeoutMs;
  return checked;
}

/** A failure as the `lookup` event carries it: the library's own error, or `UNEXPECTED` around another. */
function asLibraryError(error: unknown): ZohoCrmError {
  if (isZohoCrmError(error)) return error;
  return new ZohoCrmError(ErrorCode.UNEXPECTED, 'The caller lookup failed unexpectedly.', { cause: error });
}

function closedReason(): DOMException {
  return new DOMException('The caller lookup engine was closed.', 'AbortError');
}
