import { describe, expect, it } from 'vitest';
import { PhoneNumberError, type PhoneNumberProblem } from '../../src/errors.js';
import {
  classifyNumber,
  DEFAULT_MAX_EXTENSION_LENGTH,
  formatForDisplay,
  isSupportedCountry,
  leadingSearchTerms,
  matchesNumber,
  numberWritings,
  type PhoneClassification,
  phoneSearchTerms,
  toE164,
} from '../../src/phone/normalize.js';
import { MATCH_CASES, PHONE_CASES } from './fixtures.js';

/** Runs `fn` and returns the PhoneNumberError it throws (failing the test if it throws anything else). */
function phoneError(fn: () => unknown): PhoneNumberError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PhoneNumberError);
    return err as PhoneNumberError;
  }
  throw new Error('expected a PhoneNumberError');
}

/** The fixture notation for a classification. */
function notation(result: PhoneClassification): string {
  if (result.kind === 'e164')
    return result.extension ? `${result.e164};ext=${result.extension}` : result.e164;
  if (result.kind === 'extension') return `extension:${result.extension}`;
  return 'anonymous';
}

describe('toE164', () => {
  it('README example', () => {
    expect(toE164('(415) 555-2671', 'US')).toBe('+14155552671');
    expect(toE164('020 7946 0958', 'GB')).toBe('+442079460958');
    expect(toE164('tel:+1-415-555-2671;ext=7', 'DE')).toBe('+14155552671');
  });

  it.each(PHONE_CASES)('%j with default country %s → %s', (input, country, expected) => {
    if (expected.startsWith('+')) {
      expect(toE164(input, country)).toBe(expected.split(';')[0]);
      return;
    }
    const err = phoneError(() => toE164(input, country));
    const problem: PhoneNumberProblem = expected.startsWith('error:')
      ? (expected.slice(6) as PhoneNumberProblem)
      : expected.startsWith('extension:')
        ? 'TOO_SHORT'
        : input.trim() === ''
          ? 'EMPTY'
          : 'NOT_A_NUMBER';
    expect(err.problem).toBe(problem);
    expect(err.code).toBe('PHONE_INVALID');
    expect(err.defaultCountry).toBe(country);
  });

  it('covers at least 60 inputs and 10 countries', () => {
    expect(PHONE_CASES.length).toBeGreaterThanOrEqual(60);
    const countries = new Set(
      PHONE_CASES.filter(([, , e]) => e.startsWith('+')).map(([, , e]) =>
        toE164(e.split(';')[0]!, 'US').slice(0, 3),
      ),
    );
    expect(countries.size).toBeGreaterThanOrEqual(10);
  });

  it('tells empty, anonymous and extension apart', () => {
    expect(phoneError(() => toE164('', 'US')).problem).toBe('EMPTY');
    expect(phoneError(() => toE164(null as unknown as string, 'US')).problem).toBe('EMPTY');
    expect(phoneError(() => toE164('\u200b', 'US')).problem).toBe('EMPTY');
    const anonymous = phoneError(() => toE164('Anonymous', 'US'));
    expect(anonymous.problem).toBe('NOT_A_NUMBER');
    expect(anonymous.message).toMatch(/anonymous or withheld/);
    const extension = phoneError(() => toE164('2001', 'US'));
    expect(extension.problem).toBe('TOO_SHORT');
    expect(extension.message).toBe('Phone number **** is an internal extension, not a public number');
  });

  it('honours maxExtensionLength', () => {
    // Saint Helena numbers have 4–5 digits.
    expect(toE164('22158', 'SH', { maxExtensionLength: 3 })).toBe('+29022158');
    expect(phoneError(() => toE164('22158', 'SH')).problem).toBe('TOO_SHORT');
  });
});

