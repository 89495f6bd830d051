/**
 * Phone numbers in, E.164 out. Pure: no I/O, no clock, and no state beyond one-entry memos of the last
 * E.164 number parsed and of the last caller {@link matchesNumber} compared, and the calling code of each
 * default country. This is the only module that imports libphonenumber-js;
 * everything else in the library works with the E.164 strings it returns.
 *
 * **Metadata set: `min`.** Measured with libphonenumber-js 1.13.16 on the inputs of `test/phone/fixtures.ts`
 * (see `bench/phone.ts`):
 * - `min` and `max` give the same E.164 and country on every input and cost the same per parse
 *   (≈ 13–14 µs for parse + isPossible + isValid on a 2-vCPU machine); this module's whole test suite
 *   passes unchanged on either. `max` adds the per-type patterns behind `getType()` (fixed line, mobile,
 *   toll free…), which makes its `isValid()` stricter on a few numbers (4 of 124 inputs, e.g. ARCEP's
 *   06 39 98 fiction range): that would only flip {@link PublicNumber.valid}, which we do not reject on.
 *   Bundle of the functions used here, esbuild --minify, gzip -9: `min` 28.6 KB, `max` 48.1 KB.
 * - `mobile` (33 KB) is wrong for us: it only knows mobile ranges, so landlines (`+44 20 7946 0958`,
 *   `+61 2 …`, `+81 3 …`) come out invalid and without a country (31 of 124 inputs differ, 6 tests fail).
 *   Callers ring from landlines too.
 *
 * **Possible, not valid.** A number is accepted when libphonenumber finds it *possible* (right length for
 * its country); whether it is also *valid* (its digits fall in an allocated range) is reported as
 * `valid` but does not reject it. Zoho data is typed by hand and a trunk's caller ID should be looked up
 * even when the metadata is stale or the range is reserved (Ofcom's `07700 900xxx` drama range is
 * possible but not valid). Validity is used only to choose between two readings of an ambiguous input.
 *
 * @module
 */
import {
  type CountryCode,
  getCountryCallingCode,
  isSupportedCountry as isKnownCountry,
  type PhoneNumber,
  parsePhoneNumberFromString,
  validatePhoneNumberLength,
} from 'libphonenumber-js/min';
import { PhoneNumberError, type PhoneNumberProblem } from '../errors.js';
import { maskPhone } from '../redact.js';

/**
 * A public phone number, normalised.
 * @example
 * ```ts
 * const n = classifyNumber('+1 (415) 555-2671 x12', 'US');
 * // { kind: 'e164', e164: '+14155552671', callingCode: '1', country: 'US',
 * //   nationalNumber: '4155552671', extension: '12', valid: true }
 * ```
 * @group Phone numbers
 */
export interface PublicNumber {
  /** Discriminant: a public number. */
  readonly kind: 'e164';
  /** The number in E.164: `+`, country calling code, national significant number. No extension. */
  readonly e164: string;
  /** Country calling code without `+`, e.g. `1`, `44`, `971`. */
  readonly callingCode: string;
  /**
   * ISO 3166-1 alpha-2 country, when the number identifies one. Absent for non-geographic numbers
   * (`+800…`) and for numbers on a shared calling code that are not valid (e.g. `+1 555 …`).
   */
  readonly country?: string;
  /** National significant number: the digits after the calling code, without trunk prefix (`0`). */
  readonly nationalNumber: string;
  /** Extension digits from `x12`, `ext. 12`, `#12`, `;ext=12`. Never part of {@link PublicNumber.e164}. */
  readonly extension?: string;
  /**
   * Whether the digits fall in a range the metadata knows as allocated. `false` still means a
   * well-formed, possible number (see the module notes): look it up, but do not trust it for dialling.
   */
  readonly valid: boolean;
}

/**
 * An internal PBX extension: too short to be a public number, never sent to Zoho.
 * @example
 * ```ts
 * classifyNumber('201', 'US'); // { kind: 'extension', extension: '201' }
 * ```
 * @group Phone numbers
 */
export interface InternalExtension {
  /** Discriminant: an internal extension. */
  readonly kind: 'extension';
  /** The extension's digits. */
  readonly extension: string;
}

/**
 * An anonymous, withheld or missing caller ID, never sent to Zoho.
 * @example
 * ```ts
 * classifyNumber('sip:anonymous@anonymous.invalid', 'US'); // { kind: 'anonymous' }
 * ```
 * @group Phone numbers
 */
export interface AnonymousCaller {
  /** Discriminant: no number to look up. */
  readonly kind: 'anonymous';
}

