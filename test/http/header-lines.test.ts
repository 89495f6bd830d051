import { channel, subscribe, unsubscribe } from 'node:diagnostics_channel';
import * as http from 'node:http';
import * as https from 'node:https';
import { describe, expect, it } from 'vitest';
import { createHeaderForm, type RequestModule } from '../../src/http/header-lines.js';

const OWN = { Authorization: 'Zoho-oauthtoken t', Accept: 'application/json' };
const AS_OBJECT = { 'User-Agent': 'node', ...OWN, 'Accept-Encoding': 'gzip, br' };
const diagnostics = { channel } as never;

/** A module as the transport loads it, whose functions a test may replace without touching Node's. */
const module = (from: typeof http | typeof https): RequestModule => ({
  request: from.request,
  Agent: from.Agent,
  ...('ClientRequest' in from ? { ClientRequest: from.ClientRequest } : {}),
});
const isList = (form: unknown) => Array.isArray(form);

describe('the form of a node transport request’s headers', () => {
  it('gives the client’s own headers as lines, in the object’s order, Host last and Content-Length: 0 where Node would chunk', () => {
    const form = createHeaderForm(module(http), module(https), diagnostics);
    expect(form('GET', 'www.zohoapis.com', OWN)).toEqual([
      ...['User-Agent', 'node', 'Authorization', 'Zoho-oauthtoken t', 'Accept', 'application/json'],
      ...['Accept-Encoding', 'gzip, br', 'Host', 'www.zohoapis.com'],
    ]);
    expect(form('DELETE', 'h', {})).toEqual([
      'User-Agent',
      'node',
      'Accept-Encoding',
      'gzip, br',
      'Host',
      'h',
    ]);
    for (const method of ['POST', 'PUT', 'PATCH'])
      expect((form(method, 'h', { Accept: 'a' }) as string[]).slice(-2)).toEqual(['Content-Length', '0']);
    for (const method of ['GET', 'HEAD', 'DELETE', 'OPTIONS'])
      expect(form(method, 'h', { Accept: 'a' })).not.toContain('Content-Length');
  });

  it.each([
    ['another header', 'GET', { ...OWN, 'X-Trace': 'a' }],
    ['a header of the client’s in another case', 'GET', { authorization: 'Zoho-oauthtoken t' }],
    ['a Host of the caller’s', 'GET', { Host: 'api.example' }],
    ['a method Node has no framing rule for here', 'PROPFIND', OWN],
    ['a method in lower case', 'get', OWN],
    ['a method named like a property of every object', 'constructor', OWN],
  ])('gives the object for %s', (_, method, headers) => {
    const form = createHeaderForm(module(http), module(https), diagnostics);
    expect(form(method, 'h', headers)).toEqual({
      'User-Agent': 'node',
      ...headers,
      'Accept-Encoding': 'gzip, br',
    });
  });

  it('gives the object while http.request or https.request is wrapped, and lines again once it is Node’s own', () => {
    const plain = module(http);
    const secure = module(https);
    const form = createHeaderForm(plain, secure, diagnostics);
    const own = { http: plain.request, https: secure.request };
    const call = own.http as (...args: unknown[]) => http.ClientRequest;
    const wrappers = [
      // An APM agent's wrapper.
      function outgoingRequest(...args: unknown[]) {
        return call(...args);
      },
      // One that copies the name, and one whose source names ClientRequest: neither is Node's.
      Object.defineProperty((...args: unknown[]) => call(...args), 'name', { value: 'request' }),
      function tracedRequest(...args: unknown[]) {
        const kind = 'ClientRequest';
        return call(kind && args[0], ...args.slice(1));
      },
      // A mock library's Proxy, and a request that is gone.
      new Proxy(own.http, {}),
      undefined,
    ];
    for (const wrapper of wrappers) {
      plain.request = wrapper as typeof http.request;
      expect(form('GET', 'h', OWN)).toEqual(AS_OBJECT);
    }
    plain.request = own.http;
    expect(isList(form('GET', 'h', OWN))).toBe(true);
    secure.request = new Proxy(own.https, {});
    expect(form('GET', 'h', OWN)).toEqual(AS_OBJECT);
    secure.request = own.https;
    expect(isList(form('GET', 'h', OWN))).toBe(true);
  });

  it('gives the object while a request’s setHeader or _storeHeader, or an agent’s addRequest, is not Node’s', () => {
    const plain = module(http);
    const secure = module(https);
    const form = createHeaderForm(plain, secure, diagnostics);
    // Sentry (10.65 and later on Node before 22.12) puts its own `_storeHeader` on ClientRequest's prototype.
    class SentryRequest extends http.ClientRequest {}
    Object.assign(SentryRequest.prototype, {
      _storeHeader: function patchedStoreHeader() {
        return undefined;
      },
    });
    class CopiedSetHeader extends http.ClientRequest {}
    Object.defineProperty(CopiedSetHeader.prototype, 'setHeader', {
      value: Object.defineProperty(() => undefined, 'name', { value: 'setHeader' }),
    });
    class CopiedStoreHeader extends http.ClientRequest {}
    Object.defineProperty(CopiedStoreHeader.prototype, '_storeHeader', {
      value: Object.defineProperty(() => undefined, 'name', { value: '_storeHeader' }),
    });
    class PatchedAgent extends http.Agent {}
    Object.assign(PatchedAgent.prototype, {
      addRequest: function addRequest() {
        return undefined;
      },
    });
    for (const [name, patch, restore] of [
      ['_storeHeader', () => Object.assign(plain, { ClientRequest: SentryRequest }), () => module(http)],
      ['setHeader', () => Object.assign(plain, { ClientRequest: CopiedSetHeader }), () => module(http)],
      [
        '_storeHeader, its name copied',
        () => Object.assign(plain, { ClientRequest: CopiedStoreHeader }),
        () => module(http),
      ],
      ['http addRequest', () => Object.assign(plain, { Agent: PatchedAgent }), () => module(http)],
      ['https addRequest', () => Object.assign(secure, { Agent: PatchedAgent }), () => module(https)],
    ] as const) {
      patch();
      expect(form('GET', 'h', OWN), name).toEqual(AS_OBJECT);
      Object.assign(name.startsWith('https') ? secure : plain, restore());
      expect(isList(form('GET', 'h', OWN)), name).toBe(true);
    }
  });

  it.each(['http.client.request.created', 'http.client.request.start'])(
    'gives the object while someone listens to %s',
    (name) => {
      const form = createHeaderForm(module(http), module(https), diagnostics);
      const listener = () => undefined;
      subscribe(name, listener);
      try {
        expect(form('GET', 'h', OWN)).toEqual(AS_OBJECT);
      } finally {
        unsubscribe(name, listener);
      }
      expect(isList(form('GET', 'h', OWN))).toBe(true);
    },
  );

  it('gives the object where node:diagnostics_channel is missing (nobody can say who listens)', () => {
    const form = createHeaderForm(module(http), module(https), undefined);
    expect(form('GET', 'h', OWN)).toEqual(AS_OBJECT);
  });
});
