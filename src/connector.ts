/**
 * `ZohoCrmConnector`: one per CRM connection (tenant). It validates its options once and wires the
 * parts; it holds no business rules of its own. Nothing slow happens in the constructor: tokens are read,
 * users fetched and caches filled on first use.
 *
 * @module
 */

import { argumentError, kindOf, requireString } from './args.js';
import { type CalibrationKeeper, createCalibrationKeeper } from './calibration/keeper.js';
import { runDiagnose } from './diagnose/diagnose.js';
import type { DiagnoseOptions, DiagnoseReport } from './diagnose/types.js';
import { EDITIONS } from './editions.js';
import { ErrorCode, type RateLimitError, ZohoCrmError } from './errors.js';
import { createEmitter, type Emitter } from './events.js';
import { createZohoHttp, type ZohoHttp } from './http/client.js';
import { type CrmRequest, type CrmResponse, sendCrmRequest } from './http/crm-request.js';
import type { ImportCallsOptions, ImportSummary } from './journal/import.js';
import {
  type CallAttachments,
  createJournal,
  type FlushResult,
  type JournalApi,
  type JournalEvents,
  type JournalStats,
  type JournalWriteOptions,
} from './journal/journal.js';
import type { JournalResult, PbxCall } from './journal/pbx-call.js';
import type { DeadLetter, JournalQuarantineEvent } from './journal/store.js';
import { createSafeLogger, type Logger } from './logger.js';
import { type CallerLookup, createCallerLookup } from './lookup/caller-lookup.js';
import type { CallerMatch, DirectoryEntry, LookupCallerOptions, LookupEvent } from './lookup/types.js';
import type { ChangeWatch, ChangeWatchEvent } from './notifications/change-watch.js';
import {
  type ChangeNotificationEvent,
  type ChangeNotificationResult,
  handleChangeNotification,
} from './notifications/handle-notification.js';
import {
  type ChangeWatches,
  createChangeWatches,
  type WatchChangesOptions,
} from './notifications/watches.js';
import {
  type Authorization,
  type AuthorizationRequest,
  type AuthorizationResult,
  createAuthorization,
  type RevokeResult,
} from './oauth/authorization.js';
import type { CallbackInput } from './oauth/callback.js';
import {
  type AuthorizationLostEvent,
  createTokenManager,
  type TokenManager,
  type TokenRefreshedEvent,
} from './oauth/token-manager.js';
import { type ConnectorOptions, parseConnectorOptions, type ResolvedConnectorOptions } from './options.js';
import { type CreateRecordInput, createRecordCreator, type RecordCreator } from './records/create-record.js';
import { REGIONS, type Region } from './regions.js';
import { createMemoryStore } from './stores/memory.js';
import type { TokenStore } from './stores/types.js';

/**
 * The `zohoRequest` event: one request attempt sent to Zoho's CRM API (retries are attempts of their
 * own), for metrics and tracing. Paths may hold record ids but never a query string or a secret.
 * @example
 * ```ts
 * zoho.on('zohoRequest', (e) => metrics.inc('zoho_requests_total', { status: String(e.status ?? e.failure) }));
 * ```
 * @group Events
 */
export interface ZohoRequestEvent {
  /** The connection (tenant). */
  connectionId: string;
  /** HTTP method. */
  method: string;
  /** Path under `/crm/v8`, without the query string. */
  path: string;
  /** Zoho's HTTP status, or undefined when no answer came. */
  status: number | undefined;
  /** Why no answer came: `'network'`, `'timeout'`, `'deadline'` or `'aborted'`. */
  failure: string | undefined;
  /** 1 for the first attempt, 2 for the first retry, … */
  attempt: number;
  /** Duration of this attempt in ms. */
  ms: number;
}

/**
 * The `rateLimited` event: Zoho answered 429 (concurrency or daily credits).
 * @group Events
 */
export interface RateLimitedEvent {
  /** The connection (tenant). */
  connectionId: string;
  /** HTTP method of the refused call. */
  method: string | undefined;
  /** Path of the refused call, without query string. */
  path: string | undefined;
  /** What Zoho asked us to wait, when it said so. */
  retryAfterMs: number | undefined;
  /** Remaining daily credits, when Zoho reported them. */
  creditsRemaining: number | undefined;
}

