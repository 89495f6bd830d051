import { defineConfig } from 'vitest/config';

// The packaging test imports the built package by its own name (Node's self-reference), so none of the
// source aliases of the main config apply here.
export default defineConfig({
  test: { include: ['test/package/**/*.test.ts'], testTimeout: 20_000 },
});
