import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Examples and docs import the package by name; tests run them against the unbuilt source.
    alias: [
      { find: /^zoho-crm-connector$/, replacement: src('index.ts') },
      { find: /^zoho-crm-connector\/stores\/file$/, replacement: src('stores/file.ts') },
      { find: /^zoho-crm-connector\/stores\/redis$/, replacement: src('stores/redis.ts') },
      { find: /^zoho-crm-connector\/stores\/postgres$/, replacement: src('stores/postgres.ts') },
      { find: /^zoho-crm-connector\/server$/, replacement: src('server/index.ts') },
      { find: /^zoho-crm-connector\/testing$/, replacement: src('testing/index.ts') },
      { find: /^zoho-crm-connector\/testing\/msw$/, replacement: src('testing/msw.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/package/**', 'node_modules/**'],
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    restoreMocks: true,
    unstubEnvs: true,
    testTimeout: 20_000,
    // expect.poll waits for a state, it does not time anything: a loaded machine may take seconds.
    expect: { poll: { timeout: 15_000 } },
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary', 'text'],
      thresholds: {
        'src/regions.ts': { lines: 100, branches: 100, functions: 100, statements: 100 },
        'src/errors.ts': { lines: 100, branches: 100, functions: 100, statements: 100 },
        'src/options.ts': { lines: 100, branches: 100, functions: 100, statements: 100 },
        'src/phone/normalize.ts': { lines: 100, branches: 100, functions: 100, statements: 100 },
      },
    },
  },
});
