import { defineConfig } from 'vitest/config';

// Three levels from DESIGN.md. Integration and e2e boot real QEMU guests under TCG on a 2-core
// machine, so they run one file at a time, and one level after the other (groupOrder): run side by
// side, a browser waiting on a page and four TCG guests booting starve each other into timeouts.
export default defineConfig({
  test: {
    reporters: ['default', './tests/support/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
          environment: 'node',
          // A limit for hangs, not a speed check: a test that builds simulated host trees takes
          // seconds of file-system work while the other levels load both cores.
          testTimeout: 30_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          setupFiles: ['tests/support/leak-check.ts'],
          environment: 'node',
          // Hang limits, not speed checks (tests/support/patience.ts).
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          setupFiles: ['tests/support/leak-check.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