describe('classifyNumber', () => {
  it.each(PHONE_CASES)('%j with default country %s → %s', (input, country, expected) => {
    if (expected.startsWith('error:')) {
      expect(phoneError(() => classifyNumber(input, country)).problem).toBe(expected.slice(6));
    } else {
      expect(notation(classifyNumber(input, country))).toBe(expected);
    }
  });

  it('returns the whole public number', () => {
    expect(classifyNumber('+1 (415) 555-2671 x12', 'US')).toStrictEqual({
      kind: 'e164',
      e164: '+14155552671',
      callingCode: '1',
      country: 'US',
      nationalNumber: '4155552671',
      extension: '12',
      valid: true,
    });
    expect(classifyNumber('020 7946 0958', 'gb')).toStrictEqual({
      kind: 'e164',
      e164: '+442079460958',
      callingCode: '44',
      country: 'GB',
      nationalNumber: '2079460958',
      valid: true,
    });
  });

  it('accepts possible numbers that are not valid, and says so', () => {
    // +1 555 is not an area code and 07700 900xxx is Ofcom's drama range: possible, never allocated.
    expect(classifyNumber('+1 555 123 4567', 'US')).toStrictEqual({
      kind: 'e164',
      e164: '+15551234567',
      callingCode: '1',
      nationalNumber: '5551234567',
      valid: false,
    });
    expect(classifyNumber('+44 7700 900123', 'US')).toMatchObject({ e164: '+447700900123', valid: false });
    expect(classifyNumber('0044 7700 900123', 'US')).toMatchObject({ e164: '+447700900123', valid: false });
    expect(classifyNumber('0044 7700 900123', 'DE')).toMatchObject({ e164: '+447700900123', valid: false });
    expect(classifyNumber('+800 1234 5678', 'US')).toMatchObject({ callingCode: '800', valid: true });
    expect(classifyNumber('+800 1234 5678', 'US')).not.toHaveProperty('country');
  });

  it('prefers a valid national reading over the digits as E.164 without +', () => {
    // 4930901820 is also +49 30 901820 without the +; the national reading is valid in DE and wins.
    expect(classifyNumber('4930901820', 'DE')).toMatchObject({ e164: '+4930901820' });
    expect(classifyNumber('2079460958', 'US')).toMatchObject({ e164: '+12079460958', valid: true });
    // An international prefix whose reading has an unknown calling code is skipped.
    expect(phoneError(() => classifyNumber('00 999 1234 5678', 'US')).problem).toBe('TOO_LONG');
    expect(phoneError(() => classifyNumber('011 999 1234 5678', 'GB')).problem).toBe('TOO_LONG');
    // 011 is the US's own international prefix, so libphonenumber already reads it so.
    expect(phoneError(() => classifyNumber('011 999 1234 5678', 'US')).problem).toBe('INVALID_COUNTRY');
  });

  describe('extensions', () => {
    it.each([
      ['1', 'US', '1'],
      ['2001', 'US', '2001'],
      ['12 34 56', 'US', '123456'],
      ['x 7', 'GB', '7'],
      ['Ext: 301', 'US', '301'],
      ['#44', 'US', '44'],
      ['tel:2001', 'US', '2001'],
      ['"Reception" <sip:200@pbx.example.com>', 'US', '200'],
      ['sip:2001;user=phone', 'US', '2001'],
      ['201 x5', 'US', '201'],
    ])('%j is extension %s', (input, country, extension) => {
      expect(classifyNumber(input, country)).toStrictEqual({ kind: 'extension', extension });
    });

    it('uses DEFAULT_MAX_EXTENSION_LENGTH digits unless told otherwise', () => {
      expect(DEFAULT_MAX_EXTENSION_LENGTH).toBe(6);
      expect(classifyNumber('1234567', 'SE')).toMatchObject({ kind: 'e164', e164: '+461234567' });
      expect(classifyNumber('12345', 'US', { maxExtensionLength: 5 }).kind).toBe('extension');
      expect(phoneError(() => classifyNumber('12345', 'US', { maxExtensionLength: 4 })).problem).toBe(
        'TOO_SHORT',
      );
      expect(phoneError(() => classifyNumber('1', 'US', { maxExtensionLength: 0 })).problem).toBe(
        'TOO_SHORT',
      );
      expect(phoneError(() => classifyNumber('x1234567', 'US')).problem).toBe('NOT_A_NUMBER');
    });

    it.each([-1, 16, 2.5, Number.NaN, '6' as unknown as number])('rejects maxExtensionLength %j', (max) => {
      expect(() => classifyNumber('201', 'US', { maxExtensionLength: max })).toThrow(
        new RangeError('The `maxExtensionLength` option must be an integer from 0 to 15'),
      );
    });
  });

  describe('anonymous callers', () => {
    it.each([
      'Anonymous',
      'ANONYMOUS CALLER',
      'unknown caller',
      'Private Number',
      'private caller',
      'restricted number',
      'Number unavailable',
      'not available',
      'withheld number',
      'blocked',
      'No Caller ID',
      'Out of area',
      'anonymous@anonymous.invalid',
      '"" <sip:anonymous@anonymous.invalid>',
      'sip:unknown@192.0.2.1',
      'sip:@pbx.example.com',
      '<sip:private@pbx.example.com>',
      'sips:anonymous@anonymous.invalid;transport=tls',
      'tel:;ext=',
      '\t',
      '()',
      '\u00a0\u2003',
      '+',
    ])('%j', (input) => {
      expect(classifyNumber(input, 'US')).toStrictEqual({ kind: 'anonymous' });
    });

    it('treats null and undefined as no caller ID', () => {
      expect(classifyNumber(undefined as unknown as string, 'US')).toStrictEqual({ kind: 'anonymous' });
      expect(classifyNumber(null as unknown as string, 'US')).toStrictEqual({ kind: 'anonymous' });
    });
  });

  describe('URIs', () => {
    it.each([
      ['sip:+14155552671@pbx.example.com;user=phone', '+14155552671'],
      ['SIP:+14155552671@PBX.EXAMPLE.COM', '+14155552671'],
      ['sip:0014155552671@pbx.example.com', '+14155552671'],
      ['sip:+1%20415%20555%202671@pbx.example.com', '+14155552671'],
      ['<sip:+14155552671;ext=12@pbx.example.com>', '+14155552671;ext=12'],
      ['Ada <sips:+14155552671@pbx.example.com>', '+14155552671'],
      ['tel:+1.415.555.2671;isub=1;ext=99', '+14155552671;ext=99'],
      ['tel:+1-415-555-2671;ext;ext=99', '+14155552671;ext=99'],
      ['tel:+14155552671;phone-context=+44', '+14155552671'],
      ['tel:(415)555-2671;phone-context=example.com', '+14155552671'],
      ['tel:2671;ext=12;phone-context=+1-415-555', '+14155552671;ext=12'],
      ['sip:4155552671@anonymous.invalidx.example.com', '+14155552671'],
    ])('%j → %s', (input, expected) => {
      expect(notation(classifyNumber(input, 'US'))).toBe(expected);
    });
  });

  describe('characters and labels', () => {
    it.each([
      ['\u200e+44 20 7946 0958\u200f', 'US', '+442079460958'],
      ['\ufeff020\u00ad7946\u00ad0958', 'GB', '+442079460958'],
      ['+1\u00a0415\u2011555\u20112671', 'US', '+14155552671'],
      ['+1 415\u2212555\u22122671', 'US', '+14155552671'],
      ['０３（１２３４）５６７８', 'JP', '+81312345678'],
      ['＋８１ ３ １２３４ ５６７８', 'US', '+81312345678'],
      ['০১৭১২-৩৪৫৬৭৮', 'BD', '+8801712345678'],
      ['\u202a+971 50 123 4567\u202c', 'US', '+971501234567'],
      ['+44 20 7946 0958 (office)', 'US', '+442079460958'],
      ["+44 20 7946 0958 - Tom's desk", 'US', '+442079460958'],
      ['+971 50 123 4567 موبايل', 'US', '+971501234567'],
      ['+971 50 123 4567 m\u00f3vil', 'US', '+971501234567'],
      ['Téléphone : 01 99 00 12 34', 'FR', '+33199001234'],
      ['Hotel: 01 99 00 12 34', 'FR', '+33199001234'],
      ['[+44] 20 7946 0958', 'US', '+442079460958'],
      ['1 800 FLOWERS', 'US', '+18003569377'],
      ['1-800-flowers x5', 'US', '+18003569377;ext=5'],
      ['(415) 555-2671 ext. 12)', 'US', '+14155552671;ext=12'],
    ])('%j with %s → %s', (input, country, expected) => {
      expect(notation(classifyNumber(input, country))).toBe(expected);
    });

    it('accepts numbers and bigints from loosely typed hosts', () => {
      expect(notation(classifyNumber(4155552671 as unknown as string, 'US'))).toBe('+14155552671');
      expect(notation(classifyNumber(14155552671n as unknown as string, 'GB'))).toBe('+14155552671');
    });

    it.each([
      ['+1 800 FLOWERS!', 'TOO_SHORT'], // punctuation in the letters: no keypad reading
      ['1-800-CALL-ÉMILE', 'TOO_SHORT'], // letters outside A–Z: no keypad reading
      ['+44 20 7946 0958 ☎', 'NOT_A_NUMBER'],
      ['+٠', 'TOO_SHORT'],
      ['+٩٩٩ ١٢٣٤ ٥٦٧٨', 'INVALID_COUNTRY'],
    ])('%j → %s', (input, problem) => {
      expect(phoneError(() => classifyNumber(input, 'US')).problem).toBe(problem);
    });

    it('rejects values that are not strings or are absurdly long', () => {
      expect(phoneError(() => classifyNumber({} as unknown as string, 'US')).message).toBe(
        'Phone number must be a string',
      );
      const long = phoneError(() => classifyNumber('1'.repeat(257), 'US'));
      expect(long.problem).toBe('TOO_LONG');
      expect(long.message).toBe('Phone number is longer than 256 characters');
      expect(notation(classifyNumber(`${' '.repeat(241)}+14155552671`, 'US'))).toBe('+14155552671');
    });
  });

  describe('errors', () => {
    it('never put the whole number in the message', () => {
      for (const input of [
        '+1 415 555 26711 1',
        '+44 1234 5678',
        '+999 1234 5678',
        '415*555*2671',
        '555-0123',
      ]) {
        const err = phoneError(() => classifyNumber(input, 'US'));
        const digits = input.replace(/\D/g, '');
        expect(err.message.replace(/\D/g, '')).not.toContain(digits.slice(1, -2));
        expect(err.message).toMatch(/^Phone number [+\d*]+ /);
      }
      expect(phoneError(() => classifyNumber('+44 1234 5678', 'US')).message).toBe(
        'Phone number +4*******78 has a length or form no number of its country has',
      );
      expect(phoneError(() => classifyNumber('+ ext 12', 'US')).message).toBe(
        'Phone number ** is not a phone number',
      );
      expect(phoneError(() => classifyNumber('+٠', 'US')).message).toBe('Phone number is too short');
      expect(phoneError(() => classifyNumber('ask reception', 'US')).message).toBe(
        'Phone number has no digits',
      );
      expect(phoneError(() => classifyNumber('555-0123', 'US')).message).toBe(
        'Phone number 5****23 is too short',
      );
      expect(phoneError(() => classifyNumber('+999 1234 5678', 'US')).message).toBe(
        'Phone number +9********78 has an unknown country calling code',
      );
      expect(phoneError(() => classifyNumber('12345678901234567890', 'US')).message).toBe(
        'Phone number 1*****************90 is too long',
      );
      expect(phoneError(() => classifyNumber('415*555*2671', 'US')).message).toBe(
        'Phone number 4*******71 contains characters that are not part of a phone number',
      );
    });

    it.each([
      ['XX', 'XX'],
      ['UK', 'UK'],
      ['usa', 'usa'],
      ['', ''],
      ['__proto__', '__proto_'],
      [42 as unknown as string, undefined],
    ])('rejects default country %j', (country, reported) => {
      const err = phoneError(() => classifyNumber('+14155552671', country));
      expect(err.problem).toBe('INVALID_COUNTRY');
      expect(err.message).toBe('Default country is not a supported ISO 3166-1 alpha-2 code');
      expect(err.defaultCountry).toBe(reported);
      expect(phoneError(() => toE164('+14155552671', country)).problem).toBe('INVALID_COUNTRY');
    });
  });

  it('classifies random strings or throws PhoneNumberError, and is idempotent on what it accepts', () => {
    // A seeded generator (mulberry32), so a failure is reproducible.
    let seed = 0x5eed;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pieces = [
      ...'0123456789',
      ...'0123456789',
      ...' +-.()[]/#,;:@<>"%=*x',
      'ext',
      'sip:',
      'sips:',
      'tel:',
      ';ext=',
      ';phone-context=',
      '@anonymous.invalid',
      'anonymous',
      '00',
      '011',
      '+1',
      '+44',
      '%2B',
      '٣',
      '０',
      '\u200e',
      'é',
      '☎',
      '\ud83d',
      'FLOWERS',
      ' or ',
      '\n',
    ];
    const countries = ['US', 'GB', 'DE', 'FR', 'IN', 'JP', 'AU', 'SA', 'BR', 'AE', 'RU', 'IT'];
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    // Half random strings, half fixture inputs with a few characters inserted, replaced or removed.
    const inputs: Array<[string, string]> = [];
    for (let i = 0; i < 3000; i++) {
      const length = Math.floor(random() * 24);
      let input = '';
      for (let j = 0; j < length; j++) input += pick(pieces);
      inputs.push([input, countries[i % countries.length]!]);
    }
    for (let i = 0; i < 3000; i++) {
      const [base, country] = pick(PHONE_CASES);
      let input = base;
      for (let edits = 1 + Math.floor(random() * 3); edits > 0; edits--) {
        const at = Math.floor(random() * (input.length + 1));
        const op = random();
        const piece = op < 0.7 ? pick(pieces) : '';
        input = input.slice(0, at) + piece + input.slice(op < 0.35 || op >= 0.7 ? at + 1 : at);
      }
      inputs.push([input, country]);
    }
    let accepted = 0;
    for (const [input, country] of inputs) {
      let result: PhoneClassification;
      try {
        result = classifyNumber(input, country);
      } catch (err) {
        if (!(err instanceof PhoneNumberError))
          throw new Error(`${JSON.stringify(input)} threw ${String(err)}`);
        continue;
      }
      if (result.kind === 'e164') {
        accepted++;
        expect(result.e164, JSON.stringify(input)).toMatch(/^\+[1-9]\d{1,14}$/);
        expect(toE164(result.e164, country)).toBe(result.e164);
        expect(matchesNumber(input, result.e164, country), JSON.stringify(input)).toBe(true);
      } else if (result.kind === 'extension') {
        expect(result.extension).toMatch(/^\d{1,6}$/);
      }
    }
    expect(accepted).toBeGreaterThan(500);
  });
});

