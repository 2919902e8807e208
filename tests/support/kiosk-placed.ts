import { expect } from 'vitest';
import type { KioskStatus } from '../../src/shared/kiosk';
import type { VmInfo } from '../../src/shared/vm-spec';
import { tinyGuestCreateOptions, type TinyGuest } from './tiny-guest';
import { placedOn, type MonitorRect, type XorgDummy } from './xorg-dummy';

/** `tessera ARGS --json` parsed, throwing on a non-zero exit (each test's own CLI environment). */
export type CliJson = <T>(args: string[]) => Promise<T>;

/**
 * Wait (polling, generous deadline) until the kiosk says every assignment is placed, then check
 * from outside that each VM's QEMU window covers its monitor, full-screen. Returns the QEMU pids.
 */
export async function expectKioskPlaced(
  xorg: XorgDummy,
  cliJson: CliJson,
  seats: readonly (readonly [vm: string, monitor: MonitorRect])[],
  timeoutMs: number,
): Promise<number[]> {
  await expect
    .poll(
      async () =>
        (await cliJson<KioskStatus>(['kiosk', 'status']).catch(() => null))?.entries.map((e) => e.placed),
      { timeout: timeoutMs, interval: 500 },
    )
    .toEqual(seats.map(() => true));
  const pids: number[] = [];
  for (const [vm, monitor] of seats) {
    const pid = (await cliJson<VmInfo>(['vm', 'show', vm])).pid ?? 0;
    expect(await placedOn(xorg, pid, monitor)).toBe(true);
    pids.push(pid);
  }
  return pids;
}

/** `tessera vm create NAME` of a tiny guest (128 MiB) shown in QEMU's own window, as kiosk VMs are. */
export function kioskVmCreateArgs(name: string, guest: TinyGuest): string[] {
  return ['vm', 'create', name, ...tinyGuestCreateOptions(guest, 128), '--display', 'local'];
}
