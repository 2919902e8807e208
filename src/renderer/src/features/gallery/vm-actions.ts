import type { VmState } from '../../../../shared/vm-spec';

/** Which power actions make sense in which state, as the backend's state machine allows them. */
export const canStart = (state: VmState) => state === 'stopped' || state === 'crashed';
export const canShutDown = (state: VmState) => state === 'running' || state === 'paused';
export const canForceOff = (state: VmState) => state !== 'stopped' && state !== 'crashed';
export const canReset = canShutDown;
export const canPause = (state: VmState) => state === 'running';
export const canResume = (state: VmState) => state === 'paused';
/** Settings change and definitions go only while QEMU is not running. */
export const canEdit = canStart;
/** A console is worth connecting while QEMU runs, paused or not. */
export const hasLiveConsole = (state: VmState) => state === 'running' || state === 'paused';
