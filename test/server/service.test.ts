import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ConnectorRegistry, createConnectorRegistry } from '../../src/registry/registry.js';
import { createPbxService, type PbxService } from '../../src/server/index.js';
import { consent, multiTenantWorld, REDIRECT_URI, TENANTS, type World } from '../registry/helpers.js';

const KEY = 'pbx-api-key-0123456789abcdef';
const ROTATED = 'pbx-api-key-rotated-0123456789';
const BASE = 'http://pbx.test';

let world: World;
let registry: ConnectorRegistry;
let service: PbxService;

const call = (path: string, init: RequestInit & { key?: string | null } = {}) => {
  const { key = KEY, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (key !== null) headers.set('authorization', `Bearer ${key}`);
  return service.fetch(new Request(`${BASE}${path}`, { ...rest, headers }));
};
const post = (path: string, body: unknown, init: RequestInit & { key?: string | null } = {}) =>
  call(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });

/** The admin's Authorize button, Zoho's consent and the callback, all through the service. */
async function authorize(tenant: string): Promise<Response> {
  const start = await call(`/v1/tenants/${tenant}/authorize`);
  expect(start.status).toBe(302);
  const callback = new URL(await consent(start.headers.get('location') as string));
  expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT_URI);
  return service.fetch(new Request(`${BASE}${callback.pathname}${callback.search}`));
}

beforeEach(async () => {
  world = await multiTenantWorld();
  registry = createConnectorRegistry(world.base);
  service = createPbxService({ registry, apiKeys: [KEY, ROTATED], settingsStore: world.settingsStore });
  world.us.seed('Contacts', [{ First_Name: 'Ada', Last_Name: 'Lovelace', Phone: '+1 415 555 2671' }]);
});

afterEach(async () => {
  await registry.close();
  await world.close();
});

