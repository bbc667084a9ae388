import { defineConfig } from 'vitest/config';

/** The integration and e2e tiers: real engines, started once for both (test/support/global-setup.ts). */
const engines = {
  exclude: ['node_modules/**', 'dist/**'],
  globalSetup: ['test/support/global-setup.ts'],
  testTimeout: 120_000,
  hookTimeout: 180_000,
  // Two cores: run integration files two at a time against the shared engines.
  maxWorkers: 2,
};

export default defineConfig({
  test: {
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // The machine is shared and has two cores: a unit test that reads a whole drop may take seconds.
          testTimeout: 30_000,
          include: ['**/*.unit.spec.ts'],
          sequence: { groupOrder: 0 },
          exclude: ['node_modules/**', 'dist/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'int',
          include: ['**/*.int.spec.ts'],
          // After the unit tier, so that a broken unit fails fast before engines start.
          sequence: { groupOrder: 1 },
          ...engines,
        },
      },
      {
        extends: true,
        test: {
          name: 'resilience',
          include: ['test/resilience/**/*.resilience.spec.ts'],
          // After everything else: these tests restart and freeze the shared engines, so nothing else may run meanwhile.
          sequence: { groupOrder: 3 },
          ...engines,
          // Each fault is timed; the whole suite stays well under 10 minutes (docs/reliability-faults.md).
          testTimeout: 600_000,
          hookTimeout: 300_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.e2e.spec.ts'],
          // Last: the browser on top of everything the integration tier checked.
          sequence: { groupOrder: 2 },
          ...engines,
        },
      },
    ],
  },
});
