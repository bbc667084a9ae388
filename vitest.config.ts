import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['**/*.unit.spec.ts'],
          sequence: { groupOrder: 0 },
          exclude: ['node_modules/**', 'dist/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'int',
          include: ['**/*.int.spec.ts', '**/*.e2e.spec.ts'],
          // After the unit tier, so that a broken unit fails fast before engines start.
          sequence: { groupOrder: 1 },
          exclude: ['node_modules/**', 'dist/**'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Two cores: run integration files two at a time against the shared engines.
          maxWorkers: 2,
        },
      },
    ],
  },
});
