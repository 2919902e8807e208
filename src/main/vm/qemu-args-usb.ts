/**
 * The USB and input half of the argv: host USB devices through QEMU's `usb-host` on the xHCI
 * controller, and evdev devices through `input-linux` (QEMU's docs/system/devices/usb.rst and
 * qemu-options.hx, `-object input-linux`).
 */
import { parseUsbSelector, selectorMatches, type UsbDevice } from '../../shared/usb';
import type { VmSpec } from '../../shared/vm-spec';
import { escapeOptionValue as opt } from './qemu-option';

/** The xHCI controller every USB device of the VM hangs off; the console's tablet shares it. */
export const USB_CONTROLLER = 'usb0';

/** What the argv needs to know of a plugged-in device to name it by where it is. */
export type PresentUsbDevice = Pick<UsbDevice, 'bus' | 'portPath' | 'vendorId' | 'productId' | 'serial'>;

/** The qdev id of the VM's `index`-th USB device; a live detach and attach reuse it. */
export function usbDeviceId(index: number): string {
  return `usbhost${index}`;
}

/** Properties of one `usb-host` (hw/usb/host-libusb.c), typed as QMP's device_add wants them. */
export type UsbHostProperties =
  { hostbus: number; hostport: string } | { vendorid: number; productid: number };

/**
 * The `usb-host` properties for a selector: `hostbus`+`hostport` for a port path,
 * `vendorid`+`productid` for ids. QEMU watches for a match and attaches it whenever it appears,
 * so a device unplugged at start, or re-plugged later, is no error. usb-host has no serial
 * property: a selector with a serial is resolved to the port of the device that has it now, and
 * gives nothing (null) while no such device is plugged in.
 */
export function usbHostProperties(
  selector: string,
  present: readonly PresentUsbDevice[],
): UsbHostProperties | null {
  const parsed = parseUsbSelector(selector);
  if (parsed === null) return null;
  if (parsed.kind === 'port') return { hostbus: parsed.bus, hostport: parsed.port };
  if (parsed.serial === null)
    return { vendorid: parseInt(parsed.vendorId, 16), productid: parseInt(parsed.productId, 16) };
  const device = present.find((d) => selectorMatches(selector, d));
  if (device === undefined) return null;
  return { hostbus: device.bus, hostport: device.portPath.slice(device.portPath.indexOf('-') + 1) };
}

export function usbHostDevice(id: string, properties: UsbHostProperties): string {
  const values =
    'hostbus' in properties
      ? `hostbus=${properties.hostbus},hostport=${properties.hostport}`
      : `vendorid=0x${properties.vendorid.toString(16).padStart(4, '0')},productid=0x${properties.productid.toString(16).padStart(4, '0')}`;
  return `usb-host,id=${id},bus=${USB_CONTROLLER}.0,${values}`;
}

/** Whether the VM has the xHCI controller that USB devices, live ones too, are plugged into. */
export function hasUsbController(spec: VmSpec): boolean {
  return hasTablet(spec) || spec.usb.length > 0;
}

/** An absolute pointer keeps the guest cursor under the client's; a PS/2 mouse drifts. */
export function hasTablet(spec: VmSpec): boolean {
  return spec.display.kind !== 'none' && spec.gpu.kind !== 'none';
}

/** `-device usb-host` for each device the spec owns (after the controller), `-object input-linux` for each evdev node. */
export function usbAndInputArgs(spec: VmSpec, present: readonly PresentUsbDevice[]): string[] {
  const args: string[] = [];
  spec.usb.forEach((selector, i) => {
    const properties = usbHostProperties(selector, present);
    if (properties !== null) args.push('-device', usbHostDevice(usbDeviceId(i), properties));
  });
  spec.evdev.forEach((node, i) => {
    // The guest takes the device whole (EVIOCGRAB) while it has it; both Ctrl keys together hand
    // it back to the host and over again (ui/input-linux.c, grab-toggle's default).
    args.push('-object', `input-linux,id=evdev${i},evdev=${opt(node)}`);
  });
  return args;
}