describe('the PBX service', () => {
  it('answers /healthz without a key', async () => {
    const response = await call('/healthz', { key: null });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });

  it('refuses every /v1 route and /metrics without a valid key, before any Zoho call', async () => {
    const before = world.us.stats().totalRequests + world.eu.stats().totalRequests;
    for (const key of [null, '', 'wrong-key-0123456789abcdefgh', `${KEY}x`, KEY.slice(0, -1)]) {
      for (const path of ['/v1/tenants/a/caller?number=1', '/v1/tenants/a/authorize', '/metrics']) {
        const response = await call(path, { key });
        expect(response.status, `${path} with ${String(key)}`).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe('Bearer');
      }
    }
    const response = await post('/v1/tenants/a/calls', { id: 'c1' }, { key: 'nope-0123456789abcdefghijkl' });
    expect(response.status).toBe(401);
    expect(world.us.stats().totalRequests + world.eu.stats().totalRequests).toBe(before);
  });

  it('accepts every configured key (rotation)', async () => {
    expect((await call('/v1/tenants/a/authorize', { key: ROTATED })).status).toBe(302);
  });

  it('authorizes a tenant through the one callback route and then names its callers', async () => {
    const done = await authorize('a');
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Tenant a is authorized');
    const found = await call(`/v1/tenants/a/caller?number=${encodeURIComponent('(415) 555-2671')}`);
    expect(found.status).toBe(200);
    const body = (await found.json()) as { match: { name: string; module: string } };
    expect(body.match).toMatchObject({ name: 'Ada Lovelace', module: 'Contacts' });
  });

  it('tells "not found" from "not authorized" on a null match', async () => {
    const unauthorized = await call('/v1/tenants/a/caller?number=%2B14155552672');
    expect(await unauthorized.json()).toMatchObject({ match: null, reason: 'AUTH_NOT_CONNECTED' });
    await authorize('a');
    const unknown = await call('/v1/tenants/a/caller?number=%2B14155552672');
    expect(unknown.status).toBe(200);
    expect(await unknown.json()).toMatchObject({ match: null, reason: 'NOT_FOUND' });
  });

  it('answers 404 for an unknown tenant and 400 for an invalid tenant id, without building a connector', async () => {
    expect((await call('/v1/tenants/nobody/caller?number=1')).status).toBe(404);
    expect(
      ((await (await call('/v1/tenants/nobody/caller?number=1')).json()) as { error: { code: string } }).error
        .code,
    ).toBe('TENANT_UNKNOWN');
    for (const id of ['..%2F..%2Fetc', '%00a', 'a%0Ab']) {
      expect((await call(`/v1/tenants/${id}/caller?number=1`)).status, id).toBe(400);
    }
    expect(registry.size).toBe(0);
  });

  it('answers 404 for unknown routes and 405 with Allow for a wrong method', async () => {
    expect((await call('/v1/tenants/a/nothing')).status).toBe(404);
    expect((await call('/nothing', { key: null })).status).toBe(404);
    const wrong = await call('/v1/tenants/a/calls');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });

  it('queues a call at once (202) and logs it on flush; a redelivery is not a second activity', async () => {
    await authorize('a');
    const pbxCall = {
      id: 'pbx-1',
      direction: 'inbound',
      trunk: true,
      from: '+14155552671',
      to: '+14155550100',
      startedAt: '2026-12-01T10:00:00Z',
      answeredAt: '2026-12-01T10:00:05Z',
      endedAt: '2026-12-01T10:01:10Z',
      status: 'answered',
    };
    const first = await post('/v1/tenants/a/calls', pbxCall);
    expect([200, 202]).toContain(first.status);
    await (await registry.get('a')).flush();
    const again = await post('/v1/tenants/a/calls', pbxCall);
    expect([200, 202]).toContain(again.status);
    await (await registry.get('a')).flush();
    const activities = world.us.records('Calls');
    expect(activities).toHaveLength(1);
    expect(activities[0]).toMatchObject({ Call_Type: 'Inbound' });
  });

  it('refuses malformed bodies with 400 naming the path, wrong types with 415, big bodies with 413', async () => {
    await authorize('a');
    const bad = await post('/v1/tenants/a/calls', { id: 'x', direction: 'sideways' });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { code: string; issues: Array<{ path: string }> } };
    expect(body.error.code).toBe('CONFIG_INVALID');
    expect(body.error.issues.map((issue) => issue.path).join(' ')).toContain('direction');

    expect((await post('/v1/tenants/a/calls', '{"id":')).status).toBe(400);
    expect((await post('/v1/tenants/a/calls', 'null')).status).toBe(400);
    expect(
      (
        await call('/v1/tenants/a/calls', {
          method: 'POST',
          body: 'id=1',
          headers: { 'content-type': 'text/plain' },
        })
      ).status,
    ).toBe(415);
    const huge = await post('/v1/tenants/a/calls', { id: 'x', notes: 'n'.repeat(300_000) });
    expect(huge.status).toBe(413);
  });

  it('refuses a streamed body as soon as it passes the cap, without reading the rest', async () => {
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        if (pulled > 1_000) controller.close();
        else controller.enqueue(new Uint8Array(64 * 1024));
      },
    });
    const response = await call('/v1/tenants/a/calls', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(pulled).toBeLessThan(10);
  });

  it('keeps the client secret write-only in the settings routes and rebuilds the connector on PUT', async () => {
    const read = await call('/v1/tenants/b/settings');
    const text = await read.text();
    expect(text).not.toContain(TENANTS.b.clientSecret);
    expect(JSON.parse(text)).toMatchObject({
      settings: { clientId: TENANTS.b.clientId, clientSecretSet: true },
    });

    const put = await call('/v1/tenants/b/settings', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: TENANTS.b.clientId, region: 'EU', lookup: { defaultCountry: 'FR' } }),
    });
    expect(put.status).toBe(200);
    expect(await put.text()).not.toContain(TENANTS.b.clientSecret);
    const stored = await world.settingsStore.get('b');
    expect(stored?.clientSecret).toBe(TENANTS.b.clientSecret);
    expect(stored?.lookup.defaultCountry).toBe('FR');
  });

  it('reads a tenant’s settings once per connector, not per request; a PUT makes the next request use new ones', async () => {
    await authorize('a');
    let reads = 0;
    const get = world.settingsStore.get.bind(world.settingsStore);
    world.settingsStore.get = (id) => {
      reads++;
      return get(id);
    };
    const number = encodeURIComponent('415 555 2671'); // national: the tenant's default country decides
    for (let i = 0; i < 5; i++) {
      const answer = await call(`/v1/tenants/a/caller?number=${number}`);
      expect(await answer.json()).toMatchObject({ match: { name: 'Ada Lovelace' } });
    }
    expect(reads).toBe(0); // a hit needs no settings
    const unknown = encodeURIComponent('415 555 0000');
    for (let i = 0; i < 5; i++) {
      const answer = await call(`/v1/tenants/a/caller?number=${unknown}`);
      const source = i === 0 ? 'zoho' : 'cache'; // then the negative cache answers
      expect(await answer.json()).toMatchObject({ match: null, source, reason: 'NOT_FOUND' });
    }
    expect(reads).toBe(1); // a miss names its reason by the tenant's country: read once per connector

    const put = await call('/v1/tenants/a/settings', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...TENANTS.a, lookup: { ...TENANTS.a.lookup, defaultCountry: 'GB' } }),
    });
    expect(put.status).toBe(200);
    reads = 0;
    const seen: Array<string | undefined> = [];
    registry.on('lookup', (event) => seen.push(event.number));
    await call(`/v1/tenants/a/caller?number=${number}`);
    expect(reads).toBeGreaterThanOrEqual(1); // the rebuilt connector read the new settings
    expect(seen.at(-1)).toBe('+444155552671');
  });

  it('answers a failed callback with an error page and no token request', async () => {
    const response = await service.fetch(
      new Request(`${BASE}/api/auth/callback/zoho?code=1000.x&state=forged`),
    );
    expect(response.status).toBe(400);
    expect(world.spy.tokenRequests).toHaveLength(0);
  });

  it('counts requests and lookups in Prometheus text', async () => {
    await authorize('a');
    await call('/v1/tenants/a/caller?number=%2B14155552671');
    const text = await (await call('/metrics')).text();
    expect(text).toMatch(
      /zoho_pbx_http_requests_total\{route="\/v1\/tenants\/\{id\}\/caller",status="200"\} 1/,
    );
    expect(text).toMatch(/zoho_pbx_lookups_total\{source="zoho"\} 1/);
    expect(text).toMatch(/zoho_pbx_zoho_requests_total\{method="GET",status="(200|204)"\} [1-9]/);
  });
});