/**
 * Every event a connector emits, by name.
 * @example
 * ```ts
 * zoho.on('authorizationLost', () => showAuthorizeButton());
 * zoho.on('lookup', (e) => metrics.observe('zoho_lookup_ms', e.ms, { source: e.source }));
 * ```
 * @group Events
 */
export interface ConnectorEvents extends JournalEvents {
  /** A refresh stored a new access token. */
  tokenRefreshed: TokenRefreshedEvent;
  /** The Zoho grant is gone: show the admin the Authorize button again. */
  authorizationLost: AuthorizationLostEvent;
  /** One caller lookup finished. */
  lookup: LookupEvent;
  /** Zoho refused a call for rate reasons (it is retried). */
  rateLimited: RateLimitedEvent;
  /** One request attempt went to Zoho's CRM API. */
  zohoRequest: ZohoRequestEvent;
  /** The journal store kept a record of this connection aside that it could not read. */
  journalQuarantine: JournalQuarantineEvent;
  /** A watched notification channel was renewed, or its renewal failed and is retried. */
  changeWatch: ChangeWatchEvent;
  /** A change notification from Zoho was accepted and applied to the caller-ID cache. */
  changeNotification: ChangeNotificationEvent;
}

/**
 * Zoho CRM for one phone-system tenant: caller ID to name, directory search, OAuth, and (with the
 * journal) call activities.
 * @example
 * ```ts
 * import { ZohoCrmConnector, createMemoryStore } from 'zoho-crm-connector';
 *
 * const zoho = new ZohoCrmConnector({
 *   connectionId: 'tenant-42',
 *   clientId: process.env.ZOHO_CLIENT_ID!,
 *   clientSecret: process.env.ZOHO_CLIENT_SECRET!,
 *   redirectUri: 'https://pbx.example.com/api/auth/callback/zoho',
 *   region: 'EU',
 *   tokenStore: createMemoryStore(),
 * });
 * const { url } = await zoho.authorizationUrl();   // send the admin there
 * ```
 * @group Connector
 */
export class ZohoCrmConnector {
  /** The connection this connector serves. */
  readonly connectionId: string;
  readonly #options: ResolvedConnectorOptions;
  readonly #logger: Logger;
  readonly #events: Emitter<ConnectorEvents>;
  readonly #tokens: TokenManager;
  readonly #authorization: Authorization;
  readonly #http: ZohoHttp;
  readonly #calibration: CalibrationKeeper;
  readonly #store: TokenStore;
  readonly #lookup: CallerLookup;
  readonly #journal: JournalApi;
  readonly #records: RecordCreator;
  readonly #watches: ChangeWatches;
  #closed = false;
  #unsubscribeQuarantine: (() => void) | undefined;

