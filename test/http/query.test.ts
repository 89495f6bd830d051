import fc from 'fast-check';
// ufo is ofetch's URL library: the lean request path must send the very bytes ofetch would.
import { withQuery } from 'ufo';
import { describe, expect, it } from 'vitest';
import { appendQuery, PLAIN_URL, queryString } from '../../src/http/query.js';

const withOurQuery = appendQuery;

describe('appendQuery', () => {
  it('writes a lookup search as ofetch does', () => {
    const query = { phone: '4155552671', fields: 'Phone,Mobile,Full_Name', per_page: '200' };
    const url = 'https://www.zohoapis.com/crm/v8/Contacts/search';
    expect(withOurQuery(url, query)).toBe(withQuery(url, query));
    expect(withOurQuery(url, query)).toBe(
      `${url}?phone=4155552671&fields=Phone,Mobile,Full_Name&per_page=200`,
    );
  });

  it('leaves a bare key for an empty value and nothing for an empty key and value, as ufo does', () => {
    expect(queryString({ a: '', '': '', b: '1' })).toBe('a&b=1');
    expect(withQuery('https://x.test/p', { a: '', '': '', b: '1' })).toBe('https://x.test/p?a&b=1');
  });

  it('leaves out undefined values and writes numbers and booleans as ufo does', () => {
    const query = { phone: '4155552671', page: undefined, per_page: 200, approved: true, x: 0, y: false };
    const url = 'https://www.zohoapis.com/crm/v8/Contacts/search';
    expect(withOurQuery(url, query)).toBe(`${url}?phone=4155552671&per_page=200&approved=true&x=0&y=false`);
    expect(withOurQuery(url, query)).toBe(withQuery(url, query));
    expect(withOurQuery(url, { page: undefined })).toBe(url);
    const value = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(undefined));
    fc.assert(
      fc.property(fc.dictionary(fc.string(), value, { maxKeys: 5 }), (mixed) => {
        expect(withOurQuery(url, mixed)).toBe(withQuery(url, mixed));
      }),
      { numRuns: 500 },
    );
  });

  it('encodes every key and value exactly as ufo does', () => {
    const text = fc.string({ unit: fc.constantFrom(...'aZ09_.,~- +&=#/?%|`^{}"\'<>é€😀:;@$!*()[]\\') });
    fc.assert(
      fc.property(fc.dictionary(text, text, { maxKeys: 5 }), (query) => {
        const url = 'http://127.0.0.1:4010/crm/v8/Leads/search';
        expect(withOurQuery(url, query)).toBe(withQuery(url, query));
      }),
      { numRuns: 500 },
    );
  });
});

describe('PLAIN_URL', () => {
  it.each([
    'https://www.zohoapis.com/crm/v8/Contacts/search',
    'http://127.0.0.1:4010/crm/v8/settings/fields',
    'https://www.zohoapis.eu',
  ])('takes %s, which ufo leaves as it is', (url) => {
    expect(PLAIN_URL.test(url)).toBe(true);
    expect(withQuery(url, { a: '1' })).toBe(`${url}?a=1`);
  });

  it.each([
    'https://user:pw@example.com/crm',
    'https://example.com/crm?x=1',
    'https://example.com/crm#top',
    'HTTPS://example.com/crm',
    ' https://example.com/crm',
    'https://example.com\\crm',
  ])('leaves %s to ofetch', (url) => {
    expect(PLAIN_URL.test(url)).toBe(false);
  });
});
