/**
 * How long a test waits for a guest (a boot, a reboot, a stop) before it calls it a hang. Not a
 * speed check: TCG guests on this project's 2-core machines take several times longer while the
 * other test files, or `npm run stress`, load both cores, and a race must fail, not a slow machine.
 */
export const GUEST_WAIT_MS = 120_000;
export const GUEST_WAIT_S = GUEST_WAIT_MS / 1000;
