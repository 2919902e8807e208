/**
 * The USB devices of the VMs' runs, for the VM service: taken at a start, given back at a run's
 * end, plugged in and out of a running VM over QMP (device_add / device_del, as if plugged into
 * its own port). Each run's devices and the nodes given to the user for them are in its usb.json
 * (usb-attachments.ts); the nodes themselves are the usb domain's to give (src/main/usb).
 */
import fsp from 'node:fs/promises';
import { TesseraError } from '../../shared/errors';
import { parseUsbSelector } from '../../shared/usb';
import type { VmSpec } from '../../shared/vm-spec';
import { vmRuntimeFiles } from '../paths';
import type { UsbDeviceFacts } from '../usb';
import type { FieldIssue } from './preflight';
import { USB_CONTROLLER, hasUsbController, usbDeviceId, usbHostProperties } from './qemu-args-usb';
import {
  findUsbOwnerConflicts,
  holderOf,
  presentFor,
  readUsbRun,
  removeUsbRun,
  usbHolders,
  writeUsbRun,
  type UsbRun,
  type VmUsb,
} from './usb-attachments';

/** A running VM's QMP (VmRunner.command). */
export type UsbQmp = <T = unknown>(name: string, args?: Record<string, unknown>) => Promise<T>;

/** How long a live USB detach may take to leave QEMU's device tree (it is synchronous for USB in QEMU 7.2). */
const USB_DETACH_MS = 10_000;

export class UsbRuns {
  constructor(
    private readonly usb: VmUsb,
    private readonly runtimeDir: string,
  ) {}

  /** What is plugged in now. */
  devices(): UsbDeviceFacts[] {
    return this.usb.devices();
  }

  /** The selectors a VM's run has attached, null when it has no run file. */
  attached(id: string): string[] | null {
    return readUsbRun(this.dir(id))?.devices.map((d) => d.selector) ?? null;
  }

  /** Two definitions never own one device (usb-attachments.ts); nothing to look up for a spec without USB. */
  ownerConflicts(spec: VmSpec, others: readonly VmSpec[]): FieldIssue[] {
    return spec.usb.length > 0 ? findUsbOwnerConflicts(spec, others, this.usb.devices()) : [];
  }

  /**
   * The spec's USB devices for a run: refused when a running VM has one of them; the nodes of
   * those plugged in given to this user where a udev rule does not already; recorded in the run's
   * usb.json. Returns what is plugged in now, for the argv.
   */
  async take(spec: VmSpec): Promise<UsbDeviceFacts[]> {
    const present = this.usb.devices();
    if (spec.usb.length === 0) return present;
    const holders = usbHolders(this.runtimeDir);
    for (const selector of spec.usb) {
      const holder = holderOf(selector, spec.name, holders, present);
      if (holder !== null)
        throw new TesseraError(
          'CONFLICT',
          `USB device ${selector} is in use by running VM '${holder.vm}'${holder.selector === selector ? '' : ` (as ${holder.selector})`}: stop that VM or detach the device from it first`,
        );
    }
    const dir = this.dir(spec.name);
    const run: UsbRun = { vm: spec.name, devices: [] };
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    for (const [i, selector] of spec.usb.entries()) {
      const grants = await this.usb.grant(presentFor(selector, present), spec.name);
      run.devices.push({ selector, id: usbDeviceId(i), grants });
      // Written after each grant, so a failure half-way gives back what was given.
      await writeUsbRun(dir, run);
    }
    return present;
  }

  /** Give back the device nodes a run was given; idempotent. */
  async release(id: string): Promise<void> {
    const dir = this.dir(id);
    const run = readUsbRun(dir);
    if (run === null) return;
    try {
      await this.usb.release(
        run.devices.flatMap((d) => d.grants),
        id,
      );
    } catch {
      // The run has ended either way; a node the helper could not give back stays the user's
      // until the device is re-plugged (udev makes a fresh node root's).
    }
    await removeUsbRun(dir);
  }

  /** Plug a host USB device into a running VM (QMP device_add), as if plugged into its own port. */
  async attach(spec: VmSpec, qmp: UsbQmp, device: string): Promise<void> {
    const id = spec.name;
    if (parseUsbSelector(device) === null)
      throw new TesseraError('BAD_INPUT', `${device} is not a port path (3-1.4) nor vendor:product[:serial]`);
    if (!hasUsbController(spec))
      throw new TesseraError(
        'INVALID_STATE',
        `VM '${id}' has no USB controller (no screen and no USB devices): give it a USB device in its settings and start it again`,
      );
    const dir = this.dir(id);
    const run = readUsbRun(dir) ?? { vm: id, devices: [] };
    const present = this.usb.devices();
    const mine = run.devices.find((d) => d.selector === device);
    if (mine) throw new TesseraError('CONFLICT', `${device} is already attached to VM '${id}'`);
    const holder = holderOf(device, id, usbHolders(this.runtimeDir), present);
    if (holder !== null)
      throw new TesseraError(
        'CONFLICT',
        `USB device ${device} is in use by running VM '${holder.vm}': detach it there first`,
      );
    const properties = usbHostProperties(device, present);
    if (properties === null)
      throw new TesseraError(
        'UNAVAILABLE',
        `no USB device ${device} is plugged in: a device named by its serial is found where it is plugged in, so plug it in first`,
      );
    const index = spec.usb.indexOf(device);
    const used = new Set(run.devices.map((d) => d.id));
    let n = 0;
    while (used.has(`usblive${n}`)) n++;
    const qdevId = index >= 0 ? usbDeviceId(index) : `usblive${n}`;
    const grants = await this.usb.grant(presentFor(device, present), id);
    try {
      await qmp('device_add', { driver: 'usb-host', id: qdevId, bus: `${USB_CONTROLLER}.0`, ...properties });
    } catch (error) {
      await this.usb.release(grants, id).catch(() => undefined);
      throw error;
    }
    run.devices.push({ selector: device, id: qdevId, grants });
    await writeUsbRun(dir, run);
  }

  /** Unplug a USB device from a running VM (QMP device_del) and give its node back. */
  async detach(id: string, qmp: UsbQmp, device: string): Promise<void> {
    const dir = this.dir(id);
    const run = readUsbRun(dir);
    const entry = run?.devices.find((d) => d.selector === device);
    if (!run || !entry)
      throw new TesseraError(
        'INVALID_STATE',
        `${device} is not attached to VM '${id}'${run?.devices.length ? `: it has ${run.devices.map((d) => d.selector).join(', ')}` : ''}`,
      );
    await qmp('device_del', { id: entry.id });
    // The device is gone once QEMU's tree no longer lists it (DEVICE_DELETED has then been sent).
    const deadline = Date.now() + USB_DETACH_MS;
    for (;;) {
      const children = await qmp<{ name: string }[]>('qom-list', { path: '/machine/peripheral' });
      if (!children.some((c) => c.name === entry.id)) break;
      if (Date.now() > deadline)
        throw new TesseraError('TIMEOUT', `QEMU did not unplug ${device} within ${USB_DETACH_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.usb.release(entry.grants, id).catch(() => undefined);
    await writeUsbRun(dir, { ...run, devices: run.devices.filter((d) => d !== entry) });
  }

  private dir(id: string): string {
    return vmRuntimeFiles(this.runtimeDir, id).dir;
  }
}