/**
 * What a caller ID or a stored phone field turned out to be.
 * @example
 * ```ts
 * const n = classifyNumber(callerId, 'GB');
 * if (n.kind === 'e164') lookup(n.e164);
 * ```
 * @group Phone numbers
 */
export type PhoneClassification = PublicNumber | InternalExtension | AnonymousCaller;

/**
 * Options for {@link classifyNumber} and {@link toE164}.
 * @example
 * ```ts
 * classifyNumber('20145', 'NU', { maxExtensionLength: 3 }); // Niue numbers have 4–5 digits
 * ```
 * @group Phone numbers
 */
export interface ClassifyOptions {
  /**
   * Digit strings with no `+`, no international prefix and at most this many digits are internal
   * extensions. Lower it (or set `0`) for countries with public numbers of 6 digits or fewer when they
   * are dialled without a country code (e.g. Niue, Saint Helena, Falkland Islands). Integer from 0 to 15.
   * @default 6
   */
  maxExtensionLength?: number;
}

/**
 * Options for {@link matchesNumber}.
 * @example
 * ```ts
 * matchesNumber('020 7946 0958', '+442079460958', 'US', { callerCountryFallback: false }); // false
 * ```
 * @group Phone numbers
 */
export interface MatchOptions {
  /**
   * When a stored number without country code does not match as a number of `defaultCountry`, try it
   * as a national number of the caller's own country, and accept that reading only if it is a *valid*
   * number there. This is what lets a US org's record holding a UK client's `020 7946 0958` match a
   * call from `+44 20 7946 0958`.
   * @default true
   */
  callerCountryFallback?: boolean;
}

/**
 * Default for {@link ClassifyOptions.maxExtensionLength}.
 * @example
 * ```ts
 * classifyNumber('123456', 'US').kind === 'extension'; // 6 digits = DEFAULT_MAX_EXTENSION_LENGTH
 * ```
 * @group Phone numbers
 */
export const DEFAULT_MAX_EXTENSION_LENGTH = 6;

/**
 * Sorts a caller ID or a free-text phone field into a public number, an internal extension or an
 * anonymous caller. Never throws anything but {@link PhoneNumberError}.
 *
 * Accepted forms:
 * - Formatting: spaces, dots, dashes, slashes, brackets, `(0)` after the country code, leading labels
 *   (`Tel:`, `Mobile`), trailing labels (`(office)`), Arabic-Indic, Devanagari, Bengali and full-width
 *   digits.
 * - International: `+`; `00` and `011` from any country; `defaultCountry`'s own international prefix
 *   (`0011` AU, `010` JP, `810` RU, `00xx` carrier codes in BR…); E.164 digits without `+`, as SIP
 *   trunks often send them, when they form a *valid* number and the national reading does not.
 * - National: with or without the trunk prefix (`020 …` GB, `030 …` DE, `8 …` RU) in `defaultCountry`.
 * - URIs: `tel:` (`;ext=`, `;phone-context=` with a `+` prefix or a domain), `sip:`/`sips:` (user part,
 *   `%2B`, password, `;user=phone`), `<sip:…>` with a display name; `sip:anonymous@…` and any
 *   `@anonymous.invalid` host are anonymous.
 * - Extensions: `x12`, `ext 12`, `ext. 12`, `extn 12`, `extension 12`, `#12`, `;ext=12`. An extension
 *   marker with nothing before it (`x201`) is an internal extension.
 * - Letters: a trailing label is dropped when the digits before it are a number; otherwise letters are
 *   read as a keypad vanity number (`1-800-FLOWERS` → `+18003569377`).
 * - Anonymous: `anonymous`, `unknown`, `private`, `restricted`, `unavailable`, `withheld`, `blocked`,
 *   `no caller id`, `out of area` and the like, `null`/`undefined`, an empty or blank string, and
 *   strings of punctuation only (`-`).
 *
 * @param raw - The caller ID or field value.
 * @param defaultCountry - ISO 3166-1 alpha-2 country (any case) for numbers without a country code.
 * @param options - See {@link ClassifyOptions}.
 * @returns A {@link PhoneClassification}.
 * @throws {@link PhoneNumberError} `INVALID_COUNTRY` for an unsupported `defaultCountry` or calling code;
 * `TOO_SHORT`, `TOO_LONG`, `INVALID` (length impossible for its country) or `NOT_A_NUMBER` otherwise.
 * @throws `RangeError` when `maxExtensionLength` is not an integer from 0 to 15.
 * @example
 * ```ts
 * classifyNumber('"Ada" <sip:+442079460958@pbx.example.com>', 'US'); // { kind: 'e164', e164: '+442079460958', … }
 * classifyNumber('0044 20 7946 0958', 'US').kind; // 'e164'
 * classifyNumber('2001', 'US');                   // { kind: 'extension', extension: '2001' }
 * classifyNumber('Restricted', 'US');             // { kind: 'anonymous' }
 * ```
 * @group Phone numbers
 */
