// Its own module, free of vitest, because temp-home.ts is also bundled into `npm run bench`,
// where importing leak-check.ts (which registers an afterAll hook) throws outside a test run.

/** Temp roots this worker's tests made (temp-home.ts): a daemon reparented to init still names one. */
export const testRoots = new Set<string>();
