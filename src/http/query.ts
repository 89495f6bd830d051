/**
 * The query string of a request, encoded exactly as ofetch encodes it (ufo's `withQuery`): the lean GET
 * path builds its URL itself, and Zoho (or a test) must see the very same bytes either way. Values that
 * hold only characters no step of that encoding touches (letters, digits, `_ . , ~ -`: search terms,
 * field lists, page numbers) are taken as they are.
 *
 * @module
 */

const UNTOUCHED = /^[\w.,~-]*$/;

/** Query values; undefined entries are left out (as ufo leaves them out). @internal */
export type QueryParams = Record<string, string | number | boolean | undefined>;

/** ufo's `encodeQueryValue` for a string. */
function encodeValue(value: string): string {
  if (UNTOUCHED.test(value)) return value;
  return encodeURI(value)
    .replace(/%7c/gi, '|')
    .replace(/\+/g, '%2B')
    .replace(/%20/gi, '+')
    .replace(/#/g, '%23')
    .replace(/&/g, '%26')
    .replace(/%60/gi, '`')
    .replace(/%5e/gi, '^')
    .replace(/\//g, '%2F');
}

/** ufo's `encodeQueryKey`. */
function encodeKey(key: string): string {
  return UNTOUCHED.test(key) ? key : encodeValue(key).replace(/=/g, '%3D');
}

/**
 * `key=value` pairs joined with `&`, in the object's key order, as ufo's `stringifyQuery` writes them:
 * an undefined value is left out, a number or boolean is written as `String()` writes it, an empty value
 * leaves the bare key, an empty key with an empty value is left out.
 * @internal
 */
export function queryString(query: Readonly<QueryParams>): string {
  let out = '';
  for (const key of Object.keys(query)) {
    const given = query[key];
    if (given === undefined) continue;
    const value = typeof given === 'string' ? given : String(given);
    const item = value ? `${encodeKey(key)}=${encodeValue(value)}` : encodeKey(key);
    if (item) out += out ? `&${item}` : item;
  }
  return out;
}

/**
 * `url` with the query appended, as ufo's `withQuery` writes it for a {@link PLAIN_URL}: no `?` added
 * before a query that starts with one (a key `?`).
 * @internal
 */
export function appendQuery(url: string, query: Readonly<QueryParams> | undefined): string {
  const search = query ? queryString(query) : '';
  if (search === '') return url;
  return search.startsWith('?') ? url + search : `${url}?${search}`;
}

/**
 * URLs whose form ufo's `withQuery` gives back unchanged before it appends the query: `http(s)://`, a
 * host without credentials, a path without query, fragment or backslash.
 * @internal
 */
export const PLAIN_URL = /^https?:\/\/[^/?#\\@\s]+(?:\/[^?#\\\s]*)?$/;