export function classifyNumber(
  raw: string,
  defaultCountry: string,
  options?: ClassifyOptions,
): PhoneClassification {
  return _classify(raw, _country(defaultCountry), _maxExtension(options));
}

/**
 * Normalises a dialable number to E.164 (`+14155552671`), dropping any extension. Same input rules as
 * {@link classifyNumber}, but everything that is not a public number is an error.
 * @param raw - The caller ID or field value.
 * @param defaultCountry - ISO 3166-1 alpha-2 country (any case) for numbers without a country code.
 * @param options - See {@link ClassifyOptions}.
 * @returns The E.164 string.
 * @throws {@link PhoneNumberError} as {@link classifyNumber}, plus `EMPTY` for a missing or blank
 * number, `NOT_A_NUMBER` for an anonymous caller and `TOO_SHORT` for an internal extension.
 * @example
 * ```ts
 * toE164('(415) 555-2671', 'US');           // '+14155552671'
 * toE164('020 7946 0958', 'GB');            // '+442079460958'
 * toE164('tel:+1-415-555-2671;ext=7', 'DE'); // '+14155552671'
 * ```
 * @group Phone numbers
 */
export function toE164(raw: string, defaultCountry: string, options?: ClassifyOptions): string {
  const country = _country(defaultCountry);
  const result = _classify(raw, country, _maxExtension(options));
  if (result.kind === 'e164') return result.e164;
  if (result.kind === 'extension') {
    throw new PhoneNumberError(
      'TOO_SHORT',
      `Phone number ${maskPhone(result.extension)} is an internal extension, not a public number`,
      country,
    );
  }
  if (result === EMPTY) throw new PhoneNumberError('EMPTY', 'Phone number is empty', country);
  throw new PhoneNumberError(
    'NOT_A_NUMBER',
    'Caller ID is anonymous or withheld: there is no number',
    country,
  );
}

/**
 * Whether libphonenumber knows a country, i.e. whether it can be a `defaultCountry`. Case-insensitive.
 * Besides ISO 3166-1 codes it knows a few others (`XK` Kosovo, `AC` Ascension, `TA` Tristan da Cunha).
 * @param code - Two-letter country code.
 * @returns `true` when numbers can be normalised with it.
 * @example
 * ```ts
 * isSupportedCountry('gb'); // true
 * isSupportedCountry('UK'); // false: the ISO code is GB
 * ```
 * @group Phone numbers
 */
export function isSupportedCountry(code: string): boolean {
  return typeof code === 'string' && code.length === 2 && isKnownCountry(code.toUpperCase());
}

/**
 * The query strings most likely to find a number in a free-text Zoho phone field through
 * `GET /{module}/search?phone=…`, best first. Zoho does not document how `phone=` matches (docs/zoho-facts.md
 * §2.2, §10 Q4), so every hit must still be verified with {@link matchesNumber}.
 * 1. The national significant number (`4155552671`; `2079460958`): a substring of every way the number
 *    is usually written (`(415) 555-2671`, `+1 415…`, `020 7946 0958`, `0044 20…`) if Zoho matches
 *    digits as a substring, which third-party integrations report.
 * 2. E.164 digits without `+` (`14155552671`): hits numbers stored in international form if Zoho
 *    compares whole digit strings.
 * 3. National digits with the trunk prefix (`02079460958`), where that differs from 1 and 2: hits
 *    national-format values if Zoho compares whole digit strings.
 * 4. E.164 with `+` (`+14155552671`): hits values stored exactly so if Zoho compares raw text.
 *
 * Duplicates are removed, so NANP numbers get three terms and most others four. Each term costs one
 * search per module; stop at the first term that returns a verified match.
 * @param e164 - A number in E.164, as returned by {@link toE164}.
 * @returns Distinct query strings, best first.
 * @throws {@link PhoneNumberError} `INVALID` when `e164` is not an E.164 string of a known calling code.
 * @example
 * ```ts
 * phoneSearchTerms('+14155552671');  // ['4155552671', '14155552671', '+14155552671']
 * phoneSearchTerms('+442079460958'); // ['2079460958', '442079460958', '02079460958', '+442079460958']
 * ```
 * @group Phone numbers
 */
