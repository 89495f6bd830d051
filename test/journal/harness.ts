/**
 * Test harness for the journal: the Zoho emulator's state and router in process (no sockets), the real
 * HTTP client on top, a fake clock shared by the emulator and the journal, a manual scheduler (no
 * sleeps), a fake lookup engine, and a request recorder.
 */
import { AuthError } from '../../src/errors.js';
import { type AccessTokenProvider, createZohoHttp, type ZohoHttp } from '../../src/http/client.js';
import type { Scheduler } from '../../src/journal/batch.js';
import {
  createJournal,
  type JournalApi,
  type JournalDependencies,
  type JournalEvents,
} from '../../src/journal/journal.js';
import { createMemoryJournalStore } from '../../src/journal/memory-store.js';
import type { JournalStore } from '../../src/journal/store.js';
import type { CallerMatch } from '../../src/lookup/types.js';
import { type JournalOptions, parseConnectorOptions } from '../../src/options.js';
import { REGIONS } from '../../src/regions.js';
import { createZohoRouter } from '../../src/testing/emulator/router.js';
import type { ZohoEmulatorOptions, ZohoEmulatorState } from '../../src/testing/emulator/types.js';
import { zohoUrlScheme } from '../../src/testing/emulator/url-scheme.js';
import { createZohoEmulatorState } from '../../src/testing/server.js';

export const START = Date.parse('2025-01-10T20:00:00Z');

/** Every upsert on Calls, Tasks or Events any harness sent in this test file (Zoho offers none). */
export const upsertsSent: string[] = [];
const NO_UPSERT = /\/(calls|tasks|events)\/upsert$/i;
export const API = 'https://www.zohoapis.com';

/** A clock and a scheduler that only move when the test says so. */
export function manualTime(start = START) {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => Promise<void> | void }>();
  const scheduler: Scheduler = {
    setTimeout(fn, ms) {
      const id = ++seq;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
  };
  return {
    now: () => now,
    scheduler,
    timers,
    /**
     * Moves time forward, firing the timers that become due in order and waiting for the background
     * pass each one starts (so the next timer it sets is seen).
     */
    async advance(ms: number) {
      const until = now + ms;
      for (;;) {
        const due = [...timers.entries()]
          .filter(([, t]) => t.at <= until)
          .sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = Math.max(now, due[1].at);
        await due[1].fn();
      }
      now = until;
    },
    /** The earliest pending timer, ms from now. */
    nextTimerIn(): number | undefined {
      const at = Math.min(...[...timers.values()].map((t) => t.at));
      return Number.isFinite(at) ? at - now : undefined;
    },
  };
}

/** A lookup engine that answers from a map and counts its calls. */
export function fakeLookup(entries: Record<string, CallerMatch> = {}) {
  const map = new Map(Object.entries(entries));
  const lookup = {
    calls: 0,
    invalidated: [] as string[],
    /** Record ids given with an invalidated number (the linked record is gone). */
    invalidatedRecords: [] as string[],
    remembered: [] as CallerMatch[],
    /** Options of the last findByE164 call. */
    lastOptions: undefined as { fresh?: boolean } | undefined,
    error: undefined as unknown,
    map,
    async findByE164(e164: string, options?: { fresh?: boolean }): Promise<CallerMatch | null> {
      lookup.calls++;
      lookup.lastOptions = options;
      if (lookup.error) throw lookup.error;
      return map.get(e164) ?? null;
    },
    remember(match: CallerMatch) {
      lookup.remembered.push(match);
      map.set(match.phone, match);
    },
    invalidate(e164: string, recordId?: string) {
      lookup.invalidated.push(e164);
      if (recordId !== undefined) lookup.invalidatedRecords.push(recordId);
      map.delete(e164);
    },
  };
  return lookup;
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
}

export interface HarnessOptions {
  journal?: JournalOptions;
  emulator?: ZohoEmulatorOptions;
  store?: JournalStore;
  lookup?: ReturnType<typeof fakeLookup>;
  time?: ReturnType<typeof manualTime>;
  /** Answers instead of the emulator when it returns a Response. */
  intercept?: (request: RecordedRequest) => Response | undefined;
  deps?: Partial<JournalDependencies>;
  /** Scopes the harness's token is granted (the emulator's full set by default). */
  scopes?: readonly string[];
}

