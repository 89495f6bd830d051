/**
 * `diagnose()` against the emulator: for every way Zoho may match phone searches, read `Call_Duration`
 * and lag its search index, the write probes report exactly that, store it with the tokens and leave no
 * record behind; the read-only run sends no write request; missing scopes skip, never fail.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DiagnoseClock, DiagnoseReport } from '../../src/diagnose/types.js';
import { DEFAULT_SCOPES, DIAGNOSE_SCOPES } from '../../src/oauth/scopes.js';
import type { ConnectorOptions } from '../../src/options.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import type { TokenStore } from '../../src/stores/types.js';
import type { ZohoEmulatorOptions } from '../../src/testing/emulator/types.js';
import { startZohoEmulator, type ZohoEmulator } from '../../src/testing/server.js';
import { FAKE_TIME, until } from '../helpers/time.js';
import { authorize, closeConnectors, connectorFor, registerClient } from '../integration/helpers.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const WRITE_SCOPES = [...DEFAULT_SCOPES, ...DIAGNOSE_SCOPES];
const live: ZohoEmulator[] = [];

afterEach(async () => {
  await closeConnectors();
  await Promise.all(live.splice(0).map((emu) => emu.close()));
});

async function emulator(options: ZohoEmulatorOptions = {}): Promise<ZohoEmulator> {
  const emu = await startZohoEmulator({ autoConsent: true, now: () => T0, ...options });
  live.push(emu);
  registerClient(emu);
  return emu;
}

/** Sleeping moves the emulator's clock: no test waits for real time. */
function clockOf(emu: ZohoEmulator): DiagnoseClock & { slept: number[] } {
  const slept: number[] = [];
  return {
    slept,
    now: () => emu.now(),
    sleep: async (ms) => {
      slept.push(ms);
      emu.advanceTime(ms);
    },
  };
}

async function authorized(emu: ZohoEmulator, options: Partial<ConnectorOptions> = {}) {
  const zoho = connectorFor(emu, { scopes: WRITE_SCOPES, ...options });
  await authorize(zoho);
  return zoho;
}

const crmWrites = (emu: ZohoEmulator) =>
  emu.requestLog().filter((e) => e.endpoint.includes(' /crm/') && e.method !== 'GET');
const byId = (report: DiagnoseReport) => Object.fromEntries(report.checks.map((c) => [c.id, c]));

describe('diagnose({ write: true }) measures the org as it is', () => {
  const cases = (['digits-contains', 'digits-exact', 'exact', 'digits-suffix'] as const).flatMap(
    (phoneMatch) =>
      (['mm:ss', 'HH:mm'] as const).flatMap((durationReading) =>
        [0, 2000].map((searchIndexDelayMs) => ({ phoneMatch, durationReading, searchIndexDelayMs })),
      ),
  );

  it.each(cases)(
    'phoneMatch $phoneMatch, durationReading $durationReading, index delay $searchIndexDelayMs ms',
    async (mode) => {
      const emu = await emulator(mode);
      const store = createMemoryStore();
      const zoho = await authorized(emu, { tokenStore: store });
      const report = await zoho.diagnose({ write: true, clock: clockOf(emu) });

      expect(report.checks.map((c) => c.id)).toEqual([
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
      ]);
      const checks = byId(report);
      for (const id of [
        'authorization',
        'scopes',
        'phone-fields',
        'calls-fields',
        'users',
        'time-zone',
        'phone-search',
        'call-duration',
        'index-lag',
      ]) {
        expect(checks[id]?.status, `${id}: ${checks[id]?.summary}`).toBe('pass');
      }
      expect(checks.credits?.status).toBe('skip'); // the emulator sends no X-API-CREDITS-REMAINING
      expect(report.ok).toBe(true);
      expect(report.calibration).toMatchObject({
        phoneSearch: mode.phoneMatch,
        durationFormat: mode.durationReading,
        indexLagMs: mode.searchIndexDelayMs,
        callsMandatoryFields: [],
        sources: { phoneSearch: 'diagnose', durationFormat: 'diagnose', indexLagMs: 'diagnose' },
      });
      expect(checks['call-duration']?.details).toMatchObject({
        readBack: mode.durationReading === 'mm:ss' ? 62 : 3720,
      });

      // No record is left behind; the probes wrote exactly one Lead and one Call and deleted both.
      expect(emu.records('Leads')).toEqual([]);
      expect(emu.records('Calls')).toEqual([]);
      const writes = crmWrites(emu).map((e) => e.endpoint);
      expect(writes.sort()).toEqual([
        'DELETE /crm/v8/Calls/{id}',
        'DELETE /crm/v8/Leads/{id}',
        'POST /crm/v8/Calls',
        'POST /crm/v8/Leads',
      ]);

      // Stored with the tokens: a new connector on the same store starts from it.
      expect((await store.get('tenant-1'))?.calibration).toMatchObject({
        phoneSearch: mode.phoneMatch,
        durationFormat: mode.durationReading,
      });
      const next = connectorFor(emu, { tokenStore: store, scopes: WRITE_SCOPES });
      const again = await next.diagnose();
      expect(again.calibration).toMatchObject({
        phoneSearch: mode.phoneMatch,
        durationFormat: mode.durationReading,
        indexLagMs: mode.searchIndexDelayMs,
      });
    },
  );
});

