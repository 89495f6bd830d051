import { afterEach, describe, expect, it, vi } from 'vitest';
import { dailyCredits, type Edition } from '../../../src/editions.js';
import type { ZohoEmulatorOptions } from '../../../src/testing/index.js';
import { FAKE_TIME, until } from '../../helpers/time.js';
import { envelope, type StartHarness, scenario } from '../harness.js';

const TOO_MANY = envelope('TOO_MANY_REQUESTS', 'too many requests. please try again after some time');
const DAY = 86_400_000;

async function connected(start: StartHarness, options: ZohoEmulatorOptions = {}) {
  const s = await scenario(start, { autoConsent: true, ...options });
  const tokens = await s.connect();
  return { s, token: tokens.access_token };
}

export function limitScenarios(start: StartHarness): void {
  describe('limits: API credits per rolling 24 hours', () => {
    const cases: Array<[Edition, number, number]> = [
      ['Free', 3, 5_000],
      ['Standard', 4, 51_000],
      ['Standard', 400, 100_000],
      ['Professional', 10, 55_000],
      ['Enterprise', 10, 60_000],
      ['Ultimate', 10, 70_000],
    ];
    it.each(cases)('%s with %i licensed users gets %i credits', async (edition, users, expected) => {
      const s = await scenario(start, { edition, licensedUsers: users });
      expect(s.emu.stats().creditLimit).toBe(expected);
      expect(expected).toBe(dailyCredits(edition, users));
    });

    it('counts the org users when licensedUsers is not given, plus add-on credits', async () => {
      const s = await scenario(start, {
        edition: 'Enterprise',
        users: [
          { email: 'a@example.com', lastName: 'A' },
          { email: 'b@example.com', lastName: 'B' },
        ],
        addOnCredits: 500,
      });
      expect(s.emu.stats().creditLimit).toBe(52_500);
    });

    it('charges 1 per call, 1 per 10 records written and COQL by LIMIT tier; OAuth calls are free', async () => {
      const { s, token } = await connected(start);
      expect(s.emu.stats().creditsUsed).toBe(0);
      await s.api('GET', '/Contacts/search?phone=4155552671', { token });
      expect(s.emu.stats().creditsUsed).toBe(1);
      await s.api('POST', '/Leads', {
        token,
        body: { data: Array.from({ length: 25 }, (_, i) => ({ Last_Name: `L${i}` })) },
      });
      expect(s.emu.stats().creditsUsed).toBe(4);
      await s.api('POST', '/coql', {
        token,
        body: { select_query: "select Last_Name from Leads where Last_Name = 'x' limit 500" },
      });
      expect(s.emu.stats().creditsUsed).toBe(6);
      await s.api('GET', '/org', { header: 'Zoho-oauthtoken 1000.bad.bad' });
      expect(s.emu.stats().creditsUsed).toBe(6);
    });

    it('answers 429 TOO_MANY_REQUESTS once the credits are spent, until the 24-hour window rolls', async () => {
      const { s, token } = await connected(start, { edition: 'Free' });
      expect(s.emu.stats().creditLimit).toBe(5_000);
      s.emu.consumeCredits(4_999);
      expect((await s.api('GET', '/Contacts/search?phone=1234567', { token })).status).toBe(204);
      const refused = await s.api('GET', '/Contacts/search?phone=1234567', { token });
      expect([refused.status, refused.body, refused.headers.get('retry-after')]).toEqual([
        429,
        TOO_MANY,
        null,
      ]);
      expect(s.emu.stats()).toMatchObject({ creditsUsed: 5_000, creditsRemaining: 0, tooManyRequests: 1 });
      s.emu.advanceTime(DAY - 60_000);
      expect((await s.api('GET', '/org', { token })).status).toBe(401); // the access token expired meanwhile
      const fresh = await s.connect({ prompt: 'none', access_type: 'online' });
      expect((await s.api('GET', '/org', { token: fresh.access_token })).status).toBe(429);
      s.emu.advanceTime(60_000);
      expect((await s.api('GET', '/org', { token: fresh.access_token })).status).toBe(200);
    });

    it('adds Retry-After to 429 answers with retryAfter: true', async () => {
      const { s, token } = await connected(start, { creditLimit: 1, retryAfter: true });
      await s.api('GET', '/org', { token });
      const refused = await s.api('GET', '/org', { token });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(86_000);
    });
  });

  describe('limits: concurrency per edition', () => {
    // The injected latency holds the slots until the test moves fake time, however slow the machine.
    afterEach(() => {
      vi.useRealTimers();
    });

    it('answers 429 to the call over the edition limit (Free: 5 at once)', async () => {
      const { s, token } = await connected(start, { edition: 'Free' });
      vi.useFakeTimers(FAKE_TIME);
      s.emu.faults({ latencyMs: 200, target: 'api' });
      const pending = Promise.all(Array.from({ length: 6 }, () => s.api('GET', '/org', { token })));
      await until(
        () => s.emu.stats().inFlight === 5 && s.emu.stats().tooManyRequests === 1,
        'five calls held and one refused',
      );
      await vi.advanceTimersByTimeAsync(200);
      const results = await pending;
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      expect(results.find((r) => r.status === 429)?.body).toEqual(TOO_MANY);
      expect(s.emu.stats()).toMatchObject({ concurrentPeak: 5, tooManyRequests: 1, inFlight: 0 });
      s.emu.faults(null);
      expect((await s.api('GET', '/org', { token })).status).toBe(200);
    });

    it('limits COQL to the sub-concurrency of 10', async () => {
      const { s, token } = await connected(start, { edition: 'Ultimate' });
      vi.useFakeTimers(FAKE_TIME);
      s.emu.faults({ latencyMs: 200, target: 'api' });
      const body = { select_query: "select Last_Name from Leads where Last_Name = 'x'" };
      const pending = Promise.all(Array.from({ length: 11 }, () => s.api('POST', '/coql', { token, body })));
      await until(
        () => s.emu.stats().inFlight === 10 && s.emu.stats().tooManyRequests === 1,
        'ten COQL calls held and one refused',
      );
      await vi.advanceTimersByTimeAsync(200);
      const results = await pending;
      expect(results.filter((r) => r.status === 429)).toHaveLength(1);
    });
  });

  describe('faults', () => {
    it('answers an injected status with a Zoho envelope, only on the targeted server, at the given rate', async () => {
      const { s, token } = await connected(start);
      s.emu.faults({ status: 503, target: 'api' });
      const res = await s.api('GET', '/org', { token });
      expect([res.status, res.body]).toEqual([
        503,
        envelope('INTERNAL_ERROR', 'Internal server error occurred.'),
      ]);
      const tokens = await s.connect();
      expect(tokens.access_token).toBeDefined();
      s.emu.faults({ status: 500, rate: 0 });
      expect((await s.api('GET', '/org', { token })).status).toBe(200);
      s.emu.faults({ status: 429 });
      expect((await s.api('GET', '/org', { token })).body).toEqual(TOO_MANY);
      expect(s.emu.stats().faultsInjected).toBe(2);
    });

    it('fails the accounts server alone with an HTML 5xx (target: accounts)', async () => {
      const { s, token } = await connected(start);
      s.emu.faults({ status: 502, target: 'accounts' });
      const res = await s.token({ grant_type: 'refresh_token' });
      expect([res.status, res.headers.get('content-type')?.startsWith('text/html')]).toEqual([502, true]);
      expect((await s.api('GET', '/org', { token })).status).toBe(200);
    });

    it('simulates an outage (HTTP 503, HTML) for a while, on both servers', async () => {
      const { s, token } = await connected(start);
      s.emu.faults({ outage: { forMs: 60_000 } });
      const res = await s.api('GET', '/org', { token });
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect((await s.token({ grant_type: 'refresh_token' })).status).toBe(503);
      s.emu.advanceTime(60_000);
      expect((await s.api('GET', '/org', { token })).status).toBe(200);
      s.emu.faults({ outage: true });
      expect((await s.api('GET', '/org', { token })).status).toBe(503);
      s.emu.faults(null);
      expect((await s.api('GET', '/org', { token })).status).toBe(200);
    });

    it('drops connections (fetch rejects)', async () => {
      const { s, token } = await connected(start);
      s.emu.faults({ dropConnections: true });
      await expect(s.api('GET', '/org', { token })).rejects.toThrow(TypeError);
      expect(s.emu.requestLog().at(-1)).toMatchObject({ status: 0, error: 'connection dropped' });
      s.emu.faults(null);
      expect((await s.api('GET', '/org', { token })).status).toBe(200);
    });

    it('adds latency and jitter', async () => {
      const { s, token } = await connected(start);
      vi.useFakeTimers(FAKE_TIME);
      try {
        s.emu.faults({ latencyMs: 120, jitterMs: 30 });
        const pending = s.api('GET', '/org', { token });
        await until(() => s.emu.stats().inFlight === 1, 'the call reaches the emulator');
        await vi.advanceTimersByTimeAsync(119);
        expect(s.emu.stats().inFlight).toBe(1); // still held before 120 ms
        await vi.advanceTimersByTimeAsync(31); // latency + jitter is at most 150 ms
        expect((await pending).status).toBe(200);
      } finally {
        vi.useRealTimers();
      }
    });

    it('refuses nonsense fault settings', async () => {
      const s = await scenario(start);
      expect(() => s.emu.faults({ rate: 2 })).toThrow(RangeError);
      expect(() => s.emu.faults({ status: 200 })).toThrow(RangeError);
      expect(() => s.emu.faults({ latencyMs: -1 })).toThrow(RangeError);
    });
  });

  describe('control surface', () => {
    it('seeds records with 19-digit ids, Owner and times, and lists them', async () => {
      const s = await scenario(start);
      const ids = s.emu.seed('Contacts', [
        { First_Name: 'Ada', Last_Name: 'Lovelace', Phone: '(415) 555-2671' },
        { Last_Name: 'Given', id: '1111111111111111111', Created_Time: '2024-01-02T03:04:05Z' },
      ]);
      expect(ids[0]).toMatch(/^\d{19}$/);
      expect(ids[1]).toBe('1111111111111111111');
      const [ada, given] = s.emu.records('Contacts');
      expect(ada).toMatchObject({ id: ids[0], Full_Name: 'Ada Lovelace', Owner: { id: s.emu.users[0]?.id } });
      expect(ada?.Created_Time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
      expect(given?.Created_Time).toBe('2024-01-01T22:04:05-05:00');
      expect(() => s.emu.seed('Invoices' as never, [])).toThrow(TypeError);
    });

    it('counts requests per endpoint and redacts secrets from the request log', async () => {
      const { s, token } = await connected(start);
      await s.api('GET', '/Contacts/search?phone=4155552671', { token });
      await s.api('GET', '/contacts/search?phone=1', { token });
      await s.api('GET', '/Contacts/1234567890123456789', { token });
      const stats = s.emu.stats();
      expect(stats.requests).toMatchObject({
        'GET /oauth/v2/auth': 1,
        'POST /oauth/v2/token': 1,
        'GET /crm/v8/Contacts/search': 2,
        'GET /crm/v8/Contacts/{id}': 1,
      });
      expect(stats.statuses).toMatchObject({ '302': 1, '200': 1, '204': 3 });
      const log = s.emu.requestLog();
      const text = JSON.stringify(log);
      expect(text).not.toContain(token);
      expect(text).not.toMatch(/1000\.[0-9a-f]{32}/);
      expect(log[0]).toMatchObject({ method: 'GET', endpoint: 'GET /oauth/v2/auth', status: 302 });
      expect(log[0]?.url).toContain('state=[REDACTED]');
      const revoke = await fetch(
        `${s.h.accountsUrl()}/oauth/v2/token/revoke?token=1000.${'a'.repeat(32)}.${'b'.repeat(32)}`,
        { method: 'POST' },
      );
      expect(revoke.status).toBe(400);
      expect(s.emu.requestLog().at(-1)).toMatchObject({
        url: expect.stringContaining('token=[REDACTED]'),
        error: 'invalid_token',
      });
    });

    it('reset() returns to a clean state (clients from the options survive)', async () => {
      const { s, token } = await connected(start, {
        clients: [{ clientId: '1000.FROMOPTIONS', clientSecret: 'x', redirectUris: ['http://localhost/cb'] }],
      });
      s.emu.seed('Leads', [{ Last_Name: 'Doe' }]);
      s.emu.faults({ outage: true });
      s.emu.advanceTime(DAY);
      s.emu.reset();
      expect(s.emu.records('Leads')).toEqual([]);
      expect(s.emu.stats()).toMatchObject({ totalRequests: 0, creditsUsed: 0, tokenGrants: 0 });
      expect(s.emu.requestLog()).toEqual([]);
      expect((await s.api('GET', '/org', { token })).status).toBe(401);
      expect(() => s.emu.issueTokens({ clientId: '1000.FROMOPTIONS' })).not.toThrow();
      expect(() => s.emu.issueTokens({ clientId: '1000.SCENARIOCLIENT' })).toThrow(TypeError);
    });

    it('runs on an injected clock (now option)', async () => {
      let t = Date.parse('2025-03-01T12:00:00Z');
      const { s, token } = await connected(start, { now: () => t, timeZone: 'UTC' });
      expect(s.emu.now()).toBe(t);
      const res = await s.api('POST', '/Leads', { token, body: { data: [{ Last_Name: 'Clocked' }] } });
      expect(res.body.data[0].details.Created_Time).toBe('2025-03-01T12:00:00+00:00');
      t += 3_600_000;
      expect((await s.api('GET', '/org', { token })).status).toBe(401);
      s.emu.advanceTime(1_000);
      expect(s.emu.now()).toBe(t + 1_000);
      expect(() => s.emu.advanceTime(-1)).toThrow(RangeError);
    });

    it('issueTokens() mints working tokens without the OAuth dance', async () => {
      const s = await scenario(start);
      const issued = s.emu.issueTokens({ scopes: ['ZohoCRM.org.READ'] });
      expect((await s.api('GET', '/org', { token: issued.accessToken })).status).toBe(200);
      expect((await s.api('GET', '/users', { token: issued.accessToken })).status).toBe(401);
      expect((await s.refresh(issued.refreshToken)).body.access_token).toBeDefined();
    });
  });
}
