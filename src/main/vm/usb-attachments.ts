/**
 * The USB devices a running VM has: what its run attached (the definition's devices at start,
 * and any attached live since), which device nodes were given to the user for it, and the
 * `usb.json` in its runtime dir that says so, so stop, a crash and a restarted backend give
 * back exactly that, and no other VM's start takes the same device meanwhile.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { UsbSelector, selectorMatches, selectorsOverlap } from '../../shared/usb';
import type { VmSpec } from '../../shared/vm-spec';
import { writeFileAtomic } from '../fsutil/atomic-write';
import type { UsbDeviceFacts, UsbGrant } from '../usb';
import type { FieldIssue } from './preflight';

const USB_FILE = 'usb.json';

const Grant = z.object({ bus: z.int(), address: z.int() });
export const UsbRun = z.object({
  vm: z.string(),
  devices: z.array(z.object({ selector: UsbSelector, id: z.string(), grants: z.array(Grant) })),
});
export type UsbRun = z.infer<typeof UsbRun>;

/** What the VM service needs of the usb domain (src/main/usb/usb-service.ts). */
export interface VmUsb {
  devices(): UsbDeviceFacts[];
  grant(devices: readonly UsbDeviceFacts[], vm: string): Promise<UsbGrant[]>;
  release(grants: readonly UsbGrant[], vm: string): Promise<void>;
}

export function readUsbRun(dir: string): UsbRun | null {
  try {
    const parsed = UsbRun.safeParse(JSON.parse(fs.readFileSync(path.join(dir, USB_FILE), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function writeUsbRun(dir: string, run: UsbRun): Promise<void> {
  return writeFileAtomic(path.join(dir, USB_FILE), JSON.stringify(run));
}

export async function removeUsbRun(dir: string): Promise<void> {
  await fsp.rm(path.join(dir, USB_FILE), { force: true });
}

/** Every running VM's attached selectors, from the run files under `$XDG_RUNTIME_DIR/tessera`. */
export function usbHolders(runtimeDir: string): Map<string, string[]> {
  let names: string[];
  try {
    names = fs.readdirSync(runtimeDir);
  } catch {
    return new Map();
  }
  return new Map(
    names.flatMap((n) => {
      const run = readUsbRun(path.join(runtimeDir, n));
      return run === null ? [] : [[run.vm, run.devices.map((d) => d.selector)] as const];
    }),
  );
}

/** The running VM other than `self` that has a device `selector` also names, null when none. */
export function holderOf(
  selector: string,
  self: string,
  holders: ReadonlyMap<string, readonly string[]>,
  present: readonly UsbDeviceFacts[],
): { vm: string; selector: string } | null {
  for (const [vm, selectors] of holders) {
    if (vm === self) continue;
    const other = selectors.find((s) => selectorsOverlap(s, selector, present));
    if (other !== undefined) return { vm, selector: other };
  }
  return null;
}

/** Two definitions never own one device: each of the spec's devices another VM's definition names too. */
export function findUsbOwnerConflicts(
  spec: VmSpec,
  others: readonly VmSpec[],
  present: readonly UsbDeviceFacts[],
): FieldIssue[] {
  return spec.usb.flatMap((selector, i) => {
    const owner = others.find((o) => o.usb.some((s) => selectorsOverlap(s, selector, present)));
    if (owner === undefined) return [];
    const theirs = owner.usb.find((s) => selectorsOverlap(s, selector, present));
    const same = theirs === selector ? '' : ` as ${theirs}`;
    return [
      {
        path: ['usb', i],
        message: `${selector} belongs to VM '${owner.name}'${same}: take it out of that VM first, or choose another port`,
      },
    ];
  });
}

/** The plugged-in devices a selector names now (a vendor:product can match several). */
export function presentFor(selector: string, present: readonly UsbDeviceFacts[]): UsbDeviceFacts[] {
  return present.filter((d) => !d.hub && selectorMatches(selector, d));
}