describe('matchesNumber', () => {
  it('README example', () => {
    expect(matchesNumber('(415) 555-2671', '+14155552671', 'US')).toBe(true);
    expect(matchesNumber('0044 20 7946 0958', '+442079460958', 'US')).toBe(true);
    expect(matchesNumber('020 7946 0958', '+442079460958', 'GB')).toBe(true);
    expect(matchesNumber('+1 415-555-2671 x12', '+14155552671', 'GB')).toBe(true);
    expect(matchesNumber('(212) 555-2671', '+14155552671', 'US')).toBe(false);
  });

  it.each(MATCH_CASES)('stored %j, caller %s, org in %s → %s', (stored, e164, country, expected) => {
    expect(matchesNumber(stored, e164, country)).toBe(expected);
  });

  it('matches every fixture input that classifies as a public number', () => {
    for (const [input, country, expected] of PHONE_CASES) {
      if (expected.startsWith('+')) expect(matchesNumber(input, expected.split(';')[0]!, country)).toBe(true);
    }
  });

  it('reads a national number in the caller country only when allowed and valid there', () => {
    expect(matchesNumber('020 7946 0958', '+442079460958', 'US', { callerCountryFallback: false })).toBe(
      false,
    );
    expect(matchesNumber('(415) 555-2671', '+14155552671', 'GB', { callerCountryFallback: false })).toBe(
      false,
    );
    expect(matchesNumber('(415) 555-2671', '+14155552671', 'GB', { callerCountryFallback: true })).toBe(true);
    // +81 3000 0000 is a possible but unallocated Japanese number: not trusted from a national reading.
    expect(matchesNumber('3000 0000', '+8130000000', 'US')).toBe(false);
    expect(matchesNumber('+81 3000 0000', '+8130000000', 'US')).toBe(true);
    // Callers without a country (non-geographic, or not valid on a shared code) get no second reading.
    expect(matchesNumber('1234 5678', '+80012345678', 'US')).toBe(false);
    expect(matchesNumber('555 123 4567', '+15551234567', 'GB')).toBe(false);
    expect(matchesNumber('+1 555 123 4567', '+15551234567', 'GB')).toBe(true);
    // An extension in the caller's country is still not the caller.
    expect(matchesNumber('2671', '+442079462671', 'US')).toBe(false);
  });

  it('decides plain values written with + without parsing, and is not fooled by extensions', () => {
    expect(matchesNumber('+1 415 555 2671', '+14155552671', 'US')).toBe(true);
    expect(matchesNumber('(+1) 415-555-2671', '+14155552671', 'JP')).toBe(true);
    expect(matchesNumber('+1 (415) 555-2671#12', '+14155552671', 'US')).toBe(true);
    // Same digits, but `#1` is an extension of a shorter number.
    expect(matchesNumber('+1 415 555 267#1', '+14155552671', 'US')).toBe(false);
    expect(matchesNumber('+1 415 555 2671 2671', '+14155552671', 'US')).toBe(false);
    expect(matchesNumber('+1 415 555 26710', '+14155552671', 'US')).toBe(false);
    expect(matchesNumber('++1 415 555 2671', '+14155552671', 'US')).toBe(false); // as classifyNumber: not a number
  });

  it('compares with the canonical form of the caller number', () => {
    expect(matchesNumber('020 7946 0958', '+4402079460958', 'GB')).toBe(true);
    expect(matchesNumber('+44 20 7946 0958', '+4402079460958', 'GB')).toBe(true);
    // Alternating callers (the one-entry memo must follow).
    expect(matchesNumber('(415) 555-2671', '+14155552671', 'US')).toBe(true);
    expect(matchesNumber('(415) 555-2671', '+442079460958', 'US')).toBe(false);
    expect(matchesNumber('(415) 555-2671', '+14155552671', 'US')).toBe(true);
  });

  it('never throws for a bad stored value', () => {
    for (const stored of [
      null,
      undefined,
      42,
      {},
      'x'.repeat(300),
      '+999 2671',
      'sip:alice@example.com',
      '\ud83d2671',
    ]) {
      expect(matchesNumber(stored as string, '+14155552671', 'US')).toBe(false);
    }
  });

  it('throws for a caller number that is not E.164 or an unsupported org country', () => {
    for (const e164 of [
      '4155552671',
      '+1 415 555 2671',
      '+0123456',
      '+999123456',
      '',
      undefined as unknown as string,
    ]) {
      const err = phoneError(() => matchesNumber('(415) 555-2671', e164, 'US'));
      expect(err.problem).toBe('INVALID');
      expect(err.message).toBe('Expected a number in E.164 format, e.g. +14155552671');
    }
    expect(phoneError(() => matchesNumber('(415) 555-2671', '+14155552671', 'ZZ')).problem).toBe(
      'INVALID_COUNTRY',
    );
  });
});

