import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // Node loads graphql's CommonJS build (its package has no "exports"); vite would pick its ESM build for test
    // files, and two copies of graphql refuse each other's schemas. Tests use the one Node uses.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql', { paths: [require.resolve('@apollo/server', { paths: ['./gateway'] })] }) }],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'subgraphs/*/test/**/*.test.ts', 'gateway/test/**/*.test.ts', 'tests/**/*.test.ts'],
    globalSetup: ['./tests/support/global-setup.ts'],
    // Each file starts its own services on free ports and its own databases, so files run in parallel.
    pool: 'forks',
    // The suite signs in hundreds of times, each a password check: at production cost (PASSWORD_HASH_COST 17, about
    // 0.4 s of a core each) that alone would add minutes. Tests of the hashing itself state the parameters they use.
    env: { PASSWORD_HASH_COST: '10' },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', './tests/support/summary-reporter.ts'],
  },
});
