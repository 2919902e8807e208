import type { VmState } from './vm-spec';

/**
 * Which actions a VM allows in which state: the one place the backend's checks (vm-service.ts,
 * vm-runner.ts, the console and thumbnail services) and the renderer's buttons read it from.
 * The states are the supervisor's (vm-runner.ts): stopped → starting → running ⇄ paused →
 * stopping → stopped, or → crashed.
 */

/** No QEMU runs: the VM can be started, edited or deleted, and has nothing to talk to. */
export const isDown = (state: VmState) => state === 'stopped' || state === 'crashed';
/** A QEMU process exists (coming up, up or going down): it can be forced off. */
export const isUp = (state: VmState) => !isDown(state);
/** The guest is up, paused or not: it hears the power button and shows a console. */
export const isLive = (state: VmState) => state === 'running' || state === 'paused';

export const canStart = isDown;
export const canShutDown = isLive;
export const canForceOff = isUp;
export const canReset = isLive;
export const canPause = (state: VmState) => state === 'running';
export const canResume = (state: VmState) => state === 'paused';
/** Settings change and definitions go only while QEMU is not running. */
export const canEdit = isDown;
/** A console is worth connecting while QEMU runs, paused or not. */
export const hasLiveConsole = isLive;
