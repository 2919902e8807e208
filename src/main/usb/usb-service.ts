/**
 * The usb domain: the host's USB devices (read through the host root, so a simulated host has
 * its own), who owns and who holds each, and giving a device's node to this user through the
 * helper when no udev rule already does (README, "USB devices").
 */
import fs from 'node:fs';
import { TesseraError } from '../../shared/errors';
import type { HelperResult, HelperStep } from '../../shared/helper-plan';
import { selectorMatches, type UsbInventory } from '../../shared/usb';
import type { VmSpec } from '../../shared/vm-spec';
import { createHostReader } from '../fsutil/host-reader';
import type { HostRoot } from '../fsutil/host-root';
import { readUsbDevices, type UsbDeviceFacts } from './usb-devices';

/** A device node given to this user for a run, to be given back at its end. */
export interface UsbGrant {
  bus: number;
  address: number;
}

export interface UsbService {
  /** What is plugged in now. */
  devices(): UsbDeviceFacts[];
  /** The inventory with each device's owners (definitions) and holder (running VM). */
  inventory(specs: readonly VmSpec[], held: ReadonlyMap<string, readonly string[]>): UsbInventory;
  /**
   * Make each device's node readable and writable by this user, as QEMU's usb-host needs: nodes a
   * udev rule already gives the user are left alone; the rest go to the helper in one plan (one
   * prompt). Returns what the helper changed.
   */
  grant(devices: readonly UsbDeviceFacts[], vm: string): Promise<UsbGrant[]>;
  /** Give nodes granted for a run back to root. */
  release(grants: readonly UsbGrant[], vm: string): Promise<void>;
}

export interface UsbServiceDeps {
  root: HostRoot;
  simulated: boolean;
  /** The privileged helper (src/helper): pkexec on this machine, the same code unprivileged on a simulated tree. */
  helper: { run(plan: { version: 1; steps: HelperStep[] }): Promise<HelperResult> };
}

export function createUsbService(deps: UsbServiceDeps): UsbService {
  const { root, helper } = deps;
  const run = async (steps: HelperStep[], what: string): Promise<void> => {
    if (steps.length === 0) return;
    const result = await helper.run({ version: 1, steps });
    if (!result.ok)
      throw new TesseraError(
        result.error.code === 'IN_USE' ? 'CONFLICT' : 'UNAVAILABLE',
        `${what}: ${result.error.message}. Or give the device to your user with a udev rule (README, "USB devices").`,
      );
  };
  return {
    devices: () => readUsbDevices(createHostReader(root)),
    inventory(specs, held) {
      const reader = createHostReader(root);
      const devices = readUsbDevices(reader).map((d) => ({
        ...d,
        assignedTo: specs.filter((s) => s.usb.some((sel) => selectorMatches(sel, d))).map((s) => s.name),
        heldBy:
          [...held].find(([, selectors]) => selectors.some((sel) => selectorMatches(sel, d)))?.[0] ?? null,
      }));
      return { devices, unreadable: reader.unreadable, simulated: deps.simulated };
    },
    async grant(devices, vm) {
      const closed = devices.filter((d) => !root.access(d.node, fs.constants.R_OK | fs.constants.W_OK).ok);
      const grants = closed.map((d) => ({ bus: d.bus, address: d.address }));
      await run(
        grants.map((g) => ({ op: 'grant-usb', ...g, to: 'caller' })),
        `cannot give ${closed.map((d) => d.node).join(', ')} to VM '${vm}'`,
      );
      return grants;
    },
    async release(grants, vm) {
      await run(
        grants.map((g) => ({ op: 'grant-usb', ...g, to: 'root' })),
        `cannot take the USB devices of VM '${vm}' back`,
      );
    },
  };
}
