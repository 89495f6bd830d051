import { afterAll, describe, expect, it } from 'vitest';
import { AuthError, ConfigError, RateLimitError, TransportError, ZohoApiError } from '../../src/errors.js';
import { chunk, defer, forEachLimit } from '../../src/journal/batch.js';
import { createMemoryJournalStore } from '../../src/journal/memory-store.js';
import { createOrgSettings } from '../../src/journal/org-settings.js';
import { createOwnerResolver } from '../../src/journal/owners.js';
import type { PbxCall } from '../../src/journal/pbx-call.js';
import {
  classifyFailure,
  errorInfo,
  isOptionalLookupRefused,
  retryDelay,
} from '../../src/journal/retry-policy.js';
import { harness, START, upsertsSent, writeResponse } from './harness.js';

// No code path sends an upsert on Calls (Zoho does not offer it): checked over every test of this file.
afterAll(() => expect(upsertsSent).toEqual([]));

const call = (id: string, extra: Partial<PbxCall> = {}): PbxCall => ({
  id,
  direction: 'inbound',
  trunk: true,
  from: '+14155552671',
  to: '+14155550100',
  startedAt: new Date(START - 120_000),
  answeredAt: new Date(START - 100_000),
  endedAt: new Date(START - 10_000),
  status: 'answered',
  ...extra,
});

const envelope = (status: number, code: string) =>
  new Response(JSON.stringify({ code, details: {}, message: code.toLowerCase(), status: 'error' }), {
    status,
    headers: { 'content-type': 'application/json' },
  });