describe('what diagnose() measures is used from then on', () => {
  it('the journal writes durations the way the org reads them, without learning again', async () => {
    const emu = await emulator({ durationReading: 'HH:mm' });
    const store = createMemoryStore();
    const zoho = await authorized(emu, { tokenStore: store });
    await zoho.diagnose({ write: true, clock: clockOf(emu) });
    await zoho.close();

    // A new process on the same store: its first call is written for HH:mm at once.
    const next = connectorFor(emu, { tokenStore: store, scopes: WRITE_SCOPES });
    const before = emu.requestLog().length;
    const ended = T0 - 60_000;
    const result = await next.logCall({
      id: 'pbx-1',
      direction: 'inbound',
      trunk: true,
      from: '+14155550100',
      to: '+14155550199',
      startedAt: new Date(ended - 260_000),
      answeredAt: new Date(ended - 252_000),
      endedAt: new Date(ended),
      status: 'answered',
    });
    expect(result.status).toBe('logged');
    const [call] = emu.records('Calls');
    expect(call?.Call_Duration_in_seconds).toBe(252);
    const coql = emu
      .requestLog()
      .slice(before)
      .filter((e) => e.endpoint.includes('/coql'));
    expect(coql).toEqual([]); // no read-back to learn the reading: diagnose measured it
  });
});