describe('the PBX service over node:http (listen)', () => {
  it('serves the same routes on loopback and closes cleanly', async () => {
    const server = await service.listen({ port: 0 });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await fetch(`${server.url}/healthz`);
      expect(await health.json()).toEqual({ ok: true });
      const refused = await fetch(`${server.url}/v1/tenants/a/caller?number=1`);
      expect(refused.status).toBe(401);
      const bad = await fetch(`${server.url}/v1/tenants/a/calls`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: '{"id": 1',
      });
      expect(bad.status).toBe(400);
    } finally {
      await server.close();
    }
  });
});

describe('GET /openapi.json', () => {
  it('describes every route the service serves, with request bodies from the zod schemas', async () => {
    const response = await call('/openapi.json', { key: null });
    expect(response.status).toBe(200);
    const doc = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
    };
    expect(doc.openapi).toBe('3.1.0');
    for (const [path, method] of [
      ['/v1/tenants/{id}/authorize', 'get'],
      ['/v1/tenants/{id}/caller', 'get'],
      ['/v1/tenants/{id}/directory', 'get'],
      ['/v1/tenants/{id}/calls', 'post'],
      ['/v1/tenants/{id}/calls/{callId}/notes', 'post'],
      ['/v1/tenants/{id}/calls/{callId}/attachments', 'post'],
      ['/v1/tenants/{id}/records', 'post'],
      ['/v1/tenants/{id}/settings', 'put'],
      ['/api/auth/callback/zoho', 'get'],
      ['/healthz', 'get'],
      ['/metrics', 'get'],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    const pbxCall = doc.components.schemas.PbxCall;
    expect(pbxCall?.required).toEqual(
      expect.arrayContaining(['id', 'direction', 'trunk', 'from', 'to', 'startedAt']),
    );
    expect(Object.keys(doc.components.schemas.CallAttachments?.properties ?? {})).toEqual([
      'recording',
      'transcription',
    ]);
    expect(doc.components.schemas.CreateRecordInput?.required).toEqual(['phone']);
    expect(JSON.stringify(doc.components.schemas.TenantSettings)).toContain('"writeOnly":true');
  });
});
