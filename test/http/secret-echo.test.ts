import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ErrorCode, type ZohoCrmError } from '../../src/errors.js';
import { createZohoHttp } from '../../src/http/client.js';
import { type HttpFailure, toZohoError } from '../../src/http/to-zoho-error.js';
import type { JournalRetryEvent } from '../../src/journal/journal.js';
import { createFileJournalStore } from '../../src/stores/journal-file.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { endedCall, testConnector } from '../helpers/test-connector.js';

// Secrets that do not look like Zoho tokens, so only the known-value redaction can catch them.
const CLIENT_SECRET = 'client-secret-ECHOED-0123456789';
const REFRESH_TOKEN = 'refresh-token-ECHOED-9876543210';
const ACCESS_TOKEN = 'access-token-ECHOED-abcdefabcdef';
const CODE = 'grant-code-ECHOED-5555555555';
const SECRETS = [CLIENT_SECRET, REFRESH_TOKEN, ACCESS_TOKEN, CODE];

/** Every rendering of an error a host might log or persist. */
function renderings(error: unknown): string[] {
  const e = error as ZohoCrmError & { zohoCode?: unknown; details?: unknown };
  return [
    String(error),
    e.message,
    JSON.stringify(error),
    inspect(error, { depth: 9 }),
    String(e.stack),
    JSON.stringify(e.zohoCode ?? null),
    JSON.stringify(e.details ?? null),
    inspect(e.cause, { depth: 9 }),
  ];
}

function expectClean(value: unknown, texts: string[] = renderings(value)): void {
  for (const text of texts) for (const secret of SECRETS) expect(text).not.toContain(secret);
}

const response = (status: number, body: unknown, url = 'https://accounts.zoho.com/oauth/v2/token') =>
  ({
    kind: 'response',
    method: 'POST',
    url,
    status,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  }) satisfies HttpFailure;