export function phoneSearchTerms(e164: string): string[] {
  return leadingSearchTerms(e164, 4);
}

/**
 * The first `count` of {@link phoneSearchTerms}, computing only what they need: a lookup that sends one
 * term (the default) never formats the number, and after {@link classifyNumber} read the caller's E.164
 * it does not parse it again.
 * @internal
 */
export function leadingSearchTerms(e164: string, count: number): string[] {
  const phone = _parseE164(e164);
  const terms = [phone.nationalNumber];
  const international = phone.number.slice(1);
  if (terms.length < count && international !== phone.nationalNumber) terms.push(international);
  if (terms.length < count) {
    const national = phone.formatNational().replace(NON_DIGITS, '');
    if (!terms.includes(national)) terms.push(national);
  }
  if (terms.length < count) terms.push(phone.number);
  return terms;
}

/**
 * Whether a free-text phone field (as stored in Zoho: any format, with extension, labels or junk, or
 * several numbers separated by `/`, `,`, `;`, `|`, `or` or new lines) holds the caller's number.
 *
 * The stored value is normalised like {@link classifyNumber}: with a country code (`+`, `00`, `011`,
 * `defaultCountry`'s own prefix) it is compared as is; without one it is read as a national number of
 * `defaultCountry` (the org's country), and then, unless {@link MatchOptions.callerCountryFallback} is
 * off, as a *valid* national number of the caller's country. Extensions are ignored on both sides, so
 * `+1 415-555-2671 x12` matches `+14155552671`. Only whole numbers match: `555-2671` or `0958` never
 * match a longer number that ends with them. Never throws for a bad stored value (it is just no match).
 * @param storedValue - The field's value, e.g. `(415) 555-2671`.
 * Cost: values whose digits cannot hold the caller's number, and values that are `+` and exactly the
 * caller's digits, are decided without parsing; anything else costs one to three parses.
 * @param e164 - The caller's number in E.164, as returned by {@link toE164} (other E.164 spellings of
 * the same number, such as `+4402079460958`, are canonicalised first).
 * @param defaultCountry - The org's country, for stored numbers without country code.
 * @param options - See {@link MatchOptions}.
 * @returns `true` when the field holds the caller's number.
 * @throws {@link PhoneNumberError} `INVALID` when `e164` is not an E.164 string of a known calling code,
 * `INVALID_COUNTRY` for an unsupported `defaultCountry`.
 * @example
 * ```ts
 * matchesNumber('(415) 555-2671', '+14155552671', 'US');       // true
 * matchesNumber('0044 20 7946 0958', '+442079460958', 'US');   // true
 * matchesNumber('020 7946 0958', '+442079460958', 'GB');       // true
 * matchesNumber('+1 415-555-2671 x12', '+14155552671', 'GB');  // true
 * matchesNumber('(212) 555-2671', '+14155552671', 'US');       // false
 * ```
 * @group Phone numbers
 */
export function matchesNumber(
  storedValue: string,
  e164: string,
  defaultCountry: string,
  options: MatchOptions = {},
): boolean {
  const caller = _caller(e164);
  const country = _country(defaultCountry);
  if (typeof storedValue !== 'string') return false;
  const fallback = options.callerCountryFallback !== false ? caller.country : undefined;
  // Plain national digits equal to the caller's national number, in an org that shares the caller's
  // calling code, are the caller: no parse needed (the common case of a lookup's verification).
  const national = _callingCode(country) === caller.callingCode ? caller.national : undefined;
  if (_matchValue(storedValue, caller.e164, country, fallback, national)) return true;
  if (!MULTIPLE.test(storedValue)) return false;
  for (const part of storedValue.split(MULTIPLE)) {
    if (_matchValue(part, caller.e164, country, fallback, national)) return true;
  }
  return false;
}

/**
 * Formats an E.164 number for people, in international format: for call subjects, notes and UI.
 * @param e164 - A number in E.164, as returned by {@link toE164}.
 * @returns E.g. `+1 415 555 2671`, `+44 20 7946 0958`.
 * @throws {@link PhoneNumberError} `INVALID` when `e164` is not an E.164 string of a known calling code.
 * @example
 * ```ts
 * formatForDisplay('+14155552671');  // '+1 415 555 2671'
 * formatForDisplay('+442079460958'); // '+44 20 7946 0958'
 * ```
 * @group Phone numbers
 */
export function formatForDisplay(e164: string): string {
  return _parseE164(e164).formatInternational();
}

/**
 * The ways libphonenumber writes a number, for building the strings a person may have stored.
 * @internal
 */
