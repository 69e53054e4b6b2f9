import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts', 'adapters/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 180_000,
    // Peer servers (MLflow, moto, the Vertex stand-in) are costly: one process per file, few at once.
    pool: 'forks',
    maxWorkers: 2,
  },
});
