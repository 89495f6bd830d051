/**
 * Shared pieces of the property suite: hostile inputs (wrong types, `__proto__`/`constructor` keys,
 * poisoned JSON, strings up to 1 MB), a bounded call that reports how it settled, and a guard that the
 * built-in prototypes were not touched.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { isZohoCrmError } from '../../src/errors.js';

/** Runs per property: enough to hit every arbitrary branch, small enough for the suite to stay < 30 s. */
export const RUNS = Number(process.env.PROPERTY_RUNS ?? 60);

const POISON_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'then',
];
const key = fc.oneof(fc.constantFrom(...POISON_KEYS), fc.string({ maxLength: 8 }));

/** Strings of up to 1 MB: long digits, NULs, astral characters, percent signs. */
export const hugeString = fc.constantFrom(
  'x'.repeat(1 << 20),
  `+1${'5'.repeat(1 << 19)}`,
  '\u0000'.repeat(1 << 16),
  '\u{1F4A5}'.repeat(1 << 17),
  '%'.repeat(1 << 18),
  `https://pbx.example.com/${'a/'.repeat(1 << 18)}`,
);

/** Objects whose own `__proto__` / `constructor.prototype` would pollute a careless merge. */
export const poisoned = fc
  .constantFrom(
    () => JSON.parse('{"__proto__":{"polluted":"yes"},"a":1}'),
    () => JSON.parse('{"constructor":{"prototype":{"polluted":"yes"}}}'),
    () => JSON.parse('{"url":{"__proto__":{"polluted":"yes"}},"secret":{"__proto__":{"length":99}}}'),
  )
  .map((make) => make() as unknown);

/** Any value a caller could pass by mistake or malice. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.anything({
      key,
      maxDepth: 2,
      maxKeys: 5,
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withSparseArray: true,
      withNullPrototype: true,
      withBoxedValues: true,
    }),
  },
  { weight: 1, arbitrary: hugeString },
  { weight: 1, arbitrary: poisoned },
  {
    weight: 1,
    arbitrary: fc.constantFrom(Symbol('s'), () => 1, 10n, Number.NaN, -0, Number.POSITIVE_INFINITY),
  },
);

/** Text that looks like what the function wants (numbers, URLs, ids) mixed with anything else. */
export const anyText: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.stringMatching(/^\+?[0-9 ()./-]{0,24}$/),
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  anyValue,
);

/** How a bounded call ended. */
export type Settled =
  | { kind: 'value'; value: unknown }
  | { kind: 'error'; error: unknown }
  | { kind: 'hang' };

/** Calls `fn`, catching synchronous throws and rejections; a call still pending after `ms` is a hang. */
export async function settle(fn: () => unknown, ms = 3_000): Promise<Settled> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<Settled>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'hang' }), ms);
  });
  const run = (async (): Promise<Settled> => {
    try {
      return { kind: 'value', value: await fn() };
    } catch (error) {
      return { kind: 'error', error };
    }
  })();
  try {
    return await Promise.race([run, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The call settled, and any error is one of the library's typed errors (or what `allowed` accepts, for
 * the few documented exceptions).
 */
export function expectTyped(settled: Settled, allowed: (error: unknown) => boolean = () => false): void {
  expect(settled.kind, 'the call did not settle in time').not.toBe('hang');
  if (settled.kind === 'error' && !isZohoCrmError(settled.error) && !allowed(settled.error)) {
    const error = settled.error as Error;
    expect.fail(`untyped ${error?.name ?? typeof error}: ${String(error?.message ?? error).slice(0, 200)}`);
  }
}

const PROTOTYPES = [Object.prototype, Array.prototype, Function.prototype, String.prototype];
const baseline = PROTOTYPES.map((proto) => Reflect.ownKeys(proto).map(String).sort().join('|'));

/** Object.prototype and friends have exactly the keys they had when the suite started. */
export function expectNoPollution(): void {
  expect(PROTOTYPES.map((proto) => Reflect.ownKeys(proto).map(String).sort().join('|'))).toEqual(baseline);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}