describe('failure handling', () => {
  it('retries notes Zoho could not take now, and dead-letters notes it refuses', async () => {
    let notes = 0;
    const h = harness({
      intercept: (request) => {
        if (request.path !== '/Notes') return undefined;
        notes++;
        if (notes === 1) return envelope(500, 'INTERNAL_ERROR');
        if (notes === 2) {
          return writeResponse([
            {
              code: 'INVALID_DATA',
              status: 'error',
              message: 'the related id given seems to be invalid',
              details: {},
            },
          ]);
        }
        return undefined;
      },
    });
    const { zohoCallId } = await h.journal.logCall(call('c1'));
    expect(await h.journal.addCallNote('c1', 'first')).toMatchObject({ status: 'queued' });
    expect(h.eventsOf('journalRetry')[0]).toMatchObject({
      kind: 'note',
      error: { zohoCode: 'INTERNAL_ERROR' },
    });
    await expect(h.journal.addCallNote('c1', 'second')).rejects.toMatchObject({ zohoCode: 'INVALID_DATA' });
    expect((await h.journal.deadLetters()).map((l) => l.op.kind)).toEqual(['note']);
    expect(await h.journal.flush()).toEqual({ pending: 0, deadLetters: 1 });
    expect(h.emu.records('Notes')).toMatchObject([{ Note_Content: 'first', Parent_Id: { id: zohoCallId } }]);
  });

  it('retries late links Zoho could not take now, and dead-letters updates it refuses', async () => {
    let puts = 0;
    const h = harness({
      intercept: (request) => {
        if (request.method !== 'PUT') return undefined;
        puts++;
        if (puts === 1) return envelope(503, 'INTERNAL_ERROR');
        if (puts === 2)
          return writeResponse([{ code: 'RECORD_LOCKED', status: 'error', message: 'locked', details: {} }]);
        if (puts === 3) {
          return writeResponse([
            { code: 'INVALID_DATA', status: 'error', message: 'bad', details: { api_name: 'Description' } },
          ]);
        }
        return undefined;
      },
    });
    await h.journal.logCall(call('c1'));
    const link = { recording: { url: 'https://pbx.example.com/r/1' } };
    expect((await h.journal.attachToCall('c1', link)).status).toBe('queued');
    expect((await h.journal.flush()).pending).toBe(1); // RECORD_LOCKED: retried later
    expect(await h.journal.flush()).toEqual({ pending: 0, deadLetters: 1 });
    expect(h.eventsOf('journalFailed')).toMatchObject([
      { kind: 'update', error: { zohoCode: 'INVALID_DATA' } },
    ]);
  });

  it('dead-letters the notes of a call Zoho refuses, naming the cause', async () => {
    const h = harness({
      intercept: (request) =>
        request.method === 'POST' && request.path === '/Calls' ? envelope(400, 'INVALID_MODULE') : undefined,
    });
    await h.journal.addCallNote('c1', 'held first');
    await expect(h.journal.logCall(call('c1', { notes: ['with the call'] }))).rejects.toMatchObject({
      zohoCode: 'INVALID_MODULE',
    });
    const letters = await h.journal.deadLetters();
    expect(letters.map((l) => [l.op.kind, l.error.code])).toEqual([
      ['create', 'ZOHO_API'],
      ['note', 'JOURNAL_CALL_NOT_LOGGED'],
    ]);
    expect(letters[1]?.error.message).toContain('INVALID_MODULE');
  });

  it('retries a batch when Zoho answers with fewer results than records', async () => {
    const h = harness({
      intercept: (request) =>
        request.method === 'POST' && request.path === '/Calls' ? writeResponse([], 201) : undefined,
    });
    expect((await h.journal.logCall(call('c1'))).status).toBe('queued');
    expect(h.eventsOf('journalRetry')[0]?.error).toMatchObject({ zohoCode: 'INTERNAL_ERROR' });
  });

  it('takes an insert DUPLICATE_DATA on the dedupe field as the existing activity', async () => {
    const h = harness({
      journal: { dedupeField: 'PBX_Call_ID' },
      emulator: { uniqueFields: { Calls: ['PBX_Call_ID'] } },
      intercept: (request) =>
        request.method === 'POST' && request.path === '/Calls'
          ? writeResponse(
              [
                {
                  code: 'DUPLICATE_DATA',
                  status: 'error',
                  message: 'duplicate data',
                  details: {
                    api_name: 'PBX_Call_ID',
                    duplicate_record: { id: '777', module: { api_name: 'Calls' } },
                  },
                },
              ],
              400,
            )
          : undefined,
    });
    expect(await h.journal.logCall(call('c1'))).toEqual({ status: 'logged', zohoCallId: '777' });
    expect(h.count('POST /Calls/upsert')).toBe(0);
  });

  it('answers a second delivery of a queued call with "already queued"', async () => {
    const h = harness();
    h.emu.faults({ outage: true });
    await h.journal.logCall(call('c1'));
    expect(await h.journal.logCall(call('c1'))).toEqual({ status: 'queued', reason: 'already queued' });
  });

  it('keeps the call queued when the store fails, and isolates throwing listeners', async () => {
    const warnings: string[] = [];
    const errors: string[] = [];
    const store = createMemoryJournalStore();
    const claimCalls = store.claimCalls.bind(store);
    let fail = true;
    store.claimCalls = async (...args) => {
      if (fail) {
        fail = false;
        throw new Error('store down');
      }
      return claimCalls(...args);
    };
    const h = harness({
      store,
      deps: {
        emit: () => {
          throw new Error('listener bug');
        },
        logger: {
          debug() {},
          info() {},
          warn: (_o, msg) => warnings.push(msg),
          error: (_o, msg) => errors.push(msg),
        },
      },
    });
    expect(await h.journal.logCall(call('c1'))).toEqual({
      status: 'queued',
      reason: 'the journal store is unavailable',
    });
    expect(errors).toContain('journal store unavailable; the write stays queued');
    expect(await h.journal.flush()).toEqual({ pending: 0, deadLetters: 0 });
    expect(warnings).toContain('a journal event listener threw');
    expect(h.emu.records('Calls')).toHaveLength(1);
  });

  it('logs unlinked when the grant lacks the search scope, instead of waiting for authorization', async () => {
    const h = harness();
    h.lookup.error = new AuthError('AUTH_SCOPE_MISMATCH', 'no search scope', { reauthorize: true });
    expect((await h.journal.logCall(call('c1'))).status).toBe('logged');
    expect(h.emu.records('Calls')[0]).not.toHaveProperty('Who_Id');
  });

  it('refuses bad link and call ids with ConfigErrors', async () => {
    const h = harness();
    await expect(
      h.journal.linkCall('\u0000', {
        module: 'Leads',
        id: '1',
        name: 'x',
        phone: '+1',
        field: 'Phone',
        source: 'zoho',
      }),
    ).rejects.toThrow(ConfigError);
  });
});