describe('finding 4: secrets echoed by the token endpoint never come back out', () => {
  const echoed = `bad ${CLIENT_SECRET} ${REFRESH_TOKEN} ${ACCESS_TOKEN} ${CODE}`;

  it.each([
    ['an unknown OAuth error', { error: echoed }],
    ['an unknown OAuth error with a description', { error: echoed, error_description: echoed }],
    ['the throttling branch', { error: `Access Denied ${echoed}`, error_description: echoed }],
    ['a throttling description', { error: echoed, error_description: `too many requests ${echoed}` }],
  ])('%s: message, zohoCode and every rendering are clean', (_label, body) => {
    const error = toZohoError(response(200, body), SECRETS);
    expect(error.code).toMatch(/^AUTH_/);
    expectClean(error);
    expect(error.message).toContain('[REDACTED]');
  });

  it.each([
    ['a Zoho envelope', 400],
    ['a 401 envelope', 401],
    ['a 429 envelope', 429],
  ])('%s: code, message and details are clean', (_label, status) => {
    const body = {
      code: `CODE_${CLIENT_SECRET}`,
      message: echoed,
      details: { api_name: ACCESS_TOKEN, nested: [{ value: `x ${REFRESH_TOKEN}` }], [CODE]: 1 },
      status: 'error',
    };
    const error = toZohoError(response(status, body, 'https://www.zohoapis.com/crm/v8/Calls'), SECRETS);
    expectClean(error);
  });

  it('a Zoho envelope inside data[] is clean too', () => {
    const body = { data: [{ code: CLIENT_SECRET, message: echoed, details: { x: CODE }, status: 'error' }] };
    expectClean(toZohoError(response(400, body, 'https://www.zohoapis.com/crm/v8/Calls'), SECRETS));
  });

  it('a non-JSON body and a transport failure whose cause carries a secret are clean', () => {
    expectClean(toZohoError(response(502, `<html>${echoed}</html>`), SECRETS));
    const cause = Object.assign(new Error(`connect failed for ${echoed}`), { code: 'ECONNRESET' });
    const error = toZohoError(
      { kind: 'network', method: 'POST', url: 'https://accounts.zoho.com/oauth/v2/token', cause },
      SECRETS,
    );
    expect(error.code).toBe(ErrorCode.NETWORK);
    expectClean(error);
    expect((error.cause as { code?: string }).code).toBe('ECONNRESET');
  });

  it('the CRM client scrubs the access token and the configured secrets from envelopes and body shapes', async () => {
    const answers = [
      new Response(
        JSON.stringify({
          code: CLIENT_SECRET,
          message: ACCESS_TOKEN,
          details: { [CODE]: 1 },
          status: 'error',
        }),
        { status: 400 },
      ),
      new Response(JSON.stringify({ data: { [CLIENT_SECRET]: 5 } }), { status: 200 }),
    ];
    const http = createZohoHttp({
      tokens: {
        getAccessToken: async () => ({ accessToken: ACCESS_TOKEN, apiDomain: 'https://www.zohoapis.com' }),
        refreshAfterRejection: async () => ({
          accessToken: ACCESS_TOKEN,
          apiDomain: 'https://www.zohoapis.com',
        }),
      },
      secrets: [CLIENT_SECRET, CODE],
      fetch: async () => answers.shift() as Response,
      timeoutMs: 1_000,
      deadlineMs: 5_000,
      retries: 0,
      maxConcurrency: 1,
    });
    const envelopeError = await http.request({ method: 'GET', path: '/Calls' }).catch((e: unknown) => e);
    expect(envelopeError).toMatchObject({ code: ErrorCode.ZOHO_API });
    expectClean(envelopeError);
    const schema = z.object({ data: z.record(z.string(), z.string()) });
    const shapeError = await http.request({ method: 'GET', path: '/Calls', schema }).catch((e: unknown) => e);
    expect(shapeError).toMatchObject({ code: ErrorCode.ZOHO_INVALID_RESPONSE });
    expectClean(shapeError);
  });

  describe('through a connector and its file journal', () => {
    let dir: string | undefined;
    afterEach(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    });

    it('the error, the journalRetry event and the journal file never hold the secret', async () => {
      dir = mkdtempSync(join(tmpdir(), 'zcc-echo-'));
      const tokenStore = createMemoryStore();
      await tokenStore.set('t1', {
        accessToken: ACCESS_TOKEN,
        refreshToken: REFRESH_TOKEN,
        expiresAt: Date.now() - 1, // expired: the first call refreshes
        apiDomain: 'https://www.zohoapis.com',
        accountsServer: 'https://accounts.zoho.com',
        region: 'US',
        grantedAt: Date.now() - 86_400_000,
      });
      const seen: string[] = [];
      // A token endpoint that echoes everything it received in its `error` field.
      const fetchEcho: typeof fetch = async (input, init) => {
        const url = String(input instanceof Request ? input.url : input);
        seen.push(url);
        const form = new URLSearchParams(String(init?.body ?? ''));
        const values = [...form.values()].join(' ');
        return new Response(JSON.stringify({ error: `invalid_request ${values}` }), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        });
      };
      const journalStore = createFileJournalStore({ path: dir });
      const zoho = testConnector({
        clientSecret: CLIENT_SECRET,
        tokenStore,
        fetch: fetchEcho,
        journal: { store: journalStore },
      });
      const retries: JournalRetryEvent[] = [];
      zoho.on('journalRetry', (event) => retries.push(event));
      try {
        const direct = await zoho.searchDirectory('smith').catch((error: unknown) => error);
        expect(direct).toMatchObject({ code: ErrorCode.AUTH_REFRESH_FAILED });
        expectClean(direct);

        const result = await zoho.logCall(endedCall('pbx-echo-1'));
        expect(result.status).toBe('queued');
        expect(retries.length).toBeGreaterThan(0);
        expectClean(retries, [JSON.stringify(retries), inspect(retries, { depth: 9 })]);
        expectClean(result, [JSON.stringify(result)]);
        expect(seen.some((url) => url.includes('/oauth/v2/token'))).toBe(true);
      } finally {
        await zoho.close();
        await journalStore.close?.();
      }
      const files = readdirSync(dir);
      expect(files.length).toBeGreaterThan(0);
      const onDisk = files.map((file) => readFileSync(join(dir as string, file), 'utf8'));
      expect(onDisk.join('\n')).toContain('lastError');
      expectClean(onDisk, onDisk);
    });
  });
});