export interface Harness {
  emu: ZohoEmulatorState;
  journal: JournalApi;
  http: ZohoHttp;
  store: JournalStore;
  lookup: ReturnType<typeof fakeLookup>;
  time: ReturnType<typeof manualTime>;
  requests: RecordedRequest[];
  events: Array<{ name: keyof JournalEvents; event: JournalEvents[keyof JournalEvents] }>;
  /** Makes every token request fail with this error (or succeed again with undefined). */
  failTokens(error: AuthError | undefined): void;
  /** Makes token requests hang (a stalled token store) until the returned function is called. */
  holdTokens(): () => void;
  /** Requests per `METHOD /path` (paths below /crm/v8). */
  count(key: string): number;
  /** Same as `createJournal` with the harness's dependencies (a "restarted process"). */
  restart(overrides?: Partial<JournalDependencies>): JournalApi;
  eventsOf<K extends keyof JournalEvents>(name: K): JournalEvents[K][];
}

export function harness(options: HarnessOptions = {}): Harness {
  const time = options.time ?? manualTime();
  const emu = createZohoEmulatorState({
    now: time.now,
    users: [
      { email: 'admin@example.com', firstName: 'Ada', lastName: 'Admin', extension: '100' },
      { email: 'Grace@Example.com', firstName: 'Grace', lastName: 'Hopper', extension: '201' },
      { email: 'alan@example.com', firstName: 'Alan', lastName: 'Turing', extension: '202' },
    ],
    ...options.emulator,
  });
  emu.registerClient({
    clientId: '1000.JOURNAL',
    clientSecret: 'secret',
    redirectUris: ['http://localhost/cb'],
  });
  const issued = emu.issueTokens(options.scopes ? { scopes: options.scopes } : {});
  const router = createZohoRouter(emu, zohoUrlScheme());
  const requests: RecordedRequest[] = [];
  let tokenError: AuthError | undefined;
  let tokenGate: Promise<void> | undefined;

  const fetch: typeof globalThis.fetch = async (input, init) => {
    const request = new Request(input as string, init);
    const url = new URL(request.url);
    const text = request.method === 'GET' ? '' : await request.clone().text();
    const recorded: RecordedRequest = {
      method: request.method,
      path: url.pathname.replace(/^\/crm\/v8/, ''),
      body: text ? JSON.parse(text) : undefined,
    };
    requests.push(recorded);
    if (NO_UPSERT.test(url.pathname)) upsertsSent.push(`${request.method} ${url.pathname}`);
    const intercepted = options.intercept?.(recorded);
    const response = intercepted ?? (await router(request));
    if (response.type === 'error') throw new TypeError('fetch failed');
    return response;
  };

  const tokens: AccessTokenProvider = {
    async getAccessToken() {
      if (tokenGate) await tokenGate;
      if (tokenError) throw tokenError;
      return { accessToken: issued.accessToken, apiDomain: API };
    },
    async refreshAfterRejection() {
      if (tokenError) throw tokenError;
      return { accessToken: issued.accessToken, apiDomain: API };
    },
  };
  const http = createZohoHttp({
    tokens,
    fetch,
    timeoutMs: 5_000,
    deadlineMs: 10_000,
    retries: 0,
    maxConcurrency: 20,
  });
  const store = options.store ?? createMemoryJournalStore({ now: time.now });
  const lookup = options.lookup ?? fakeLookup();
  const events: Harness['events'] = [];
  const resolved = parseConnectorOptions({
    connectionId: 'tenant-42',
    clientId: 'id',
    clientSecret: 'secret',
    redirectUri: 'https://pbx.example.com/cb',
    journal: options.journal ?? {},
  });
  const deps = (overrides: Partial<JournalDependencies> = {}): JournalDependencies => ({
    connectionId: 'tenant-42',
    http,
    lookup,
    options: resolved.journal,
    defaultCountry: 'US',
    store,
    now: time.now,
    random: () => 0.5,
    scheduler: time.scheduler,
    emit: (name, event) => events.push({ name, event }),
    region: () => REGIONS.US,
    ...options.deps,
    ...overrides,
  });
  return {
    emu,
    journal: createJournal(deps()),
    http,
    store,
    lookup,
    time,
    requests,
    events,
    failTokens(error) {
      tokenError = error;
    },
    holdTokens() {
      let release = () => {};
      tokenGate = new Promise<void>((resolve) => {
        release = () => {
          tokenGate = undefined;
          resolve();
        };
      });
      return release;
    },
    count(key) {
      return requests.filter((r) => `${r.method} ${r.path}` === key).length;
    },
    restart(overrides) {
      return createJournal(deps(overrides));
    },
    eventsOf(name) {
      return events.filter((e) => e.name === name).map((e) => e.event) as never;
    },
  };
}

/** A Zoho per-record write response. */
export function writeResponse(entries: Array<Record<string, unknown>>, status = 207): Response {
  return new Response(JSON.stringify({ data: entries }), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

export function notConnected(): AuthError {
  return new AuthError('AUTH_NOT_CONNECTED', 'Zoho CRM is not authorized for this connection', {
    reauthorize: true,
  });
}