export interface NumberWritings {
  /** Calling code digits, e.g. `1`, `44`. */
  callingCode: string;
  /** National significant number, e.g. `4155552671`, `2079460958`. */
  nationalNumber: string;
  /** National format, e.g. `(415) 555-2671`, `020 7946 0958`. */
  national: string;
  /** International format, e.g. `+1 415 555 2671`, `+44 20 7946 0958`. */
  international: string;
}

/**
 * The national and international writing of an E.164 number.
 * @throws {@link PhoneNumberError} `INVALID` when `e164` is not an E.164 string of a known calling code.
 * @internal
 */
export function numberWritings(e164: string): NumberWritings {
  const phone = _parseE164(e164);
  return {
    callingCode: phone.countryCallingCode,
    nationalNumber: phone.nationalNumber,
    national: phone.formatNational(),
    international: phone.formatInternational(),
  };
}

// --- Internal helpers ---

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** A possible number and whether it is also valid. */
interface Parsed {
  phone: PhoneNumber;
  valid: boolean;
}

/** Both mean "no number to look up"; {@link toE164} tells them apart by identity. */
const EMPTY: AnonymousCaller = Object.freeze({ kind: 'anonymous' });
const WITHHELD: AnonymousCaller = Object.freeze({ kind: 'anonymous' });