describe('retry policy', () => {
  it.each([
    [new AuthError('AUTH_NOT_CONNECTED', 'x', { reauthorize: true }), 'authorize'],
    [new AuthError('AUTH_THROTTLED', 'x'), 'retry'],
    [new RateLimitError('x', { retryAfterMs: 5 }), 'retry'],
    [new TransportError('NETWORK', 'x'), 'retry'],
    [new ZohoApiError('x', { status: 503 }), 'retry'],
    [new ZohoApiError('x', { status: 0 }), 'retry'],
    [new ZohoApiError('x', { status: 400, zohoCode: 'RECORD_LOCKED' }), 'retry'],
    [new ZohoApiError('x', { status: 400, zohoCode: 'INVALID_DATA' }), 'dead'],
    [new Error('a bug'), 'retry'],
  ])('classifies %s as %s', (error, action) => {
    expect(classifyFailure(error)).toBe(action);
  });

  it('tells refused optional lookups from outages', () => {
    expect(isOptionalLookupRefused(new AuthError('AUTH_SCOPE_MISMATCH', 'x', { reauthorize: true }))).toBe(
      true,
    );
    expect(isOptionalLookupRefused(new AuthError('AUTH_NOT_CONNECTED', 'x', { reauthorize: true }))).toBe(
      false,
    );
    expect(isOptionalLookupRefused(new ZohoApiError('x', { status: 403, zohoCode: 'NO_PERMISSION' }))).toBe(
      true,
    );
    expect(isOptionalLookupRefused(new TransportError('NETWORK', 'x'))).toBe(false);
  });

  it('doubles, caps, jitters and honours Retry-After', () => {
    const policy = { baseDelayMs: 1_000, maxDelayMs: 8_000 };
    expect([1, 2, 3, 4, 5].map((n) => retryDelay(n, policy, 1))).toEqual([1_000, 2_000, 4_000, 8_000, 8_000]);
    expect(retryDelay(1, policy, 0)).toBe(500);
    expect(retryDelay(0, policy, 0)).toBe(500);
    expect(retryDelay(1, policy, 0, new RateLimitError('x', { retryAfterMs: 30_000 }))).toBe(30_000);
    expect(retryDelay(1, policy, 0, new RateLimitError('x', {}))).toBe(500);
  });

  it('records errors without secrets', () => {
    expect(
      errorInfo(new AuthError('AUTH_SCOPE_MISMATCH', 'scopes', { zohoCode: 'OAUTH_SCOPE_MISMATCH' })),
    ).toEqual({
      code: 'AUTH_SCOPE_MISMATCH',
      zohoCode: 'OAUTH_SCOPE_MISMATCH',
      message: 'scopes',
    });
    expect(
      errorInfo(new Error('token 1000.aaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbb leaked')).message,
    ).not.toContain('1000.aaaa');
    expect(errorInfo('plain')).toEqual({ code: 'UNEXPECTED', message: 'plain' });
  });
});

describe('owners and org settings', () => {
  it('falls back when the users API refuses, and refreshes the list at most every 10 minutes for a new agent', async () => {
    const h = harness();
    let now = START;
    const warnings: string[] = [];
    const logger = {
      debug() {},
      info() {},
      error() {},
      warn: (_o: unknown, msg: string) => warnings.push(msg),
    };
    const refused = createOwnerResolver({
      http: {
        request: () => Promise.reject(new ZohoApiError('no', { status: 403, zohoCode: 'NO_PERMISSION' })),
        queued: 0,
      },
      fallbackOwnerId: '42',
      now: () => now,
      logger,
    });
    expect(await refused.resolve({ extension: '201', email: 'a@example.com' })).toBe('42');
    expect(warnings).toEqual(['cannot list Zoho users; call owners fall back to the fallback owner']);
    refused.reject('42');
    expect(await refused.resolve(undefined)).toBeUndefined();

    const owners = createOwnerResolver({ http: h.http, now: () => now, userExtensionField: 'Extension' });
    expect(await owners.resolve({ extension: '999' })).toBeUndefined();
    const hire = h.emu.addUser({ email: 'new@example.com', lastName: 'Hire', extension: '999' });
    expect(await owners.resolve({ extension: '999' })).toBeUndefined(); // list is fresh: not refetched
    now += 600_001;
    expect(await owners.resolve({ extension: '999' })).toBe(hire.id);
    expect(h.count('GET /users')).toBe(2);
    expect(await owners.resolve({ extension: '', email: undefined })).toBeUndefined();
    await expect(
      createOwnerResolver({
        http: { request: () => Promise.reject(new TransportError('NETWORK', 'down')), queued: 0 },
        now: () => now,
      }).resolve({ extension: '1', email: 'x@example.com' }),
    ).rejects.toThrow(TransportError);
  });

  it('uses UTC and no status field when Zoho will not tell, and re-reads after a day', async () => {
    const h = harness();
    let now = START;
    const refusing = createOrgSettings({
      http: {
        request: () => Promise.reject(new AuthError('AUTH_SCOPE_MISMATCH', 'scope', { reauthorize: true })),
        queued: 0,
      },
      now: () => now,
    });
    expect(await refusing.get()).toEqual({ timeZone: 'UTC', statusField: undefined, dedupeField: undefined });
    const org = createOrgSettings({ http: h.http, now: () => now, dedupeField: 'Nope_Field' });
    expect(await org.get()).toEqual({
      timeZone: 'America/New_York',
      statusField: 'Outgoing_Call_Status',
      dedupeField: undefined,
    });
    await org.get();
    now += 86_400_001;
    await org.get();
    expect(h.count('GET /settings/fields')).toBe(2);
  });
});

describe('batch helpers', () => {
  it('chunks, limits concurrency and defers', async () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    let running = 0;
    let peak = 0;
    await forEachLimit([1, 2, 3, 4, 5, 6], 2, async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
    });
    expect(peak).toBe(2);
    await forEachLimit([], 4, async () => undefined);
    const original = globalThis.setImmediate;
    (globalThis as { setImmediate?: unknown }).setImmediate = undefined;
    try {
      await new Promise<void>((resolve) => defer(resolve));
    } finally {
      globalThis.setImmediate = original;
    }
  });
});
