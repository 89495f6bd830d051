/**
 * Finding 9 of issue 12: a circuit breaker in front of lookups and directory search. The state machine
 * with an injected clock, then the lookup engine against the emulator's outage fault (no sleeps: the
 * breaker's clock is a variable the test moves).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AuthError, ErrorCode, RateLimitError, TransportError, ZohoApiError } from '../../src/errors.js';
import { attemptOutcome, CircuitBreaker } from '../../src/http/circuit-breaker.js';
import { createZohoHttp } from '../../src/http/client.js';
import { createCallerLookup } from '../../src/lookup/caller-lookup.js';
import type { LookupEvent } from '../../src/lookup/types.js';
import { type ConnectorOptions, parseConnectorOptions } from '../../src/options.js';
import { REGIONS } from '../../src/regions.js';
import { startZohoEmulator, type ZohoEmulator } from '../../src/testing/index.js';

describe('finding 9: no request storm while Zoho is down (circuit breaker)', () => {
  describe('the state machine', () => {
    const settings = { failureThreshold: 3, probeIntervalMs: 1_000 };

    it('opens after failureThreshold consecutive failures; a success in between resets the count', () => {
      let now = 0;
      const breaker = new CircuitBreaker(settings, () => now);
      for (const outcome of ['failure', 'failure', 'success', 'failure', 'failure'] as const) {
        expect(breaker.tryAcquire()).toBe(true);
        breaker.record(outcome);
      }
      expect(breaker.state).toBe('closed');
      breaker.record('failure');
      expect(breaker.state).toBe('open');
      now += 999;
      expect(breaker.tryAcquire()).toBe(false);
    });

    it('admits one probe per interval; a failed probe reopens, an answered one closes', () => {
      let now = 0;
      const breaker = new CircuitBreaker(settings, () => now);
      for (let i = 0; i < 3; i++) breaker.record('failure');
      now = 1_000;
      expect(breaker.tryAcquire()).toBe(true);
      expect(breaker.state).toBe('half-open');
      expect(breaker.tryAcquire()).toBe(false);
      breaker.record('failure');
      expect(breaker.state).toBe('open');
      now = 1_999;
      expect(breaker.tryAcquire()).toBe(false);
      now = 2_000;
      expect(breaker.tryAcquire()).toBe(true);
      breaker.record('success');
      expect(breaker.state).toBe('closed');
      expect(breaker.tryAcquire()).toBe(true);
    });

    it('a probe that learns nothing (neutral) lets the next attempt probe; a lost probe is replaced after an interval', () => {
      let now = 0;
      const breaker = new CircuitBreaker(settings, () => now);
      for (let i = 0; i < 3; i++) breaker.record('failure');
      now = 1_000;
      expect(breaker.tryAcquire()).toBe(true);
      breaker.record('neutral');
      expect(breaker.tryAcquire()).toBe(true);
      expect(breaker.tryAcquire()).toBe(false);
      now = 2_000;
      expect(breaker.tryAcquire()).toBe(true);
    });

    it('a stale attempt admitted before the circuit opened re-arms nothing when it ends neutral', () => {
      let now = 0;
      const breaker = new CircuitBreaker(settings, () => now);
      const stale = breaker.admit(); // went out while the circuit was closed
      expect(stale).toEqual({ probe: 0 });
      for (let i = 0; i < 3; i++) breaker.record('failure');
      now = 1_000;
      const probe = breaker.admit();
      expect(probe?.probe).toBe(1);
      breaker.record('neutral', stale); // e.g. the stale attempt was aborted
      expect(breaker.admit()).toBeUndefined(); // still one probe per interval
      breaker.record('neutral', probe); // the probe itself learnt nothing: the next one may go
      expect(breaker.admit()?.probe).toBe(2);
    });

    it('counts 5xx, network errors and timeouts, not a 4xx about the query, auth, 429 or an abort', () => {
      const api = (status: number) => new ZohoApiError('x', { status });
      expect(attemptOutcome(api(503))).toBe('failure');
      expect(attemptOutcome(new TransportError(ErrorCode.NETWORK, 'x'))).toBe('failure');
      expect(attemptOutcome(new TransportError(ErrorCode.TIMEOUT, 'x'))).toBe('failure');
      expect(attemptOutcome(api(400))).toBe('success');
      expect(attemptOutcome(new TransportError(ErrorCode.ABORTED, 'x'))).toBe('neutral');
      expect(attemptOutcome(new RateLimitError('x', {}))).toBe('neutral');
      expect(attemptOutcome(new AuthError(ErrorCode.AUTH_INVALID_TOKEN, 'x'))).toBe('neutral');
      expect(attemptOutcome(new Error('bug'))).toBe('neutral');
    });
  });

  describe('lookups against an emulated outage', () => {
    let emu: ZohoEmulator | undefined;
    afterEach(async () => {
      await emu?.close();
      emu = undefined;
    });

    async function setup(lookup: ConnectorOptions['lookup'] = {}) {
      emu = await startZohoEmulator();
      emu.registerClient({ clientId: '1000.CB', clientSecret: 's', redirectUris: ['http://localhost/cb'] });
      emu.seed('Contacts', [{ First_Name: 'Ada', Last_Name: 'Lovelace', Phone: '+1 415 555 2671' }]);
      const { accessToken } = emu.issueTokens();
      const grant = { accessToken, apiDomain: emu.apiUrl };
      const options = parseConnectorOptions({
        connectionId: 't',
        clientId: 'c',
        clientSecret: 's',
        redirectUri: 'https://pbx/cb',
        lookup: { cache: { negativeTtlMs: 0 }, ...lookup },
      });
      const http = createZohoHttp({
        tokens: { getAccessToken: async () => grant, refreshAfterRejection: async () => grant },
        timeoutMs: 5_000,
        deadlineMs: 10_000,
        retries: 3,
        backoff: { baseDelayMs: 1, maxDelayMs: 1 },
        random: () => 0,
        maxConcurrency: 5,
      });
      const clock = { now: 0 };
      const events: LookupEvent[] = [];
      const engine = createCallerLookup({
        http,
        lookup: options.lookup,
        region: () => REGIONS.US,
        events: { enabled: () => true, emit: (event) => events.push(event) },
        now: () => clock.now,
      });
      const sent = () => (emu as ZohoEmulator).stats().totalRequests;
      return { emu, engine, clock, events, sent };
    }

    const numbers = Array.from({ length: 20 }, (_, i) => `+1415555${String(3000 + i)}`);

    it('during an outage N lookups cost at most one request per probe interval, and recover by themselves', async () => {
      const { emu, engine, clock, events, sent } = await setup({
        circuitBreaker: { failureThreshold: 3, probeIntervalMs: 5_000 },
      });
      emu.faults({ outage: true });
      // The first lookup spends the threshold (its retries) and opens the circuit.
      expect(await engine.lookupCaller(numbers[0] as string)).toBeNull();
      const opened = sent();
      expect(opened).toBeLessThanOrEqual(3);
      for (const number of numbers) expect(await engine.lookupCaller(number)).toBeNull();
      expect(sent()).toBe(opened);
      expect(events.at(-1)).toMatchObject({ match: null, error: { code: 'CIRCUIT_OPEN' } });

      // Three probe intervals of 20 lookups each: one probe request per interval.
      for (let interval = 1; interval <= 3; interval++) {
        clock.now += 5_000;
        await Promise.all(numbers.map((number) => engine.lookupCaller(number)));
        expect(sent()).toBe(opened + interval);
      }
      // Refused without a request, the error still names the request it refused (the directory
      // search's first, its field metadata).
      await expect(engine.searchDirectory('Lovelace')).rejects.toMatchObject({
        code: 'CIRCUIT_OPEN',
        method: 'GET',
        path: '/settings/fields',
      });
      expect(sent()).toBe(opened + 3);

      // Zoho is back: the next probe closes the circuit and names resolve again.
      emu.faults(null);
      expect(await engine.lookupCaller('+14155552671')).toBeNull();
      clock.now += 5_000;
      expect((await engine.lookupCaller('+14155552671'))?.name).toBe('Ada Lovelace');
      expect((await engine.searchDirectory('Lovelace')).map((entry) => entry.name)).toEqual(['Ada Lovelace']);
    });

    it('circuitBreaker: false keeps sending every lookup (today’s behaviour, for hosts with their own breaker)', async () => {
      const { emu, engine, sent } = await setup({ circuitBreaker: false });
      emu.faults({ outage: true });
      for (const number of numbers.slice(0, 5)) expect(await engine.lookupCaller(number)).toBeNull();
      // Each lookup: the Contacts field metadata (its 5xx falls back to the standard fields; asked again
      // next time) and the search, each with its 3 retries.
      expect(sent()).toBe(5 * 8);
    });
  });

  it('validates lookup.circuitBreaker', () => {
    const base = { connectionId: 't', clientId: 'c', clientSecret: 's', redirectUri: 'https://pbx/cb' };
    const parse = (circuitBreaker: unknown) =>
      parseConnectorOptions({ ...base, lookup: { circuitBreaker } } as ConnectorOptions);
    expect(parse(undefined).lookup.circuitBreaker).toEqual({ failureThreshold: 3, probeIntervalMs: 5_000 });
    expect(parse(false).lookup.circuitBreaker).toBe(false);
    expect(() => parse({ failureThreshold: 0 })).toThrow(/lookup\.circuitBreaker\.failureThreshold/);
    expect(() => parse({ probeIntervalMs: 10 })).toThrow(/lookup\.circuitBreaker\.probeIntervalMs/);
    expect(() => parse(true)).toThrow(/lookup\.circuitBreaker: must be false or/);
  });
});
