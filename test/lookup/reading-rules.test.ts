/**
 * The pure rules behind the escalating lookup: the writings and COQL patterns of a number, the search
 * terms tried when COQL is refused, and what a hit or an escalation proves about Zoho's reading.
 */
import { describe, expect, it } from 'vitest';
import type { PhoneSearchReading } from '../../src/calibration/calibration.js';
import { COQL_MAX_CONDITIONS, likeFieldGroups, phoneLikeQuery } from '../../src/lookup/coql.js';
import { fallbackSearchTerms, tailPatterns, writtenForms } from '../../src/lookup/phone-forms.js';
import { escalationEvidence, isStrict, searchHitEvidence, shouldRecord } from '../../src/lookup/reading.js';

const record = (fields: Record<string, unknown>) => ({ id: '1', ...fields });
const PHONES = ['Phone', 'Mobile'];

describe('the writings of a number', () => {
  it('lists digit strings, E.164, both formats and their spaced, dashed and dotted forms', () => {
    const forms = writtenForms('+14155552671');
    for (const form of [
      '4155552671',
      '14155552671',
      '+14155552671',
      '(415) 555-2671',
      '+1 415 555 2671',
      '415.555.2671',
      '415-555-2671',
      '+1-415-555-2671',
      '1 415 555 2671',
      '0014155552671',
      '001 415 555 2671',
    ]) {
      expect(forms).toContain(form);
    }
    expect(new Set(forms).size).toBe(forms.length);
    expect(writtenForms('+442079460958')).toEqual(
      expect.arrayContaining(['020 7946 0958', '02079460958', '0044 20 7946 0958', '+44 20 7946 0958']),
    );
  });

  it('COQL tails: the last four digits together and split as people group them', () => {
    expect(tailPatterns('+33123456789')).toEqual([
      '%6789',
      '%67 89',
      '%6 789',
      '%67-89',
      '%6-789',
      '%67.89',
      '%6.789',
    ]);
    const ends = (value: string) => tailPatterns('+34912345678').some((p) => value.endsWith(p.slice(1)));
    for (const stored of ['912 345 678', '912 34 56 78', '+34912345678', '912.34.56.78', '912-345-678']) {
      expect(ends(stored)).toBe(true);
    }
  });

  it('search terms after a refused COQL: digits first, formats unless digits are compared, none twice', () => {
    expect(fallbackSearchTerms('+442079460958', 'unknown', ['2079460958'])).toEqual([
      '442079460958',
      '02079460958',
      '00442079460958',
      '+442079460958',
      '020 7946 0958',
      '+44 20 7946 0958',
    ]);
    // Under digits-exact a term with the digits of one already tried is the same search.
    expect(fallbackSearchTerms('+14155552671', 'digits-exact', ['4155552671', '+14155552671'])).toEqual([
      '0014155552671',
    ]);
  });
});

describe('COQL like queries', () => {
  it('keeps each field with all its patterns, at most 25 conditions a query', () => {
    const fields = ['Phone', 'Mobile', 'Home_Phone', 'Other_Phone', 'Asst_Phone', 'Work_Phone'];
    const groups = likeFieldGroups(fields, 7);
    expect(groups).toEqual([
      ['Phone', 'Mobile', 'Home_Phone'],
      ['Other_Phone', 'Asst_Phone', 'Work_Phone'],
    ]);
    expect(likeFieldGroups(['Phone'], 40)).toEqual([['Phone']]);
    const query = phoneLikeQuery(
      'Contacts',
      ['Full_Name'],
      groups[0] as string[],
      tailPatterns('+14155552671'),
      {
        limit: 200,
        offset: 400,
      },
    );
    expect(query.match(/ like /g)).toHaveLength(21);
    expect(query).toMatch(/^select Full_Name from Contacts where \(+Phone like '%2671' or /);
    expect(query.endsWith(' limit 200 offset 400')).toBe(true);
    const many = phoneLikeQuery(
      'Contacts',
      ['Full_Name'],
      ['A', 'B', 'C', 'D'],
      tailPatterns('+14155552671'),
      {
        limit: 200,
        offset: 0,
      },
    );
    expect(many.match(/ like /g)).toHaveLength(COQL_MAX_CONDITIONS);
    expect(many.endsWith(' limit 200')).toBe(true);
  });
});

describe('what traffic proves', () => {
  it('a search hit: tolerant only when no field holds exactly the digits searched', () => {
    expect(searchHitEvidence('4155552671', record({ Phone: '(415) 555-2671' }), PHONES)).toBeUndefined();
    expect(searchHitEvidence('4155552671', record({ Phone: '+1 415 555 2671' }), PHONES)).toBe(
      'digits-suffix',
    );
    expect(searchHitEvidence('4155552671', record({ Phone: '555-2671' }), PHONES)).toBe('digits-suffix');
    expect(searchHitEvidence('4155552671', record({ Phone: '415 555 2671 x9' }), PHONES)).toBe(
      'digits-contains',
    );
    // Another field may be the one Zoho matched.
    expect(
      searchHitEvidence('4155552671', record({ Phone: '+1 415 555 2671', Mobile: '4155552671' }), PHONES),
    ).toBeUndefined();
    expect(
      searchHitEvidence(
        '4155552671',
        record({ Phone: '415 555 2671 x9', Mobile: '+1 415 555 2671' }),
        PHONES,
      ),
    ).toBe('digits-suffix');
    expect(searchHitEvidence('', record({ Phone: '1' }), PHONES)).toBeUndefined();
    expect(searchHitEvidence('4155552671', record({ Phone: 12 }), PHONES)).toBeUndefined();
    expect(
      searchHitEvidence('4155552671', record({ Phone: 'ask reception', Mobile: '+1 415 555 2671' }), PHONES),
    ).toBe('digits-suffix');
  });

  it('an escalation hit the search missed: exact when digits were equal, digits-exact when they end alike', () => {
    expect(escalationEvidence('4155552671', record({ Phone: '(415) 555-2671' }), PHONES)).toBe('exact');
    expect(escalationEvidence('4155552671', record({ Mobile: '+1 415 555 2671' }), PHONES)).toBe(
      'digits-exact',
    );
    expect(escalationEvidence('4155552671', record({ Phone: '415 555 2671 x9' }), PHONES)).toBeUndefined();
    expect(escalationEvidence('', record({ Phone: '1' }), PHONES)).toBeUndefined();
  });

  it('a proof replaces a belief only when it says more, and a tolerant proof beats a strict belief', () => {
    const table: Array<[PhoneSearchReading, PhoneSearchReading, boolean]> = [
      ['unknown', 'digits-suffix', true],
      ['digits-suffix', 'digits-contains', true],
      ['digits-contains', 'digits-suffix', false],
      ['exact', 'digits-suffix', true],
      ['digits-exact', 'digits-contains', true],
      ['unknown', 'digits-exact', true],
      ['digits-exact', 'exact', true],
      ['exact', 'digits-exact', false],
      ['digits-contains', 'exact', false],
      ['digits-suffix', 'digits-exact', false],
      ['exact', 'exact', false],
      ['digits-contains', 'unknown', false],
    ];
    for (const [current, evidence, replace] of table) {
      expect([current, evidence, shouldRecord(current, evidence)]).toEqual([current, evidence, replace]);
    }
    expect([
      isStrict('exact'),
      isStrict('digits-exact'),
      isStrict('digits-suffix'),
      isStrict('unknown'),
    ]).toEqual([true, true, false, false]);
  });
});