describe('phoneSearchTerms', () => {
  it('README example', () => {
    expect(phoneSearchTerms('+14155552671')).toEqual(['4155552671', '14155552671', '+14155552671']);
    expect(phoneSearchTerms('+442079460958')).toEqual([
      '2079460958',
      '442079460958',
      '02079460958',
      '+442079460958',
    ]);
  });

  it.each([
    ['+16135550123', ['6135550123', '16135550123', '+16135550123']],
    ['+4930901820', ['30901820', '4930901820', '030901820', '+4930901820']],
    ['+33199001234', ['199001234', '33199001234', '0199001234', '+33199001234']],
    ['+918123456789', ['8123456789', '918123456789', '08123456789', '+918123456789']],
    ['+81312345678', ['312345678', '81312345678', '0312345678', '+81312345678']],
    ['+61255501234', ['255501234', '61255501234', '0255501234', '+61255501234']],
    ['+966501234567', ['501234567', '966501234567', '0501234567', '+966501234567']],
    ['+971501234567', ['501234567', '971501234567', '0501234567', '+971501234567']],
    ['+5511961234567', ['11961234567', '5511961234567', '+5511961234567']],
    ['+390612345678', ['0612345678', '390612345678', '+390612345678']],
    ['+79123456789', ['9123456789', '79123456789', '89123456789', '+79123456789']],
    ['+80012345678', ['12345678', '80012345678', '+80012345678']],
    ['+15551234567', ['5551234567', '15551234567', '+15551234567']],
  ])('%s → %j', (e164, terms) => {
    expect(phoneSearchTerms(e164)).toEqual(terms);
  });

  it('puts the national significant number first and every term verifies against the caller', () => {
    for (const [, , expected] of PHONE_CASES) {
      if (!expected.startsWith('+')) continue;
      const e164 = expected.split(';')[0]!;
      const terms = phoneSearchTerms(e164);
      const number = classifyNumber(e164, 'US');
      expect(terms[0]).toBe(number.kind === 'e164' ? number.nationalNumber : undefined);
      expect(new Set(terms).size).toBe(terms.length);
      expect(terms.at(-1)).toBe(e164);
    }
  });

  it.each(['4155552671', '+1 415 555 2671', '+999123456', 'tel:+14155552671'])('rejects %j', (input) => {
    expect(phoneError(() => phoneSearchTerms(input)).problem).toBe('INVALID');
    expect(phoneError(() => leadingSearchTerms(input, 1)).problem).toBe('INVALID');
  });

  it('leadingSearchTerms gives the first terms of phoneSearchTerms, however many are asked', () => {
    for (const [, , expected] of PHONE_CASES) {
      if (!expected.startsWith('+')) continue;
      const e164 = expected.split(';')[0]!;
      const all = phoneSearchTerms(e164);
      for (let count = 1; count <= 4; count++)
        expect(leadingSearchTerms(e164, count)).toEqual(all.slice(0, count));
    }
  });

  it('answers the same right after a classification as after a fresh parse of the E.164', () => {
    const answers = (e164: string) => ({
      terms: phoneSearchTerms(e164),
      writings: numberWritings(e164),
      display: formatForDisplay(e164),
      matches: MATCH_CASES.filter((c) => c[1] === e164).map(([stored, , country]) =>
        matchesNumber(stored, e164, country),
      ),
    });
    for (const [input, country, expected] of PHONE_CASES) {
      if (!expected.startsWith('+')) continue;
      const e164 = expected.split(';')[0]!;
      phoneSearchTerms(e164 === '+442079460958' ? '+14155552671' : '+442079460958'); // another number in the memo
      const fresh = answers(e164);
      for (const raw of [input, e164]) {
        expect(classifyNumber(raw, country)).toMatchObject({ e164 });
        expect(answers(e164), `${raw} (${country})`).toEqual(fresh);
      }
    }
  });
});