/** Longer inputs are refused before any work: no caller ID or phone field is this long. */
const MAX_INPUT_LENGTH = 256;
const E164_SHAPE = /^\+[1-9]\d{1,14}$/;
const NON_DIGITS = /\D/g;
const NON_ASCII = /[\u0080-\uffff]/;
const URI_SCHEME = /(sips?|tel):/i;
const ANONYMOUS_HOST = /^anonymous\.invalid(?![\w.-])/i;
const LETTER = /\p{L}/u;
/** Extension marker and digits at the end of the string. */
const EXTENSION = /(?:[\s;]*(?:extension|extn|ext|x)[\s.:=]*|\s*#\s*)(\d{1,10})[#)\]]?\s*$/i;
/** Separators between several numbers in one field. */
const MULTIPLE = /\s*(?:[\n\r|;]|,\s|\s\/\s|\sor\s)\s*|\s+(?=\+)/i;
/** Anonymity keywords, as lower-case letters with everything else removed. */
const ANONYMOUS_WORDS = new Set([
  '',
  'anonymous',
  'anonymouscaller',
  'unknown',
  'unknowncaller',
  'unknownnumber',
  'private',
  'privatecaller',
  'privatenumber',
  'restricted',
  'restrictednumber',
  'unavailable',
  'numberunavailable',
  'notavailable',
  'withheld',
  'numberwithheld',
  'withheldnumber',
  'blocked',
  'blockednumber',
  'nocallerid',
  'callerid',
  'outofarea',
]);
/**
 * Formatting characters inside a number, as a lookup table over ASCII codes: plain, or `#`/`,`.
 * Indexing past 127 gives `undefined`, which is not `> 0`: other characters are not separators.
 */
const SEPARATOR = new Uint8Array(128);
const PLAIN = 1;
for (const ch of ' \t()-./[]') SEPARATOR[ch.charCodeAt(0)] = PLAIN;
SEPARATOR[35] = 2; // `#`: also an extension marker
SEPARATOR[44] = 2; // `,`: also a pause or a list
/** International prefixes tried from any country when the national reading is not valid. */
const IDD_GUESSES = ['00', '011'] as const;
/** ITU E.161 keypad letters A–Z. */
const KEYPAD = '22233344455566677778889999';
/** Code points of the digit zero in the decimal scripts we fold to ASCII (full-width forms aside). */
const DIGIT_ZEROS = [0x0660, 0x06f0, 0x0966, 0x09e6];

function _classify(raw: unknown, country: CountryCode, maxExtension: number): PhoneClassification {
  if (raw === null || raw === undefined) return EMPTY;
  if (typeof raw !== 'string') {
    if (typeof raw !== 'number' && typeof raw !== 'bigint') {
      throw new PhoneNumberError('NOT_A_NUMBER', 'Phone number must be a string', country);
    }
    raw = String(raw);
  }
  const input = raw as string;
  if (input.length > MAX_INPUT_LENGTH) {
    throw new PhoneNumberError(
      'TOO_LONG',
      `Phone number is longer than ${MAX_INPUT_LENGTH} characters`,
      country,
    );
  }
  let s = (NON_ASCII.test(input) ? _fold(input) : input).trim();
  if (s === '') return EMPTY;

  let extension: string | undefined;
  let context: string | undefined;
  const uri = URI_SCHEME.exec(s);
  if (uri) {
    let body = s.slice(uri.index + uri[0].length);
    const close = body.indexOf('>');
    if (close !== -1) body = body.slice(0, close);
    if (uri[1]!.toLowerCase() !== 'tel') {
      const at = body.indexOf('@');
      if (at !== -1) {
        if (ANONYMOUS_HOST.test(body.slice(at + 1))) return WITHHELD;
        body = body.slice(0, at);
      }
      const password = body.indexOf(':');
      if (password !== -1) body = body.slice(0, password);
    }
    if (body.includes('%')) body = body.replace(/%([0-9a-f]{2})/gi, _percent);
    const semicolon = body.indexOf(';');
    if (semicolon !== -1) {
      for (const param of body.slice(semicolon + 1).split(';')) {
        const eq = param.indexOf('=');
        const name = (eq === -1 ? param : param.slice(0, eq)).trim().toLowerCase();
        if (name === 'ext') extension = param.slice(eq + 1).replace(NON_DIGITS, '') || undefined;
        else if (name === 'phone-context') context = param.slice(eq + 1).trim();
      }
      body = body.slice(0, semicolon);
    }
    s = body.trim();
  }

  if (!/\d/.test(s)) {
    const words = s.toLowerCase().replace(/[^a-z]/g, '');
    if (ANONYMOUS_WORDS.has(words) || words.includes('anonymous')) return WITHHELD;
    throw new PhoneNumberError('NOT_A_NUMBER', 'Phone number has no digits', country);
  }
  if (extension === undefined) {
    const ext = EXTENSION.exec(s);
    if (ext) {
      extension = ext[1];
      s = s.slice(0, ext.index);
    }
  }
  if (context?.startsWith('+') && !s.trimStart().startsWith('+')) s = context + s;

  // One pass over the rest: digits before any letter, the keypad reading of everything, the `+`.
  let digits = '';
  let vanity = '';
  let vanityOk = true;
  let plus = false;
  let started = false;
  let letters = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (!letters) digits += s[i];
      vanity += s[i];
      started = true;
    } else if (c === 43 && !started) {
      plus = true;
      started = true;
    } else if (!started || SEPARATOR[c]! > 0) {
      // A leading label (`Tel:`, `Mobile`, `(`) or formatting.
    } else if ((c | 32) >= 97 && (c | 32) <= 122) {
      letters = true;
      vanity += KEYPAD[(c | 32) - 97];
    } else if (letters) {
      vanityOk = false; // punctuation inside a trailing label: no vanity reading
    } else if (c > 127 && LETTER.test(s[i]!)) {
      letters = true;
      vanityOk = false;
    } else {
      throw new PhoneNumberError(
        'NOT_A_NUMBER',
        _describe(input, 'contains characters that are not part of a phone number'),
        country,
      );
    }
  }

  if (!plus && !letters && digits.length <= maxExtension) {
    if (digits !== '') return { kind: 'extension', extension: digits };
    // No digits left means they all went to the extension (`x201`): an extension written with a marker.
    if (extension!.length <= maxExtension) return { kind: 'extension', extension: extension! };
  }
  let parsed = _resolve(digits, plus, country);
  if (typeof parsed === 'string' && letters && vanityOk) {
    const keypad = _resolve(vanity, plus, country);
    if (typeof keypad !== 'string') parsed = keypad;
  }
  if (typeof parsed === 'string') throw new PhoneNumberError(parsed, _problemMessage(parsed, input), country);

  const { phone, valid } = parsed;
  const result: Writable<PublicNumber> = {
    kind: 'e164',
    e164: phone.number,
    callingCode: phone.countryCallingCode,
    nationalNumber: phone.nationalNumber,
    valid,
  };
  if (phone.country !== undefined) result.country = phone.country;
  if (extension !== undefined) result.extension = extension;
  return result;
}

/**
 * Reads a digit string. With `+` there is one reading. Without, the national reading (which also
 * handles `defaultCountry`'s own international prefix) wins when valid; otherwise `00…` and `011…` as
 * international prefixes, then the digits as E.164 without `+` (only if valid), then the first possible
 * reading. Returns the problem of the national reading when nothing is possible.
 */
function _resolve(digits: string, plus: boolean, country: CountryCode): Parsed | PhoneNumberProblem {
  if (plus) return _parse(`+${digits}`, country);
  const national = _parse(digits, country);
  if (typeof national !== 'string' && national.valid) return national;
  let fallback = typeof national === 'string' ? undefined : national;
  for (const prefix of IDD_GUESSES) {
    if (!digits.startsWith(prefix)) continue;
    const international = _parse(`+${digits.slice(prefix.length)}`, country);
    if (typeof international === 'string') continue;
    if (international.valid) return international;
    fallback ??= international;
  }
  if (digits[0] !== '0') {
    const bare = _parse(`+${digits}`, country);
    if (typeof bare !== 'string' && bare.valid) return bare;
  }
  return fallback ?? national;
}

