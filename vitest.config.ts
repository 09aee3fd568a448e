import { defineConfig } from 'vitest/config';

// Integration suites start real registries (a process each); two cores run two files at a time well.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One temp directory per run, removed at the end (see the file).
    globalSetup: ['test/support/temp-root.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
