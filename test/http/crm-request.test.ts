/**
 * `zoho.request()`, the escape hatch (issue 16, item 6): any CRM REST call with the connection's managed
 * token and data centre, the client's retries and typed errors, against the emulator over HTTP. Paths are
 * relative CRM API paths: nothing else is sent, so the token only ever reaches the org's API domain.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ZohoRequestEvent } from '../../src/connector.js';
import { DEFAULT_SCOPES } from '../../src/oauth/scopes.js';
import { startZohoEmulator, type ZohoEmulator } from '../../src/testing/server.js';
import { authorize, closeConnectors, connectorFor, registerClient } from '../integration/helpers.js';

const DEAL_SCOPES = [...DEFAULT_SCOPES, 'ZohoCRM.modules.deals.READ', 'ZohoCRM.modules.deals.UPDATE'];

/** Every request the connector sent: its URL and whether it carried the token. */
const sent: Array<{ url: string; method: string; token: boolean }> = [];
const recordingFetch: typeof fetch = async (input, init) => {
  const request = new Request(input as string, init);
  sent.push({
    url: request.url,
    method: request.method,
    token: (request.headers.get('authorization') ?? '').startsWith('Zoho-oauthtoken '),
  });
  return fetch(request);
};

describe('zoho.request', () => {
  let emu: ZohoEmulator;
  let dealId: string;

  beforeAll(async () => {
    emu = await startZohoEmulator({ autoConsent: true });
    registerClient(emu);
  });
  afterAll(() => emu.close());
  afterEach(async () => {
    emu.faults(null);
    sent.length = 0;
    await closeConnectors();
  });

  async function connected(scopes: string[] = DEAL_SCOPES) {
    const zoho = connectorFor(emu, { scopes, fetch: recordingFetch, http: { retries: 1 } });
    await authorize(zoho);
    sent.length = 0;
    [dealId] = emu.seed('Deals', [{ Deal_Name: 'Acme renewal', Stage: 'Qualification', Amount: 9000 }]) as [
      string,
    ];
    return zoho;
  }

  it('reads and updates a Deal with the managed token, on the org API domain', async () => {
    const zoho = await connected();
    const events: ZohoRequestEvent[] = [];
    zoho.on('zohoRequest', (e) => events.push(e));
    const list = await zoho.request<{ data: Array<{ id: string; Deal_Name: string }> }>({
      method: 'GET',
      path: '/crm/v8/Deals',
      query: { fields: 'Deal_Name,Stage', per_page: 200, converted: undefined },
    });
    expect(list.status).toBe(200);
    expect(list.data?.data.map((d) => d.Deal_Name)).toContain('Acme renewal');
    expect(list.headers).toBeInstanceOf(Headers);

    const updated = await zoho.request<{ data: Array<{ code: string; status: string }> }>({
      method: 'put' as 'PUT', // any case
      path: `/crm/v8/Deals/${dealId}`,
      body: { data: [{ Stage: 'Closed Won', Amount: 12_000 }] },
    });
    expect(updated.data?.data[0]).toMatchObject({ code: 'SUCCESS', status: 'success' });
    expect(emu.records('Deals').find((d) => d.id === dealId)).toMatchObject({
      Stage: 'Closed Won',
      Amount: 12_000,
    });

    const apiOrigin = new URL(emu.regions.US.apiUrl).origin;
    expect(sent.length).toBe(2);
    for (const request of sent) {
      expect(request.token).toBe(true);
      expect(new URL(request.url).origin).toBe(apiOrigin);
    }
    expect(new URL(sent[0]?.url ?? '').searchParams.get('per_page')).toBe('200');
    expect(new URL(sent[0]?.url ?? '').searchParams.has('converted')).toBe(false);
    // The current version's paths are reported below /crm/v8, like every other call's.
    expect(events.map((e) => `${e.method} ${e.path}`)).toEqual(['GET /Deals', `PUT /Deals/${dealId}`]);
  });

  it('answers 204 with no data, and sends other versions from the API root', async () => {
    const zoho = await connected();
    const none = await zoho.request({ method: 'GET', path: '/crm/v8/Deals/search', query: { word: 'zzzz' } });
    expect(none).toMatchObject({ status: 204, data: undefined });
    await expect(zoho.request({ method: 'GET', path: '/crm/v7/Deals' })).rejects.toMatchObject({
      name: 'ZohoApiError',
    });
    const apiPath = new URL(emu.regions.US.apiUrl).pathname.replace(/\/$/, '');
    expect(new URL(sent.at(-1)?.url ?? '').pathname).toBe(`${apiPath}/crm/v7/Deals`);
  });

  it('throws typed errors: Zoho refusing the data, a missing scope, an abort', async () => {
    const zoho = await connected();
    await expect(
      zoho.request({ method: 'PUT', path: `/crm/v8/Deals/${dealId}`, body: { data: 'not an array' } }),
    ).rejects.toMatchObject({ name: 'ZohoApiError', code: 'ZOHO_API', status: 400 });
    const controller = new AbortController();
    controller.abort();
    await expect(
      zoho.request({ method: 'GET', path: '/crm/v8/Deals', signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    await closeConnectors();

    const narrow = await connected([...DEFAULT_SCOPES]); // no Deals scope granted
    await expect(narrow.request({ method: 'GET', path: '/crm/v8/Deals' })).rejects.toMatchObject({
      name: 'AuthError',
      code: 'AUTH_SCOPE_MISMATCH',
    });
  });

  it('retries a GET after a 5xx, and a POST only when Zoho certainly did not process it', async () => {
    const zoho = await connected();
    const attempts: ZohoRequestEvent[] = [];
    zoho.on('zohoRequest', (e) => attempts.push(e));
    emu.faults({ status: 500, target: 'api', every: 1 });
    await expect(zoho.request({ method: 'GET', path: '/crm/v8/Deals' })).rejects.toMatchObject({
      status: 500,
    });
    expect(attempts).toHaveLength(2); // retries: 1
    attempts.length = 0;
    await expect(
      zoho.request({
        method: 'POST',
        path: '/crm/v8/Deals',
        body: { data: [{ Deal_Name: 'x', Stage: 'Qualification' }] },
      }),
    ).rejects.toMatchObject({ status: 500 });
    expect(attempts).toHaveLength(1); // it may have created the Deal: not sent again
  });

  it('refuses absolute URLs, other hosts, traversal, query strings, bad methods and bodies, sending nothing', async () => {
    const zoho = await connected();
    const refused = async (request: unknown, message: RegExp) => {
      await expect(zoho.request(request as never)).rejects.toMatchObject({
        name: 'ConfigError',
        message: expect.stringMatching(message),
      });
    };
    const path = /path: must be a Zoho CRM API path/;
    await refused({ method: 'GET', path: 'https://evil.example.com/crm/v8/Deals' }, path);
    await refused({ method: 'GET', path: `${emu.regions.US.apiUrl}/crm/v8/Deals` }, path);
    await refused({ method: 'GET', path: '//evil.example.com/crm/v8/Deals' }, path);
    await refused({ method: 'GET', path: '/crm/v8/../../evil' }, path);
    await refused({ method: 'GET', path: '/crm/v8/%2e%2e/x' }, path);
    await refused({ method: 'GET', path: '/crm/v8/Deals?fields=Stage' }, path);
    await refused({ method: 'GET', path: '/crm/v8/Deals/' }, path);
    await refused({ method: 'GET', path: '/crm/v8\\Deals' }, path);
    await refused({ method: 'GET', path: '/oauth/v2/token' }, path);
    await refused({ method: 'GET', path: 'crm/v8/Deals' }, path);
    await refused(
      { method: 'TRACE', path: '/crm/v8/Deals' },
      /method: must be one of GET, POST, PUT, PATCH, DELETE/,
    );
    await refused({ method: 'GET', path: '/crm/v8/Deals', body: {} }, /body: is not allowed with GET/);
    await refused(
      { method: 'POST', path: '/crm/v8/Deals', body: 'data' },
      /body: must be a JSON object or array/,
    );
    await refused({ method: 'GET', path: '/crm/v8/Deals', query: { a: { b: 1 } } }, /query/);
    await refused(
      { method: 'GET', path: '/crm/v8/Deals', url: 'https://evil.example.com' },
      /url|Unrecognized/i,
    );
    await refused(null, /request: must be an object/);
    expect(sent).toEqual([]);
  });
});
