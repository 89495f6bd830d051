// Mutation testing (`npm run test:mutation`): Stryker mutates the code that decides what a ringing call
// shows, what a Calls record holds, how OAuth behaves and how numbers are read, then runs the unit tests
// that cover each mutant. Scores per folder are in docs/testing.md. One folder at a time:
//   npx stryker run --mutate 'src/http/retry.ts'
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'test/mutation/vitest.config.ts' },
  mutate: [
    'src/lookup/**/*.ts',
    'src/journal/map-call.ts',
    'src/oauth/**/*.ts',
    'src/phone/**/*.ts',
    'src/http/retry.ts',
    'src/notifications/notification.ts',
    'src/notifications/handle-notification.ts',
  ],
  coverageAnalysis: 'perTest',
  // The machine this runs on is shared; raise it with `--concurrency N` on a free one.
  concurrency: 2,
  // Module-level constants would need the whole test set per mutant; their behaviour is covered by tests.
  ignoreStatic: true,
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  ignorePatterns: ['dist', 'coverage', 'docs', 'reports', 'bench', 'examples', '.tmp'],
  timeoutMS: 10_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 80, break: null },
};
