/**
 * The tenant routes of the PBX service (`/v1/tenants/{id}/…`): each one reads its input, calls the
 * tenant's connector and shapes the answer. Authentication, tenant resolution and error mapping happen
 * before and after, in service.ts.
 *
 * @module
 */
import type { ZohoCrmConnector } from '../connector.js';
import { ConfigError } from '../errors.js';
import type { CallerMatch, LookupEvent } from '../lookup/types.js';
import { toE164 } from '../phone/normalize.js';
import type { ResolvedTenantSettings, TenantSettings } from '../registry/tenant-settings.js';
import { json, readJson } from './http.js';

/** What a route handler gets. @internal */
export interface TenantRequest {
  request: Request;
  url: URL;
  connectionId: string;
  /** The tenant's settings, read once per connector the registry builds. */
  settings: () => Promise<ResolvedTenantSettings | undefined>;
  /** The tenant's connector (built on first use). */
  connector: () => Promise<ZohoCrmConnector>;
  maxBodyBytes: number;
}

/** @internal */
export type TenantRoute = (input: TenantRequest, params: Record<string, string>) => Promise<Response>;

const required = (url: URL, name: string): string => {
  const value = url.searchParams.get(name);
  if (value === null || value.trim() === '') {
    throw new ConfigError([{ path: `query.${name}`, message: 'is required' }], 'request');
  }
  return value;
};

/** `GET /caller?number=` → `{ match, source, reason? }`: never an error for a slow or failing Zoho. */
const caller: TenantRoute = async ({ url, connector, settings }) => {
  const number = required(url, 'number');
  const zoho = await connector();
  // The connector answers null both for "unknown number" and for failures; its `lookup` event says which
  // (and where a match came from). The event of this lookup is the one carrying the very match object
  // returned; a null answer is matched by the number instead.
  const seen: LookupEvent[] = [];
  const off = zoho.on('lookup', (event) => {
    seen.push(event);
  });
  let match: CallerMatch | null;
  try {
    match = await zoho.lookupCaller(number);
  } finally {
    off();
  }
  // Dialplans (Asterisk CURL(), FreeSWITCH curl) want the bare name: `format=text` answers just that.
  if (url.searchParams.get('format') === 'text') {
    return new Response(match?.name ?? '', {
      headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
    });
  }
  if (match) {
    const event = seen.find((e) => e.match === match);
    return json({ match, source: event?.source ?? 'cache' });
  }
  const e164 = e164Of(number, (await settings())?.lookup.defaultCountry ?? 'US');
  const event = seen.find((e) => e.match === null && e.number === e164);
  return json({ match: null, source: event?.source ?? 'none', reason: event?.error?.code ?? 'NOT_FOUND' });
};

function e164Of(number: string, defaultCountry: string): string | undefined {
  try {
    return toE164(number, defaultCountry);
  } catch {
    return undefined;
  }
}

const directory: TenantRoute = async ({ url, connector }) => {
  const q = required(url, 'q');
  const limitText = url.searchParams.get('limit');
  const limit = limitText === null ? undefined : Number(limitText);
  const zoho = await connector();
  const entries = await zoho.searchDirectory(q, limit === undefined ? {} : { limit });
  return json({ entries });
};

/** `POST /calls`: answers as soon as the call is in the outbox (202), never waiting for Zoho. */
const calls: TenantRoute = async ({ request, connector, maxBodyBytes }) => {
  const body = await readJson(request, maxBodyBytes);
  const result = await (await connector()).logCall(body as never, { waitForAnswer: false });
  return json(result, result.status === 'logged' ? 200 : 202);
};

const notes: TenantRoute = async ({ request, connector, maxBodyBytes }, { callId }) => {
  const body = (await readJson(request, maxBodyBytes)) as { text?: unknown } | null;
  const text = typeof body === 'object' && body !== null ? body.text : undefined;
  const result = await (await connector()).addCallNote(callId as string, text as string, {
    waitForAnswer: false,
  });
  return json(result, result.status === 'logged' ? 200 : 202);
};

const attachments: TenantRoute = async ({ request, connector, maxBodyBytes }, { callId }) => {
  const body = await readJson(request, maxBodyBytes);
  const result = await (await connector()).attachToCall(callId as string, body as never, {
    waitForAnswer: false,
  });
  return json(result, result.status === 'logged' ? 200 : 202);
};

const records: TenantRoute = async ({ request, connector, maxBodyBytes }) => {
  const body = await readJson(request, maxBodyBytes);
  const match = await (await connector()).createRecord(body as never);
  return json({ match }, 201);
};

const authorize: TenantRoute = async ({ connector, url }) => {
  const { url: location } = await (await connector()).authorizationUrl();
  if (url.searchParams.get('redirect') === 'false') return json({ url: location });
  return new Response(null, { status: 302, headers: { location, 'cache-control': 'no-store' } });
};

/** The settings as the admin may see them: every secret replaced by whether it is set. @internal */
export function visibleSettings(settings: ResolvedTenantSettings): Record<string, unknown> {
  const { clientSecret, ...rest } = settings as ResolvedTenantSettings & { clientSecret?: string };
  return { ...rest, clientSecretSet: typeof clientSecret === 'string' && clientSecret.length > 0 };
}

/** Route templates (for metrics) → handlers. Order matters only for readability. @internal */
export const TENANT_ROUTES: ReadonlyArray<{ method: string; template: string; handler: TenantRoute }> = [
  { method: 'GET', template: '/authorize', handler: authorize },
  { method: 'GET', template: '/caller', handler: caller },
  { method: 'GET', template: '/directory', handler: directory },
  { method: 'POST', template: '/calls', handler: calls },
  { method: 'POST', template: '/calls/{callId}/notes', handler: notes },
  { method: 'POST', template: '/calls/{callId}/attachments', handler: attachments },
  { method: 'POST', template: '/records', handler: records },
];

/** A PUT body merged onto what is stored: an absent secret keeps the stored one (write-only). @internal */
export function mergeSettings(stored: ResolvedTenantSettings | undefined, body: unknown): TenantSettings {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ConfigError([{ path: 'body', message: 'must be a JSON object' }], 'tenant settings');
  }
  const next = { ...(body as Record<string, unknown>) };
  delete next.clientSecretSet;
  if (next.clientSecret === undefined && stored) next.clientSecret = stored.clientSecret;
  return next as unknown as TenantSettings;
}

/** Matches a template such as `/calls/{callId}/notes` against a path rest. @internal */
export function matchTemplate(template: string, rest: string): Record<string, string> | undefined {
  const want = template.split('/');
  const have = rest.split('/');
  if (want.length !== have.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const part = want[i] as string;
    const value = have[i] as string;
    if (part.startsWith('{')) {
      if (value === '') return undefined;
      try {
        params[part.slice(1, -1)] = decodeURIComponent(value);
      } catch {
        throw new ConfigError(
          [{ path: part.slice(1, -1), message: 'is not valid percent-encoding' }],
          'request',
        );
      }
    } else if (part !== value) return undefined;
  }
  return params;
}
