import { channel, subscribe, unsubscribe } from 'node:diagnostics_channel';
import * as http from 'node:http';
import * as https from 'node:https';
import { describe, expect, it } from 'vitest';
import { createHeaderForm, type RequestModule } from '../../src/http/header-lines.js';

const OWN = { Authorization: 'Zoho-oauthtoken t', Accept: 'application/json' };
const AS_OBJECT = { 'User-Agent': 'node', ...OWN, 'Accept-Encoding': 'gzip, br' };

/** A module as the transport loads it, whose `request` a test may replace. */
const module = (from: RequestModule): RequestModule => ({ request: from.request });

describe('the form of a node transport request’s headers', () => {
  it('gives the client’s own headers as lines, in the object’s order, Host last and Content-Length: 0 where Node would chunk', () => {
    const form = createHeaderForm(module(http), module(https), { channel } as never);
    expect(form('GET', 'www.zohoapis.com', true, OWN)).toEqual([
      ...['User-Agent', 'node', 'Authorization', 'Zoho-oauthtoken t', 'Accept', 'application/json'],
      ...['Accept-Encoding', 'gzip, br', 'Host', 'www.zohoapis.com'],
    ]);
    expect(form('DELETE', 'h', false, {})).toEqual([
      'User-Agent',
      'node',
      'Accept-Encoding',
      'gzip, br',
      'Host',
      'h',
    ]);
    for (const method of ['POST', 'PUT', 'PATCH'])
      expect((form(method, 'h', false, { Accept: 'a' }) as string[]).slice(-2)).toEqual([
        'Content-Length',
        '0',
      ]);
    for (const method of ['GET', 'HEAD', 'DELETE', 'OPTIONS'])
      expect(form(method, 'h', false, { Accept: 'a' })).not.toContain('Content-Length');
  });

  it.each([
    ['another header', 'GET', { ...OWN, 'X-Trace': 'a' }],
    ['a header of the client’s in another case', 'GET', { authorization: 'Zoho-oauthtoken t' }],
    ['a Host of the caller’s', 'GET', { Host: 'api.example' }],
    ['a method Node has no framing rule for here', 'PROPFIND', OWN],
    ['a method in lower case', 'get', OWN],
  ])('gives the object for %s', (_, method, headers) => {
    const form = createHeaderForm(module(http), module(https), { channel } as never);
    expect(form(method, 'h', false, headers)).toEqual({
      'User-Agent': 'node',
      ...headers,
      'Accept-Encoding': 'gzip, br',
    });
  });

  it('gives the object while http.request or https.request is wrapped, and lines again once it is Node’s own', () => {
    const plain = module(http);
    const secure = module(https);
    const form = createHeaderForm(plain, secure, { channel } as never);
    const own = { http: plain.request, https: secure.request };
    // An APM agent's wrapper, then a mock library's Proxy.
    plain.request = function outgoingRequest(...args: unknown[]) {
      return (own.http as (...a: unknown[]) => http.ClientRequest)(...args);
    } as typeof http.request;
    expect(form('GET', 'h', false, OWN)).toEqual(AS_OBJECT);
    expect(Array.isArray(form('GET', 'h', true, OWN))).toBe(true); // https is still Node's
    secure.request = new Proxy(own.https, {});
    expect(form('GET', 'h', true, OWN)).toEqual(AS_OBJECT);
    // A wrapper whose source names ClientRequest is still not Node's `request`.
    plain.request = function tracedRequest(...args: unknown[]) {
      const kind = 'ClientRequest';
      return (own.http as (...a: unknown[]) => http.ClientRequest)(kind && args[0], ...args.slice(1));
    } as typeof http.request;
    expect(form('GET', 'h', false, OWN)).toEqual(AS_OBJECT);
    // And a module whose request is gone (a mock that deleted it) gets the object too.
    plain.request = undefined as never;
    expect(form('GET', 'h', false, OWN)).toEqual(AS_OBJECT);
    plain.request = own.http;
    secure.request = own.https;
    expect(Array.isArray(form('GET', 'h', false, OWN))).toBe(true);
    expect(Array.isArray(form('GET', 'h', true, OWN))).toBe(true);
  });

  it.each(['http.client.request.created', 'http.client.request.start'])(
    'gives the object while someone listens to %s',
    (name) => {
      const form = createHeaderForm(module(http), module(https), { channel } as never);
      const listener = () => undefined;
      subscribe(name, listener);
      try {
        expect(form('GET', 'h', true, OWN)).toEqual(AS_OBJECT);
      } finally {
        unsubscribe(name, listener);
      }
      expect(Array.isArray(form('GET', 'h', true, OWN))).toBe(true);
    },
  );

  it('gives the object where node:diagnostics_channel is missing (nobody can say who listens)', () => {
    const form = createHeaderForm(module(http), module(https), undefined);
    expect(form('GET', 'h', true, OWN)).toEqual(AS_OBJECT);
  });
});