  /**
   * Validates the options (once) and wires the parts. Performs no I/O.
   * @throws {@link ConfigError} naming every invalid option path.
   */
  constructor(options: ConnectorOptions) {
    const resolved = parseConnectorOptions(options);
    this.#options = resolved;
    this.connectionId = resolved.connectionId;
    const secrets = [resolved.clientSecret, ...(resolved.stateSecret ? [resolved.stateSecret] : [])];
    this.#logger = createSafeLogger(resolved.logger, () => secrets);
    this.#events = createEmitter<ConnectorEvents>(this.#logger);
    const store = resolved.tokenStore ?? createMemoryStore();
    this.#store = store;

    this.#calibration = createCalibrationKeeper({
      connectionId: resolved.connectionId,
      store,
      now: Date.now,
      logger: this.#logger,
    });
    this.#tokens = createTokenManager({
      connectionId: resolved.connectionId,
      store,
      clientId: resolved.clientId,
      clientSecret: resolved.clientSecret,
      endpoints: resolved.endpoints,
      fetch: resolved.fetch,
      logger: this.#logger,
      onTokenRefreshed: (event) => this.#events.emit('tokenRefreshed', event),
      onAuthorizationLost: (event) => this.#events.emit('authorizationLost', event),
    });
    this.#authorization = createAuthorization({
      connectionId: resolved.connectionId,
      clientId: resolved.clientId,
      clientSecret: resolved.clientSecret,
      redirectUri: resolved.redirectUri,
      region: resolved.region,
      scopes: resolved.scopes,
      stateSecret: resolved.stateSecret,
      endpoints: resolved.endpoints,
      tokens: this.#tokens,
      fetch: resolved.fetch,
      logger: this.#logger,
    });
    this.#http = createZohoHttp({
      tokens: this.#tokens,
      secrets,
      fetch: resolved.fetch,
      timeoutMs: resolved.http.timeoutMs,
      deadlineMs: resolved.http.deadlineMs,
      retries: resolved.http.retries,
      maxConcurrency: resolved.http.maxConcurrency ?? EDITIONS[resolved.edition].concurrency,
      logger: this.#logger,
      onRateLimited: (error: RateLimitError) =>
        this.#events.emit('rateLimited', {
          connectionId: this.connectionId,
          method: error.method,
          path: error.path,
          retryAfterMs: error.retryAfterMs,
          creditsRemaining: error.creditsRemaining,
        }),
      onAttempt: (attempt) => {
        if (this.#events.has('zohoRequest')) {
          this.#events.emit('zohoRequest', { connectionId: this.connectionId, ...attempt });
        }
      },
    });
    this.#lookup = createCallerLookup({
      connectionId: resolved.connectionId,
      http: this.#http,
      lookup: resolved.lookup,
      pbxContacts: resolved.pbxContacts,
      region: () => this.region,
      logger: this.#logger,
      calibration: this.#calibration,
      events: {
        enabled: () => this.#events.has('lookup'),
        emit: (event) => this.#events.emit('lookup', event),
      },
    });
    this.#watches = createChangeWatches({
      connectionId: resolved.connectionId,
      http: this.#http,
      logger: this.#logger,
      lookupOrder: resolved.lookup.order,
      emit: (event) => this.#events.emit('changeWatch', event),
    });
    this.#journal = createJournal({
      connectionId: resolved.connectionId,
      http: this.#http,
      lookup: this.#lookup,
      options: resolved.journal,
      defaultCountry: resolved.lookup.defaultCountry,
      logger: this.#logger,
      region: () => this.region,
      calibration: this.#calibration,
      emit: (name, event) => this.#events.emit(name, event as ConnectorEvents[typeof name]),
    });
    this.#unsubscribeQuarantine = resolved.journal.store?.onQuarantine?.((event) => {
      if (event.connectionId === this.connectionId) this.#events.emit('journalQuarantine', event);
    });
    this.#records = createRecordCreator({
      http: this.#http,
      lookup: this.#lookup,
      options: resolved.createRecords,
      defaultCountry: resolved.lookup.defaultCountry,
      region: () => this.region,
      journal: this.#journal,
      logger: this.#logger,
      connectionId: this.connectionId,
      onConfigError: (event) => this.#events.emit('configError', event),
    });
  }

  /** The data centre in use: the authorized grant's, else the configured one. */
  get region(): Region {
    return REGIONS[this.#tokens.region ?? this.#options.region];
  }

  // --- OAuth ---

  /**
   * The URL of Zoho's consent page for the admin's "Authorize" button, with a signed, expiring,
   * single-use state bound to this connection.
   * @example
   * ```ts
   * const { url } = await zoho.authorizationUrl();
   * res.writeHead(302, { Location: url }).end();
   * ```
   */
  authorizationUrl(): Promise<AuthorizationRequest> {
    return this.#open(() => this.#authorization.authorizationUrl());
  }

  /**
   * Completes authorization from Zoho's redirect to `…/api/auth/callback/zoho`: checks the state, uses the
   * callback's data centre, exchanges the code and stores the tokens. The integration is live at once.
   * @param callback - The full callback URL, its query string, URLSearchParams or a parsed query object.
   * @throws {@link AuthError} `AUTH_STATE_MISMATCH` (no token request is made), `AUTH_ACCESS_DENIED`,
   *   `AUTH_INVALID_GRANT`, `AUTH_INVALID_CLIENT`, `AUTH_INVALID_REDIRECT_URI`, `AUTH_INVALID_CALLBACK`;
   *   {@link ConfigError} when `callback` is none of the accepted forms (`null`, a number…).
   * @example
   * ```ts
   * const { region } = await zoho.handleCallback(req.url!);
   * ```
   */
  handleCallback(callback: CallbackInput): Promise<AuthorizationResult> {
    return this.#open(async () => {
      const result = await this.#authorization.handleCallback(callback);
      this.#journal.resume(); // journal work that waited for authorization goes out now
      return result;
    });
  }

  /**
   * Whether this connection holds a Zoho grant that is not known to be lost.
   * @example
   * ```ts
   * if (!(await zoho.isAuthorized())) showAuthorizeButton();
   * ```
   */
  isAuthorized(): Promise<boolean> {
    return this.#open(() => this.#tokens.isAuthorized());
  }

  /**
   * Revokes the refresh token at Zoho and deletes it locally, even when Zoho cannot be reached (the
   * result says so).
   * @example
   * ```ts
   * const { revokedAtZoho } = await zoho.revoke();
   * ```
   */
  revoke(): Promise<RevokeResult> {
    return this.#open(() => this.#authorization.revoke());
  }

  // --- Caller ID and directory ---

  /**
   * Finds who is calling: normalises the number to E.164, answers from the cache, or searches the
   * lookup modules in order, never past the ring deadline (`lookup.timeoutMs`): then it resolves `null`
   * while the answer still fills the cache for the next ring. Internal extensions and anonymous callers
   * resolve `null` without asking Zoho.
   * @param number - Any dialable form: `+1 (415) 555-2671`, `00442079460958`, `sip:+14155552671@pbx`.
   * @returns The match, or `null` (unknown, anonymous, deadline passed, or Zoho unavailable: the
   *   `lookup` event's `error` tells these apart). A ring never fails because of Zoho.
   * @throws {@link PhoneNumberError} for a string that is not a phone number at all; {@link ConfigError}
   *   when `number` is not a string or an option is invalid (`timeoutMs` an integer from 1 to 60,000).
   * @example
   * ```ts
   * const match = await zoho.lookupCaller('+1 (415) 555-2671');
   * if (match) console.log(`${match.name} (${match.module})`, match.recordUrl);
   * ```
   */
  lookupCaller(number: string, options?: LookupCallerOptions): Promise<CallerMatch | null> {
    // The ring's hot path: no closure; the engine checks its arguments and never throws synchronously.
    if (this.#closed) return Promise.reject(closedError());
    return this.#lookup.lookupCaller(number, options);
  }

  /**
   * Drops a number, or every cached number of a record, from the lookup cache: the next lookup asks
   * Zoho again. For a contact just added or renumbered in Zoho's UI whose number was remembered as
   * unknown (docs/caller-id.md, "Just created in Zoho"). With `lookup.sharedCache`, the number or record
   * is also deleted from Redis and every node of the cluster drops it from its own cache.
   * @param numberOrRecordId - Any dialable form of a number (`+1 415 555 2671`), or a Zoho record id.
   * @returns Resolves once the cache forgot it (and Redis did, or failed to within 2 s: a Redis failure
   *   is logged, never thrown); rejects with a {@link ConfigError} when the argument is not a string.
   * @example
   * ```ts
   * await zoho.invalidate('+14155552671');
   * await zoho.invalidate('4876876000000225013');
   * ```
   */
  invalidate(numberOrRecordId: string): Promise<void> {
    return this.#open(async () =>
      this.#lookup.forget(requireString(numberOrRecordId, 'invalidate', 'numberOrRecordId')),
    );
  }

  /**
   * Searches CRM people by name, part of a name, or email, across the lookup modules in order, with
   * every phone number in E.164 (the softphone's contact search).
   * @param options - `limit`: an integer from 1 to 200 (default 20); `signal` aborts the search.
   * @throws {@link ConfigError} when the query is not a string or has fewer than 2 usable characters, or
   *   an option is invalid.
   * @example
   * ```ts
   * const people = await zoho.searchDirectory('smith');
   * for (const p of people) console.log(p.name, p.phones.map((x) => x.e164).join(', '));
   * ```
   */
  searchDirectory(
    query: string,
    options?: { signal?: AbortSignal; limit?: number },
  ): Promise<DirectoryEntry[]> {
    return this.#open(() => this.#lookup.searchDirectory(query, options));
  }

  // --- Change notifications ---

  /**
   * Subscribes to Zoho's change notifications (Notifications API, `POST /actions/watch`) for the lookup
   * modules, so the caller-ID cache hears at once of a Contact, Lead or Account edited, deleted or created
   * in Zoho. The channel is renewed before Zoho's expiry for as long as the connector runs (a failed
   * renewal is logged, sent as a `changeWatch` event and retried with backoff). Pass every POST Zoho
   * makes to `notifyUrl` to {@link handleNotification}. Needs {@link NOTIFICATION_SCOPES} in the grant.
   * @returns The channel: its id, expiry, next renewal, and `stop()`, which disables it at Zoho.
   *   `close()` stops renewing without disabling (the channel lapses at its expiry).
   * @throws {@link ConfigError} for an invalid option (`notifyUrl` not https, `channelToken` over 50
   *   characters…) or a channel this connector already watches (`stop()` it first, or abort its
   *   signal); {@link AuthError} `AUTH_SCOPE_MISMATCH` when the grant lacks the notifications scope;
   *   {@link ZohoApiError} when Zoho refuses the channel.
   * @example
   * ```ts
   * const watch = await zoho.watchChanges({
   *   notifyUrl: 'https://pbx.example.com/api/zoho/notifications/tenant-42',
   *   channelToken: process.env.ZOHO_CHANNEL_TOKEN!,
   * });
   * console.log(`channel ${watch.channelId} until ${watch.expiresAt.toISOString()}`);
   * ```
   */
  watchChanges(options: WatchChangesOptions): Promise<ChangeWatch> {
    return this.#open(() => this.#watches.start(options, () => this.#closed, closedError));
  }

  /**
   * Applies one change notification Zoho POSTed to the `notifyUrl` of {@link watchChanges}: checks its
   * shape and its token (in constant time), then drops what it makes stale from the caller-ID cache. An
   * edited or deleted record's cached numbers are forgotten; an edit or a new record also forgets the
   * numbers cached as unknown (one of them may be the record's now). The next ring asks Zoho again.
   * @param body - The request body: parsed JSON, or the raw text.
   * @param options - `channelToken`: the one given to `watchChanges`.
   * @returns The module, the operation, how many records it names and how many cached numbers were
   *   dropped; a `changeNotification` event says the same.
   * @throws {@link ZohoCrmError} `NOTIFICATION_INVALID` (answer 400) or `NOTIFICATION_TOKEN_MISMATCH`
   *   (answer 403); nothing is invalidated then. {@link ConfigError} when `channelToken` is missing.
   * @example
   * ```ts
   * // In your HTTP route for the notify URL:
   * try {
   *   await zoho.handleNotification(await request.json(), { channelToken: process.env.ZOHO_CHANNEL_TOKEN! });
   *   return new Response(null, { status: 204 });
   * } catch (error) {
   *   const denied = isZohoCrmError(error) && error.code === ErrorCode.NOTIFICATION_TOKEN_MISMATCH;
   *   return new Response(null, { status: denied ? 403 : 400 });
   * }
   * ```
   */
  handleNotification(body: unknown, options: { channelToken: string }): Promise<ChangeNotificationResult> {
    return this.#open(async () => {
      const result = await handleChangeNotification(this.#lookup, this.#options.lookup.order, body, options);
      this.#events.emit('changeNotification', { connectionId: this.connectionId, ...result });
      return result;
    });
  }

  // --- Call journal and records ---

  /**
   * Logs a finished PBX call as a Zoho CRM Calls activity on the caller's Contact, Lead or Account, once:
   * a redelivered call returns the existing activity and writes nothing. When Zoho cannot take it now
   * (outage, rate limit, authorization lost) the call is queued durably and retried in the background.
   * Internal calls (and, by default, non-trunk calls) are skipped.
   * @returns `logged` with the Zoho id, `queued`, or `skipped` with a reason.
   * @throws {@link ConfigError} naming the bad field of an invalid call; {@link ZohoApiError} when Zoho
   *   refused the call's data for good (it is kept as a dead letter and `journalFailed` fires).
   * @example
   * ```ts
   * const result = await zoho.logCall({
   *   id: 'pbx-7781', direction: 'inbound', trunk: true, from: '+14155552671', to: '+442079460100',
   *   agent: { extension: '201', email: 'agent@example.com' },
   *   startedAt: '2026-11-24T09:00:00Z', answeredAt: '2026-11-24T09:00:08Z', endedAt: '2026-11-24T09:04:20Z',
   *   status: 'answered', recording: { url: 'https://pbx.example.com/rec/7781.wav' },
   * });
   * ```
   */
  logCall(call: PbxCall, options?: JournalWriteOptions): Promise<JournalResult> {
    return this.#open(() => this.#journal.logCall(call, options));
  }

  /**
   * Adds an agent's note to a call's activity at any time: before the call is logged (held, written
   * after it), during, or after.
   * @example
   * ```ts
   * await zoho.addCallNote('pbx-7781', 'Customer asked for a quote');
   * ```
   */
  addCallNote(callId: string, text: string, options?: JournalWriteOptions): Promise<JournalResult> {
    return this.#open(() => this.#journal.addCallNote(callId, text, options));
  }

  /**
   * Adds links that arrive after the call (an AI transcription, typically) to the same activity, never
   * a second one.
   * @example
   * ```ts
   * await zoho.attachToCall('pbx-7781', { transcription: { url: 'https://pbx.example.com/t/7781', summary: 'Wants a quote' } });
   * ```
   */
  attachToCall(
    callId: string,
    links: CallAttachments,
    options?: JournalWriteOptions,
  ): Promise<JournalResult> {
    return this.#open(() => this.#journal.attachToCall(callId, links, options));
  }

  /**
   * Backfill from a CDR export: journals every call of `calls` (an array, any iterable, or an async
   * iterable such as a file read line by line) as `logCall` would, through the same outbox and ledger.
   * Calls are read a window at a time (500: five inserts of 100) and the next window is read only once
   * this one had its first attempt, so memory stays flat for any size. Calls already logged are skipped,
   * so an import that crashed or was aborted is resumed by running it again: what it had in flight is in
   * the outbox and is read back from Zoho before anything is sent twice.
   * @param calls - The calls, in any order; invalid ones are counted as `failed`, never thrown.
   * @param options - `onProgress` after every window, `signal` to stop reading, `total` for progress
   *   when `calls` is not an array.
   * @returns Counts (`logged`, `skipped`, `failed`, `queued`), the first 100 failures and whether it was
   *   aborted. `queued` calls are written by the journal in the background (or a `flush()`).
   * @throws {@link ConfigError} when `calls` is not iterable, an option is invalid or the journal is
   *   disabled; a {@link JournalStoreError} when the journal store fails (run it again to resume).
   * @example
   * ```ts
   * const summary = await zoho.importCalls(cdrs, {
   *   onProgress: (p) => console.log(`${p.done}/${p.total ?? '?'} (${p.logged} logged, ${p.skipped} skipped)`),
   * });
   * if (summary.failed > 0) console.warn(summary.failures);
   * ```
   */
  importCalls(
    calls: Iterable<PbxCall> | AsyncIterable<PbxCall>,
    options?: ImportCallsOptions,
  ): Promise<ImportSummary> {
    return this.#open(() => this.#journal.importCalls(calls, options));
  }

  /**
   * Writes everything queued now (shutdown, tests) and reports what is left.
   * @example
   * ```ts
   * const { pending, deadLetters } = await zoho.flush();
   * ```
   */
  flush(): Promise<FlushResult> {
    return this.#open(() => this.#journal.flush());
  }

  /**
   * Journal writes Zoho refused for good (with Zoho's code and details), oldest first.
   * @example
   * ```ts
   * for (const letter of await zoho.deadLetters()) console.warn(letter.op.callId, letter.error.zohoCode);
   * ```
   */
  deadLetters(): Promise<DeadLetter[]> {
    return this.#open(() => this.#journal.deadLetters());
  }

  /**
   * Queues a dead letter again after fixing its cause in Zoho; false when there is no such letter.
   * @example
   * ```ts
   * await zoho.retryDeadLetter(letter.op.id);
   * ```
   */
  retryDeadLetter(opId: string): Promise<boolean> {
    return this.#open(() => this.#journal.retryDeadLetter(requireString(opId, 'retryDeadLetter', 'opId')));
  }

  /**
   * Journal counters and queue sizes.
   * @example
   * ```ts
   * const { logged, pending, deadLetters } = await zoho.journalStats();
   * ```
   */
  journalStats(): Promise<JournalStats> {
    return this.#open(() => this.#journal.stats());
  }

  /**
   * Creates a Contact or a Lead (`createRecords.type` unless `type` is given) for an unknown number, or
   * returns the record that already has it; the caller-ID cache learns it at once, and with `callId`
   * the call's activity is linked to it.
   * @throws {@link ConfigError} when record creation is disabled; {@link ZohoApiError} when Zoho refuses.
   * @example
   * ```ts
   * const lead = await zoho.createRecord({ phone: '+14155550000', firstName: 'Jane', lastName: 'Doe', company: 'Acme' });
   * ```
   */
  createRecord(input: CreateRecordInput): Promise<CallerMatch> {
    return this.#open(() => this.#records.createRecord(input));
  }

  // --- Escape hatch ---

  /**
   * Any Zoho CRM REST call the connector has no method for, sent with the connection's managed access
   * token to its data centre's API domain, with the same retries, deadline, edition concurrency limit
   * and typed errors as every other call. `path` is the API path from `/crm/` on (`/crm/v8/Deals`,
   * `/crm/v8/settings/layouts`, `/crm/bulk/v8/read`): absolute URLs, other hosts and `..` are refused, so
   * the token only ever goes to the org's API domain. A POST is retried only when Zoho certainly did
   * not process it (429, connection refused), since it may create records.
   * @returns The status, the parsed JSON body (`undefined` for 204 and empty bodies) and the headers.
   *   A 2xx batch write can still hold per-record errors in `data.data[i].status`.
   * @throws {@link ConfigError} for an invalid method, path, query or body; {@link ZohoApiError} (with
   *   Zoho's `zohoCode` and `details`), {@link RateLimitError}, {@link AuthError} or
   *   {@link TransportError} as for any other call.
   * @example
   * ```ts
   * const { data } = await zoho.request<{ data: Array<{ id: string }> }>({
   *   method: 'GET', path: '/crm/v8/Deals', query: { fields: 'Deal_Name,Stage', per_page: 10 },
   * });
   * await zoho.request({
   *   method: 'PUT', path: `/crm/v8/Deals/${data?.data[0]?.id}`, body: { data: [{ Stage: 'Closed Won' }] },
   * });
   * ```
   */
  request<T = unknown>(request: CrmRequest): Promise<CrmResponse<T>> {
    return this.#open(() => sendCrmRequest<T>(this.#http, request));
  }

  // --- Org calibration ---

  /**
   * Checks the connection against the org: authorization, granted scopes, credits, phone fields (custom
   * ones included), mandatory Calls fields the journal does not fill, users and time zone. With
   * `{ write: true }` it also creates one test Lead and one test Call, measures how `search?phone=`
   * matches, how long a new record takes to be found and how `Call_Duration` is read, and deletes both
   * (even when a probe fails). What it measures is stored with the tokens and used from then on.
   * Without `write`, no request that writes is sent to Zoho.
   * @returns Every check (`pass`, `warn`, `fail` or `skip` naming a missing scope) and the calibration;
   *   `ok` is false when a check failed. A check never throws: Zoho being unreachable is its `fail`.
   * @throws {@link ConfigError} for an invalid option.
   * @example
   * ```ts
   * const report = await zoho.diagnose({ write: true });
   * for (const check of report.checks) console.log(check.status.padEnd(5), check.id, check.summary);
   * console.log(report.calibration.phoneSearch, report.calibration.durationFormat);
   * ```
   */
  diagnose(options?: DiagnoseOptions): Promise<DiagnoseReport> {
    return this.#open(() => {
      const { lookup, journal, createRecords } = this.#options;
      return runDiagnose(
        {
          connectionId: this.connectionId,
          http: this.#http,
          tokens: this.#tokens,
          store: this.#store,
          calibration: this.#calibration,
          edition: this.#options.edition,
          features: {
            lookupOrder: lookup.order,
            lookupMethod: lookup.method,
            journal: journal.enabled,
            createRecords: createRecords.enabled ? createRecords.type : false,
          },
          journal,
          logger: this.#logger,
          deadlineMs: this.#options.http.deadlineMs,
        },
        options,
      );
    });
  }

  // --- Events and lifecycle ---

  /**
   * Subscribes to an event; returns a function that unsubscribes.
   * @example
   * ```ts
   * const off = zoho.on('tokenRefreshed', (e) => log.info(e, 'zoho token refreshed'));
   * off();
   * ```
   */
  on<K extends keyof ConnectorEvents>(name: K, listener: (event: ConnectorEvents[K]) => void): () => void {
    this.#assertOpen();
    checkListener('on', name, listener);
    return this.#events.on(name, listener);
  }

  /**
   * Unsubscribes a listener.
   * @example
   * ```ts
   * zoho.off('lookup', onLookup);
   * ```
   */
  off<K extends keyof ConnectorEvents>(name: K, listener: (event: ConnectorEvents[K]) => void): void {
    this.#assertOpen();
    checkListener('off', name, listener);
    this.#events.off(name, listener);
  }

  /**
   * Stops background timers (proactive refresh, journal retries), waits for journal writes in progress
   * (queued work stays in the journal store), cancels the caller lookups still searching Zoho after their
   * ring deadline and waits until they have stopped, waits for the writes to `lookup.sharedCache` and
   * closes the subscriber connection it opened (never your client), and removes listeners. Safe to call
   * twice. Afterwards every other method rejects (`on`/`off` throw) with `CONNECTOR_CLOSED`; an
   * unsubscribe function returned by `on()` stays safe to call.
   * @example
   * ```ts
   * process.on('SIGTERM', async () => { await zoho.close(); process.exit(0); });
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#tokens.close();
    this.#unsubscribeQuarantine?.();
    // Renewals stop (one in flight is aborted); the channels lapse at their expiry at Zoho.
    await this.#watches.closeAll();
    // The journal first: a write in progress may be waiting for a lookup that is still searching.
    await this.#journal.close();
    await this.#lookup.close();
    this.#events.clear();
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError();
  }

  /**
   * Runs `work` unless the connector is closed. Every promise-returning method goes through here, so it
   * rejects (`CONNECTOR_CLOSED`, or a bad argument's ConfigError) and never throws synchronously.
   */
  #open<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(closedError());
    try {
      return work();
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

function closedError(): ZohoCrmError {
  return new ZohoCrmError(ErrorCode.CONNECTOR_CLOSED, 'This ZohoCrmConnector was closed.');
}

/** Every event name, checked at runtime for JavaScript callers (the type keeps the list complete). */
const EVENT_NAMES: Readonly<Record<keyof ConnectorEvents, true>> = {
  tokenRefreshed: true,
  authorizationLost: true,
  lookup: true,
  rateLimited: true,
  zohoRequest: true,
  callLogged: true,
  journalRetry: true,
  journalFailed: true,
  journalQuarantine: true,
  configError: true,
  changeWatch: true,
  changeNotification: true,
};

function checkListener(method: string, name: unknown, listener: unknown): void {
  if (typeof name !== 'string' || !Object.hasOwn(EVENT_NAMES, name)) {
    throw argumentError(method, 'name', `must be one of ${Object.keys(EVENT_NAMES).join(', ')}`);
  }
  if (typeof listener !== 'function') {
    throw argumentError(method, 'listener', `must be a function (received ${kindOf(listener)})`);
  }
}