describe('diagnose() without write', () => {
  it('sends no write request and skips the write probes', async () => {
    const emu = await emulator({ phoneMatch: 'exact' });
    const zoho = await authorized(emu);
    const report = await zoho.diagnose();
    expect(crmWrites(emu)).toEqual([]);
    const checks = byId(report);
    for (const id of ['phone-search', 'call-duration', 'index-lag']) {
      expect(checks[id]?.status).toBe('skip');
      expect(checks[id]?.summary).toContain('write: true');
    }
    expect(report.ok).toBe(true);
    expect(report.calibration.phoneSearch).toBe('unknown');
    expect(report.calibration.phoneFields).toEqual({
      Contacts: ['Phone', 'Mobile', 'Home_Phone', 'Other_Phone', 'Asst_Phone'],
      Leads: ['Phone', 'Mobile'],
      Accounts: ['Phone'],
    });
  });

  it('fails authorization and skips the rest when the connection is not authorized, asking Zoho nothing', async () => {
    const emu = await emulator();
    const zoho = connectorFor(emu);
    const report = await zoho.diagnose({ write: true });
    expect(report.ok).toBe(false);
    expect(report.checks[0]).toMatchObject({ id: 'authorization', status: 'fail' });
    expect(report.checks[0]?.summary).toContain('Authorize');
    expect(report.checks.slice(1).every((c) => c.status === 'skip')).toBe(true);
    expect(emu.requestLog().filter((e) => e.endpoint.includes(' /crm/'))).toEqual([]);
  });

  it('reports custom phone fields and warns about an absent standard one', async () => {
    const emu = await emulator({
      absentFields: { Contacts: ['Mobile'] },
      fields: { Contacts: [{ apiName: 'Work_Phone', dataType: 'phone' }] },
    });
    const zoho = await authorized(emu);
    const check = byId(await zoho.diagnose())['phone-fields'];
    expect(check?.status).toBe('warn');
    expect(check?.summary).toContain('Contacts.Mobile');
    expect(check?.summary).toContain('custom: Contacts.Work_Phone');
  });

  it('validates its options', async () => {
    const emu = await emulator();
    const zoho = connectorFor(emu);
    await expect(zoho.diagnose({ write: 'yes' } as never)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(zoho.diagnose({ maxIndexWaitMs: 10 })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(zoho.diagnose({ clock: {} } as never)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await zoho.close();
    await expect(zoho.diagnose()).rejects.toMatchObject({ code: 'CONNECTOR_CLOSED' });
  });
});

describe('scopes', () => {
  it('skips the write probes naming the missing DELETE scopes, and sends no write request', async () => {
    const emu = await emulator();
    const zoho = await authorized(emu, { scopes: [...DEFAULT_SCOPES] });
    const report = await zoho.diagnose({ write: true, clock: clockOf(emu) });
    const checks = byId(report);
    expect(checks['phone-search']).toMatchObject({
      status: 'skip',
      details: { missingScopes: ['ZohoCRM.modules.leads.DELETE'] },
    });
    expect(checks['index-lag']?.summary).toContain('ZohoCRM.modules.leads.DELETE');
    expect(checks['call-duration']).toMatchObject({
      status: 'skip',
      details: { missingScopes: ['ZohoCRM.modules.calls.DELETE'] },
    });
    expect(checks.scopes).toMatchObject({
      status: 'pass',
      details: { missingForWriteProbes: ['ZohoCRM.modules.leads.DELETE', 'ZohoCRM.modules.calls.DELETE'] },
    });
    expect(report.ok).toBe(true);
    expect(crmWrites(emu)).toEqual([]);
  });

  it('runs only the probe whose scopes are granted', async () => {
    const emu = await emulator({ durationReading: 'HH:mm' });
    const zoho = await authorized(emu, { scopes: [...DEFAULT_SCOPES, 'ZohoCRM.modules.calls.ALL'] });
    const report = await zoho.diagnose({ write: true, clock: clockOf(emu) });
    expect(byId(report)['phone-search']?.status).toBe('skip');
    expect(byId(report)['call-duration']?.status).toBe('pass');
    expect(report.calibration.durationFormat).toBe('HH:mm');
    expect(emu.records('Calls')).toEqual([]);
  });

  it('fails the scopes check when a configured feature lacks one, and skips what Zoho refuses', async () => {
    const emu = await emulator();
    const scopes = DEFAULT_SCOPES.filter(
      (s) => s !== 'ZohoCRM.users.READ' && s !== 'ZohoCRM.settings.fields.READ',
    );
    const zoho = await authorized(emu, { scopes });
    const report = await zoho.diagnose();
    const checks = byId(report);
    expect(checks.scopes).toMatchObject({
      status: 'fail',
      details: { missingRequired: ['ZohoCRM.users.READ'], missingOptional: ['ZohoCRM.settings.fields.READ'] },
    });
    for (const id of ['users', 'time-zone'])
      expect(checks[id]).toMatchObject({
        status: 'skip',
        details: { missingScopes: ['ZohoCRM.users.READ'] },
      });
    for (const id of ['phone-fields', 'calls-fields'])
      expect(checks[id]?.summary).toContain('ZohoCRM.settings.fields.READ');
    expect(emu.requestLog().filter((e) => e.status === 401)).toEqual([]); // predicted from the stored scopes
  });
});

describe('write probes under trouble', () => {
  it('fails on a mandatory Calls field the journal does not fill, and stores it', async () => {
    const emu = await emulator({
      fields: { Calls: [{ apiName: 'Region', dataType: 'text', mandatory: true }] },
    });
    const zoho = await authorized(emu);
    const report = await zoho.diagnose({ write: true, clock: clockOf(emu) });
    const checks = byId(report);
    expect(checks['call-duration']?.status).toBe('fail');
    expect(checks['call-duration']?.summary).toContain('Region');
    expect(checks['calls-fields']).toMatchObject({
      status: 'fail',
      details: { mandatoryUnfilled: ['Region'] },
    });
    expect(report.ok).toBe(false);
    expect(report.calibration.callsMandatoryFields).toEqual(['Region']);
    expect(emu.records('Calls')).toEqual([]);
    expect(emu.records('Leads')).toEqual([]);
  });

  it('does not list a mandatory Calls field that journal.fields fills (for every kind of call)', async () => {
    const emu = await emulator({
      fields: {
        Calls: [
          { apiName: 'Region', dataType: 'text', mandatory: true },
          { apiName: 'Team', dataType: 'text', mandatory: true },
        ],
      },
    });
    const zoho = await authorized(emu, {
      // Team only for inbound calls: outbound ones would still be refused.
      journal: {
        fields: (call) => ({ Region: 'EMEA', Team: call.direction === 'inbound' ? 'Support' : undefined }),
      },
    });
    const checks = byId(await zoho.diagnose({ write: true, clock: clockOf(emu) }));
    // The test Call carries Region like the journal's calls; Team, filled for inbound calls only, is missing.
    expect(checks['calls-fields']).toMatchObject({
      status: 'fail',
      details: { mandatoryUnfilled: ['Team'] },
    });
    expect(checks['call-duration']?.summary).toContain('Team');
    expect(emu.records('Calls')).toEqual([]);
  });

  it('passes when journal.fields fills the mandatory Calls fields', async () => {
    const emu = await emulator({
      fields: { Calls: [{ apiName: 'Region', dataType: 'text', mandatory: true }] },
    });
    const zoho = await authorized(emu, { journal: { fields: () => ({ Region: 'EMEA' }) } });
    const checks = byId(await zoho.diagnose({ write: true, clock: clockOf(emu) }));
    expect(checks['calls-fields']).toMatchObject({ status: 'pass', details: { mandatoryUnfilled: [] } });
    expect(checks['call-duration']?.status).toBe('pass');
    expect(emu.records('Calls')).toEqual([]);
  });

  it('deletes the test Lead when searching fails', async () => {
    const emu = await emulator();
    const failSearch: typeof fetch = async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url.includes('/Leads/search')) throw new TypeError('fetch failed');
      return fetch(input, init);
    };
    const zoho = await authorized(emu, { fetch: failSearch, http: { retries: 0 } });
    const report = await zoho.diagnose({ write: true, clock: clockOf(emu) });
    const checks = byId(report);
    expect(checks['phone-search']?.status).toBe('warn');
    expect(checks['phone-search']?.summary).toContain('NETWORK');
    expect(checks['index-lag']?.status).toBe('warn');
    expect(emu.records('Leads')).toEqual([]);
    expect(crmWrites(emu).some((e) => e.method === 'DELETE' && e.endpoint.includes('/Leads/'))).toBe(true);
  });

  it('finds and deletes a test Lead whose insert answer was lost', async () => {
    const emu = await emulator();
    let lost = false;
    const loseFirstInsert: typeof fetch = async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
      const response = await fetch(input, init);
      if (!lost && method === 'POST' && /\/crm\/v8\/Leads$/.test(url)) {
        lost = true;
        throw new TypeError('socket hang up');
      }
      return response;
    };
    const zoho = await authorized(emu, { fetch: loseFirstInsert });
    const report = await zoho.diagnose({ write: true, clock: clockOf(emu) });
    expect(lost).toBe(true);
    expect(byId(report)['phone-search']).toMatchObject({ status: 'warn' });
    expect(emu.records('Leads')).toEqual([]);
  });

  it('counts a delete whose answer was lost, then retried, as clean', async () => {
    const emu = await emulator();
    let dropped = 0;
    const loseFirstDelete: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (init?.method === 'DELETE' && dropped++ === 0) throw new TypeError('socket hang up');
      return response;
    };
    const zoho = await authorized(emu, { fetch: loseFirstDelete, http: { retries: 2 } });
    const report = await zoho.diagnose({ write: true, clock: clockOf(emu) });
    expect(dropped).toBeGreaterThan(1);
    expect(report.ok).toBe(true);
    expect(emu.records('Leads')).toEqual([]);
  });

  it('fails and names the record when a test record cannot be deleted', async () => {
    const emu = await emulator();
    const refuseDeletes: typeof fetch = async (input, init) =>
      init?.method === 'DELETE'
        ? new Response(
            JSON.stringify({
              code: 'NO_PERMISSION',
              message: 'permission denied',
              status: 'error',
              details: {},
            }),
            {
              status: 403,
              headers: { 'content-type': 'application/json' },
            },
          )
        : fetch(input, init);
    const zoho = await authorized(emu, { fetch: refuseDeletes });
    const report = await zoho.diagnose({ write: true, clock: clockOf(emu) });
    const [lead] = emu.records('Leads') as Array<{ id: string }>;
    const [call] = emu.records('Calls') as Array<{ id: string }>;
    expect(report.ok).toBe(false);
    expect(byId(report)['phone-search']).toMatchObject({ status: 'fail', details: { leftBehind: lead?.id } });
    expect(byId(report)['phone-search']?.summary).toContain(`Leads/${lead?.id}`);
    expect(byId(report)['call-duration']).toMatchObject({
      status: 'fail',
      details: { leftBehind: call?.id },
    });
    expect(report.calibration.phoneSearch).toBe('digits-contains'); // what was measured still counts
  });

  it('stops when aborted while waiting for the index, still deleting the test Lead', async () => {
    const emu = await emulator({ searchIndexDelayMs: 10_000 });
    const zoho = await authorized(emu);
    const controller = new AbortController();
    const clock: DiagnoseClock = {
      now: () => emu.now(),
      sleep: async (ms) => {
        emu.advanceTime(ms);
        if (emu.now() - T0 >= 2_000) controller.abort();
      },
    };
    const report = await zoho.diagnose({ write: true, clock, signal: controller.signal });
    const checks = byId(report);
    expect(checks['phone-search']?.status).toBe('fail');
    expect(checks['phone-search']?.summary).toContain('ABORTED');
    expect(checks['call-duration']).toMatchObject({ status: 'fail' });
    expect(report.ok).toBe(false);
    expect(emu.records('Leads')).toEqual([]);
    expect(crmWrites(emu).filter((e) => e.endpoint === 'POST /crm/v8/Calls')).toEqual([]);
  });

  it('gives up on the index after maxIndexWaitMs, polling a bounded number of times', async () => {
    const emu = await emulator({ searchIndexDelayMs: 3_600_000 });
    const zoho = await authorized(emu);
    const clock = clockOf(emu);
    const report = await zoho.diagnose({ write: true, clock, maxIndexWaitMs: 20_000 });
    const checks = byId(report);
    expect(checks['index-lag']).toMatchObject({ status: 'warn', details: { waitedMs: 20_000 } });
    expect(checks['phone-search']?.status).toBe('warn'); // nothing found: no reading
    expect(clock.slept.reduce((a, b) => a + b, 0)).toBe(20_000);
    expect(clock.slept.length).toBeLessThan(25);
    expect(report.calibration.indexLagMs).toBeUndefined();
    expect(report.calibration.phoneSearch).toBe('unknown');
    expect(emu.records('Leads')).toEqual([]);
  });

  it('reports the credits Zoho says are left', async () => {
    const emu = await emulator();
    const withCredits: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const headers = new Headers(response.headers);
      headers.set('x-api-credits-remaining', '1234');
      return new Response(response.body, { status: response.status, headers });
    };
    const zoho = await authorized(emu, { fetch: withCredits, edition: 'Enterprise' });
    const check = byId(await zoho.diagnose()).credits;
    expect(check).toMatchObject({ status: 'warn', details: { remaining: 1234, estimatedDaily: 51_000 } });
  });
});

