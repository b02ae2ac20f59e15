import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/support/sdk-runtime.ts', 'test/support/record-database.ts'],
    // A bound against hangs, not a speed target (those live in npm run bench): two busy cores are slow.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Two cores: more workers only queue behind the Temporal server and the JVM.
    maxWorkers: 2,
    reporters: ['default', './test/support/closing-line-reporter.ts'],
  },
});
