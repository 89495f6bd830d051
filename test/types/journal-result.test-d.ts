import { describe, expectTypeOf, it } from 'vitest';
import type { JournalResult } from '../../src/journal/pbx-call.js';

describe('JournalResult', () => {
  it('a logged result always has the Zoho call id', () => {
    const narrow = (result: JournalResult) => (result.status === 'logged' ? result.zohoCallId : 'x');
    expectTypeOf(narrow).returns.toEqualTypeOf<string>();
    expectTypeOf<Extract<JournalResult, { status: 'logged' }>['zohoCallId']>().toEqualTypeOf<string>();
    // @ts-expect-error a logged result without its id is not a JournalResult
    const bad: JournalResult = { status: 'logged' };
    expectTypeOf(bad).toEqualTypeOf<JournalResult>();
  });

  it('queued and skipped always say why and never carry an id', () => {
    expectTypeOf<Extract<JournalResult, { status: 'queued' }>['reason']>().toEqualTypeOf<string>();
    expectTypeOf<Extract<JournalResult, { status: 'skipped' }>['zohoCallId']>().toEqualTypeOf<undefined>();
    // @ts-expect-error a queued result without a reason is not a JournalResult
    const bad: JournalResult = { status: 'queued' };
    expectTypeOf(bad).toEqualTypeOf<JournalResult>();
  });
});