describe('never hangs on the token store', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A store whose calls hang once `hang` is set (a SIGSTOPped Redis, a stuck NFS mount). */
  function stallingStore(): TokenStore & { hang: Set<string>; hung: string[] } {
    const inner = createMemoryStore();
    const hang = new Set<string>();
    const hung: string[] = [];
    const maybe = <T>(name: string, work: () => Promise<T>) => {
      if (!hang.has(name)) return work();
      hung.push(name);
      return new Promise<T>(() => {});
    };
    return {
      hang,
      hung,
      get: (id) => maybe('get', () => inner.get(id)),
      set: (id, tokens) => maybe('set', () => inner.set(id, tokens)),
      delete: (id) => maybe('delete', () => inner.delete(id)),
    };
  }

  it('fails authorization at the HTTP deadline when the store does not answer', async () => {
    const emu = await emulator();
    const store = stallingStore();
    store.hang.add('get');
    vi.useFakeTimers(FAKE_TIME);
    const zoho = connectorFor(emu, { tokenStore: store, http: { deadlineMs: 5_000 } });
    const running = zoho.diagnose();
    await until(() => store.hung.length === 1, 'the calibration read');
    await vi.advanceTimersByTimeAsync(5_000);
    await until(() => store.hung.length === 2, 'the token read');
    await vi.advanceTimersByTimeAsync(5_000);
    const report = await running;
    expect(report.checks[0]).toMatchObject({
      id: 'authorization',
      status: 'fail',
      details: { code: 'DEADLINE_EXCEEDED' },
    });
    expect(report.ok).toBe(false);
  });

  it('reports what it measured when the store cannot keep it', async () => {
    const emu = await emulator({ phoneMatch: 'digits-exact' });
    const store = stallingStore();
    const zoho = await authorized(emu, { tokenStore: store, http: { deadlineMs: 5_000 } });
    store.hang.add('set');
    vi.useFakeTimers(FAKE_TIME);
    const running = zoho.diagnose({ write: true, clock: clockOf(emu) });
    await until(() => store.hung.includes('set'), 'the calibration write');
    await vi.advanceTimersByTimeAsync(5_000);
    const report = await running;
    expect(report.calibration.phoneSearch).toBe('digits-exact');
    expect(emu.records('Leads')).toEqual([]);
  });
});
