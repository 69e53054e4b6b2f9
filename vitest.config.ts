import { readdirSync, readFileSync } from 'node:fs';
import { configDefaults, defineConfig } from 'vitest/config';
import { scaled } from './test/support/time-scale.ts';

const include = ['test/**/*.test.ts', 'src/**/*.test.ts', 'adapters/**/*.test.ts'];

/** Test files that use a Python peer (MLflow, moto): through inject() from the global setup, or one they start themselves. */
const peerFiles = ['test', 'src', 'adapters']
  .flatMap((dir) => readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((file) => `${dir}/${file}`))
  .filter((file) => file.endsWith('.test.ts') && /\binject\(|\bstart(Mlflow|Moto)Server\(|peers\/python-env/.test(readFileSync(file, 'utf8')));

export default defineConfig({
  // Tests run the client workspace from its sources, like the type check (tsconfig paths).
  resolve: { alias: { '@modelgate/client': new URL('./packages/client/src/index.ts', import.meta.url).pathname } },
  test: {
    // MODELGATE_TEST_TIME_SCALE (default 1) multiplies these and every timeout in test files (test/support/time-scale.ts).
    testTimeout: scaled(60_000),
    hookTimeout: scaled(180_000),
    // Peer servers (MLflow, moto, the Vertex stand-in) are costly: one process per file, few at once.
    pool: 'forks',
    maxWorkers: 2,
    // `npm test -- --project unit` runs everything that needs no Python peer, without starting them.
    projects: [
      { extends: true, test: { name: 'unit', include, exclude: [...configDefaults.exclude, ...peerFiles] } },
      { extends: true, test: { name: 'peers', include: peerFiles, globalSetup: ['test/support/global-setup.ts'] } },
    ],
  },
});
