import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.js';

// Mutation runs (`npm run test:mutation`, stryker.config.mjs): only the unit tests of the mutated folders
// and the connector-level tests that reach them, so that each mutant's run is short. Integration, chaos,
// example and package tests are left out; type tests too (Stryker runs the code, it does not typecheck).
// Spread rather than mergeConfig: mergeConfig would append to the base `include` instead of replacing it.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: [
      'test/lookup/**/*.test.ts',
      'test/oauth/**/*.test.ts',
      'test/phone/**/*.test.ts',
      'test/http/**/*.test.ts',
      'test/journal/map-call*.test.ts',
      'test/notifications/**/*.test.ts',
      'test/connector-limits-events.test.ts',
      'test/pending-work.test.ts',
    ],
    typecheck: { enabled: false },
  },
});