describe('formatForDisplay', () => {
  it('README example', () => {
    expect(formatForDisplay('+14155552671')).toBe('+1 415 555 2671');
    expect(formatForDisplay('+442079460958')).toBe('+44 20 7946 0958');
  });

  it.each([
    ['+4930901820', '+49 30 901820'],
    ['+33199001234', '+33 1 99 00 12 34'],
    ['+81312345678', '+81 3 1234 5678'],
    ['+971501234567', '+971 50 123 4567'],
    ['+5511961234567', '+55 11 96123 4567'],
    ['+80012345678', '+800 1234 5678'],
    ['+15551234567', '+1 555 123 4567'],
  ])('%s → %s', (e164, display) => {
    expect(formatForDisplay(e164)).toBe(display);
  });

  it.each(['(415) 555-2671', '+999123456', ''])('rejects %j', (input) => {
    expect(phoneError(() => formatForDisplay(input)).problem).toBe('INVALID');
  });
});

describe('isSupportedCountry', () => {
  it.each([
    ['US', true],
    ['gb', true],
    ['De', true],
    ['XK', true],
    ['UK', false],
    ['XX', false],
    ['USA', false],
    ['', false],
    [undefined as unknown as string, false],
  ])('%j → %s', (code, supported) => {
    expect(isSupportedCountry(code)).toBe(supported);
  });
});
