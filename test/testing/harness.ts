/**
 * The transport-neutral harness of the emulator scenario suite: every scenario talks to the emulator
 * over HTTP with plain `fetch`, through URLs the harness provides, and controls it through the
 * emulator's control surface. `http.test.ts` runs the suite against the node:http server, `msw.test.ts`
 * against the msw handlers on Zoho's real hosts.
 */
import { afterEach } from 'vitest';
import type { RegionCode } from '../../src/regions.js';
import type { ZohoEmulatorControl, ZohoEmulatorOptions } from '../../src/testing/index.js';

/** A started emulator as the scenarios see it. */
export interface Harness {
  /** The control surface (seed, stats, faults, time, ...). */
  readonly emu: ZohoEmulatorControl;
  /** Accounts server of a data centre (default: the org's). */
  accountsUrl(dc?: RegionCode): string;
  /** API domain of a data centre (default: the org's). */
  apiUrl(dc?: RegionCode): string;
}

/** Starts an emulator with options; the harness stops it after the test. */
export type StartHarness = (options?: ZohoEmulatorOptions) => Promise<Harness>;

/** Name of the transport, for test titles. */
export interface Transport {
  readonly name: string;
  readonly start: StartHarness;
}

export const CLIENT = {
  clientId: '1000.SCENARIOCLIENT',
  clientSecret: 'scenario-secret-0123456789',
  redirectUri: 'https://pbx.example.com/oauth/callback',
} as const;

export const ALL_SCOPES = [
  'ZohoCRM.modules.ALL',
  'ZohoCRM.settings.ALL',
  'ZohoCRM.users.ALL',
  'ZohoCRM.org.ALL',
  'ZohoCRM.coql.READ',
  'ZohoSearch.securesearch.READ',
];

/** A JSON answer (the body is loosely typed: scenarios assert its shape). */
// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by the assertions, not the types
export interface Answer<T = any> {
  status: number;
  headers: Headers;
  text: string;
  body: T;
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, text, body };
}

/** A scenario's view of one emulator: HTTP helpers bound to its URLs and a registered client. */
export class Scenario {
  constructor(readonly h: Harness) {
    h.emu.registerClient({
      clientId: CLIENT.clientId,
      clientSecret: CLIENT.clientSecret,
      redirectUris: [CLIENT.redirectUri],
      name: 'Scenario PBX',
    });
  }

  get emu(): ZohoEmulatorControl {
    return this.h.emu;
  }

  /** The authorize URL at a data centre. */
  authorizeUrl(params: Record<string, string> = {}, dc?: RegionCode): string {
    const url = new URL(`${this.h.accountsUrl(dc)}/oauth/v2/auth`);
    url.search = new URLSearchParams({
      client_id: CLIENT.clientId,
      response_type: 'code',
      redirect_uri: CLIENT.redirectUri,
      scope: ALL_SCOPES.join(','),
      access_type: 'offline',
      prompt: 'consent',
      state: 'st-123',
      ...params,
    }).toString();
    return url.toString();
  }

  /** GET the authorize URL without following redirects; returns the callback URL (needs autoConsent). */
  async authorize(params: Record<string, string> = {}, dc?: RegionCode): Promise<URL> {
    const res = await fetch(this.authorizeUrl(params, dc), { redirect: 'manual' });
    const location = res.headers.get('location');
    if (res.status !== 302 || !location) throw new Error(`expected a redirect, got HTTP ${res.status}`);
    return new URL(location);
  }

  /** POST /oauth/v2/token with a form body. */
  async token(params: Record<string, string>, dc?: RegionCode, init: RequestInit = {}): Promise<Answer> {
    return answer(
      await fetch(`${this.h.accountsUrl(dc)}/oauth/v2/token`, {
        method: 'POST',
        body: new URLSearchParams(params),
        ...init,
      }),
    );
  }

  /** Exchanges a code with the scenario client. */
  exchange(code: string, overrides: Record<string, string> = {}, dc?: RegionCode): Promise<Answer> {
    return this.token(
      {
        grant_type: 'authorization_code',
        client_id: CLIENT.clientId,
        client_secret: CLIENT.clientSecret,
        redirect_uri: CLIENT.redirectUri,
        code,
        ...overrides,
      },
      dc,
    );
  }

  /** A refresh grant with the scenario client. */
  refresh(refreshToken: string, dc?: RegionCode): Promise<Answer> {
    return this.token(
      {
        grant_type: 'refresh_token',
        client_id: CLIENT.clientId,
        client_secret: CLIENT.clientSecret,
        refresh_token: refreshToken,
      },
      dc,
    );
  }

  /** The whole dance: authorize (auto-consent) and exchange; returns the token response. */
  async connect(params: Record<string, string> = {}): Promise<{
    access_token: string;
    refresh_token: string;
    api_domain: string;
    expires_in: number;
  }> {
    const callback = await this.authorize(params);
    const code = callback.searchParams.get('code');
    if (!code) throw new Error(`no code on the callback: ${callback.search}`);
    const res = await this.exchange(code);
    if (!res.body?.access_token) throw new Error(`token exchange failed: ${res.text}`);
    return res.body;
  }

  /** A CRM call: `api('GET', '/Contacts/search?phone=1', { token })` under `/crm/v8`. */
  async api(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; dc?: RegionCode; header?: string } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (options.header !== undefined) headers.authorization = options.header;
    else if (options.token !== undefined) headers.authorization = `Zoho-oauthtoken ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    return answer(
      await fetch(`${this.h.apiUrl(options.dc)}/crm/v8${path}`, {
        method,
        headers,
        ...(options.body !== undefined
          ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }
          : {}),
      }),
    );
  }
}

/** Starts a harness and wraps it in a Scenario. */
export async function scenario(start: StartHarness, options: ZohoEmulatorOptions = {}): Promise<Scenario> {
  return new Scenario(await start(options));
}

/** Registers a cleanup for after the current test. */
export function cleanupAfterEach(): Array<() => Promise<void> | void> {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });
  return cleanups;
}

/** Zoho's error envelope. */
export function envelope(code: string, message: string, details: Record<string, unknown> = {}) {
  return { code, details, message, status: 'error' };
}

/** A fixed, recent ISO time with an offset and no fraction (Zoho's DateTime input). */
export function pastTime(minutesAgo = 60): string {
  const d = new Date(Date.now() - minutesAgo * 60_000);
  return `${d.toISOString().slice(0, 19)}+00:00`;
}