/** One libphonenumber parse: a possible number, or why not. */
function _parse(text: string, country: CountryCode): Parsed | PhoneNumberProblem {
  const phone = parsePhoneNumberFromString(text, country);
  if (phone?.isPossible()) {
    // Some metadata allows domestic-only numbers past E.164's 15 digits (JP up to 17): not callable from abroad.
    if (phone.number.length > 16) return 'TOO_LONG';
    const valid = phone.isValid();
    // An invalid reading may not survive being read again as E.164: `+49 (0)0…` loses another trunk 0,
    // Canada's 7-digit `3xxxxxx` is too short as `+1…`. A result that changes when re-read would split
    // cache keys and comparisons, so it is refused. Valid numbers always read back to themselves.
    if (!valid && !_readsBack(phone.number)) return 'INVALID';
    // `+` and exactly the E.164 digits: parsing the E.164 alone is this very computation (the default
    // country only tells national from international input), so the lookup's next steps reuse it.
    if (phone.number === text) lastParsed = { input: text, phone };
    return { phone, valid };
  }
  switch (validatePhoneNumberLength(text, country)) {
    case 'TOO_SHORT':
      return 'TOO_SHORT';
    case 'TOO_LONG':
      return 'TOO_LONG';
    case 'INVALID_COUNTRY':
      return 'INVALID_COUNTRY';
    case 'NOT_A_NUMBER':
      return 'NOT_A_NUMBER';
    default:
      return 'INVALID'; // INVALID_LENGTH: a length between two allowed lengths
  }
}

/** Whether an E.164 string reads back as the same possible number. */
function _readsBack(e164: string): boolean {
  const again = parsePhoneNumberFromString(e164);
  return again !== undefined && again.number === e164 && again.isPossible();
}

function _problemMessage(problem: PhoneNumberProblem, input: string): string {
  switch (problem) {
    case 'TOO_SHORT':
      return _describe(input, 'is too short');
    case 'TOO_LONG':
      return _describe(input, 'is too long');
    case 'INVALID_COUNTRY':
      return _describe(input, 'has an unknown country calling code');
    case 'NOT_A_NUMBER':
      return _describe(input, 'is not a phone number');
    default:
      return _describe(input, 'has a length or form no number of its country has');
  }
}

/** `Phone number +4*******58 is too short`: never the whole number (PII). */
function _describe(input: string, problem: string): string {
  const masked = maskPhone(input);
  return masked ? `Phone number ${masked} ${problem}` : `Phone number ${problem}`;
}

function _country(code: string): CountryCode {
  if (typeof code === 'string' && code.length === 2) {
    if (isKnownCountry(code)) return code;
    const upper = code.toUpperCase();
    if (isKnownCountry(upper)) return upper;
  }
  throw new PhoneNumberError(
    'INVALID_COUNTRY',
    'Default country is not a supported ISO 3166-1 alpha-2 code',
    typeof code === 'string' ? code.slice(0, 8) : undefined,
  );
}

function _maxExtension(options: ClassifyOptions | undefined): number {
  const max = options?.maxExtensionLength ?? DEFAULT_MAX_EXTENSION_LENGTH;
  if (!Number.isInteger(max) || max < 0 || max > 15) {
    throw new RangeError('The `maxExtensionLength` option must be an integer from 0 to 15');
  }
  return max;
}

/**
 * One-entry memo: a lookup asks for the same caller's terms and matches several times in a row, right
 * after classifying it (which seeds the memo when its input was the E.164 itself).
 */
let lastParsed: { input: string; phone: PhoneNumber } | undefined;

function _parseE164(e164: string): PhoneNumber {
  // Only a string can hit the memo (`undefined` would match an empty one).
  if (typeof e164 === 'string' && lastParsed?.input === e164) return lastParsed.phone;
  const phone =
    typeof e164 === 'string' && E164_SHAPE.test(e164) ? parsePhoneNumberFromString(e164) : undefined;
  if (!phone) throw _notE164();
  lastParsed = { input: e164, phone };
  return phone;
}

/** Calling code of each default country met, e.g. `US` → `1`: libphonenumber builds metadata objects per call. */
const callingCodes = new Map<CountryCode, string>();

function _callingCode(country: CountryCode): string {
  let code = callingCodes.get(country);
  if (code === undefined) {
    code = getCountryCallingCode(country);
    callingCodes.set(country, code);
  }
  return code;
}

function _notE164(): PhoneNumberError {
  return new PhoneNumberError('INVALID', 'Expected a number in E.164 format, e.g. +14155552671');
}

/** The caller's canonical E.164 and country, from a one-entry memo: one caller meets many fields. */
interface Caller {
  readonly input: string;
  readonly e164: string;
  readonly country: CountryCode | undefined;
  /** National significant number and calling code, for the no-parse national fast path. */
  readonly national: string;
  readonly callingCode: string;
}
let lastCaller: Caller | undefined;

function _caller(e164: string): Caller {
  if (typeof e164 === 'string' && lastCaller?.input === e164) return lastCaller;
  const phone = _parseE164(e164);
  lastCaller = {
    input: e164,
    e164: phone.number,
    country: phone.country,
    national: phone.nationalNumber,
    callingCode: phone.countryCallingCode,
  };
  return lastCaller;
}

/**
 * One stored value against the caller: a prescreen on its digits, then `defaultCountry`, then (only for
 * values without `+`, where the country matters) the caller's own country.
 */
function _matchValue(
  value: string,
  e164: string,
  country: CountryCode,
  fallback: CountryCode | undefined,
  national: string | undefined,
): boolean {
  const screen = _screen(value, e164, national);
  if (screen !== MAYBE && screen !== MAYBE_NATIONAL) return screen === SAME;
  const stored = _tryClassify(value, country);
  if (stored?.kind === 'e164' && stored.e164 === e164) return true;
  if (screen === MAYBE || fallback === undefined || fallback === country) return false;
  const abroad = _tryClassify(value, fallback);
  return abroad?.kind === 'e164' && abroad.valid && abroad.e164 === e164;
}

function _tryClassify(value: string, country: CountryCode): PhoneClassification | undefined {
  try {
    return _classify(value, country, DEFAULT_MAX_EXTENSION_LENGTH);
  } catch {
    return undefined; // a stored value that is not a number is simply no match
  }
}

/** {@link _screen} outcomes. */
const NO = 0;
const SAME = 1;
/** May hold the number; written with `+`, so the org's country does not matter. */
const MAYBE = 2;
/** May hold the number; may be national, so both countries are worth a reading. */
const MAYBE_NATIONAL = 3;

/**
 * Decides what it can without parsing. For plain ASCII values (digits, `+`, formatting, no letters):
 * the caller's last four digits must appear among the stored digits, since trunk prefixes, national
 * transformations and extensions never change a number's tail (`NO` otherwise); a `+` followed by exactly
 * the caller's digits and plain formatting is the caller (`SAME`), and so are plain digits equal to the
 * caller's national significant number when `national` is given (the org's country shares the caller's
 * calling code). Letters, URIs and other scripts go to the full parse.
 */
function _screen(value: string, e164: string, national: string | undefined): number {
  let digits = '';
  let plus = false;
  let plain = true;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) digits += value[i];
    else if (c > 127 || ((c | 32) >= 97 && (c | 32) <= 122)) return MAYBE_NATIONAL;
    else if (c === 43 && digits === '' && !plus) plus = true;
    else if (SEPARATOR[c] !== PLAIN) plain = false;
  }
  if (!digits.includes(e164.slice(-4))) return NO;
  if (!plus) return plain && national !== undefined && digits === national ? SAME : MAYBE_NATIONAL;
  return plain && digits.length === e164.length - 1 && e164.endsWith(digits) ? SAME : MAYBE;
}

/** Folds full-width forms and other scripts' digits to ASCII, Unicode spaces and dashes to a space, and drops invisible marks. */
function _fold(input: string): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c < 128) {
      out += input[i];
      continue;
    }
    const zero = DIGIT_ZEROS.find((z) => c >= z && c <= z + 9);
    if (zero !== undefined) out += String.fromCharCode(48 + c - zero);
    else if (c >= 0xff01 && c <= 0xff5e)
      out += String.fromCharCode(c - 0xfee0); // full-width ASCII
    else if (c === 0x00ad || (c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) || c === 0xfeff) {
      // soft hyphen, zero-width and direction marks: gone
    } else if (c === 0x00a0 || (c >= 0x2000 && c <= 0x2015) || c === 0x202f || c === 0x2212 || c === 0x3000) {
      out += ' '; // Unicode spaces, hyphens and dashes, minus sign
    } else out += input[i];
  }
  return out;
}

function _percent(_match: string, hex: string): string {
  return String.fromCharCode(Number.parseInt(hex, 16));
}
