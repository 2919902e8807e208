/**
 * USB devices of the host and how a VM names the ones it owns. Names follow the kernel's sysfs
 * (Documentation/ABI/stable/sysfs-bus-usb; drivers/usb/core/usb.c names a device "%d-%s", bus and
 * devpath, so a device on port 2 of a hub on port 4 of a hub on root port 1 of bus 3 is `3-1.4.2`).
 */
import { z } from 'zod';

/** `bus-port[.port]…`: USB allows five hubs between a root port and a device (seven tiers in all). */
export const USB_PORT_PATH = /^([1-9]\d{0,2})-([1-9]\d?(?:\.[1-9]\d?){0,5})$/;
/** `vendor:product[:serial]`, the ids as lsusb prints them (four lower-case hex digits each). */
export const USB_ID_SELECTOR = /^([0-9a-f]{4}):([0-9a-f]{4})(?::([\x21-\x7e]{1,126}))?$/;

/**
 * One USB device a VM owns: by port path (the socket it is plugged into, which stays the same
 * across re-plugs: a kiosk seat's touch panel), or by vendor:product[:serial] (the device wherever
 * it is plugged).
 */
export const UsbSelector = z.string().refine((s) => USB_PORT_PATH.test(s) || USB_ID_SELECTOR.test(s), {
  error:
    'a USB device is a port path as `tessera usb list` shows it (3-1.4) or vendor:product[:serial] in lower-case hex (046d:c52b or 046d:c52b:4F2A1C)',
});
export type UsbSelector = z.infer<typeof UsbSelector>;

export type ParsedUsbSelector =
  | { kind: 'port'; bus: number; port: string }
  | { kind: 'id'; vendorId: string; productId: string; serial: string | null };

export function parseUsbSelector(selector: string): ParsedUsbSelector | null {
  const port = USB_PORT_PATH.exec(selector);
  if (port?.[1] !== undefined && port[2] !== undefined)
    return { kind: 'port', bus: Number(port[1]), port: port[2] };
  const id = USB_ID_SELECTOR.exec(selector);
  if (id?.[1] !== undefined && id[2] !== undefined)
    return { kind: 'id', vendorId: id[1], productId: id[2], serial: id[3] ?? null };
  return null;
}

/** Evdev nodes by the stable names udev gives them (`/dev/input/by-id/…-event-kbd`), which survive a reboot. */
export const EvdevPath = z.string().regex(/^\/dev\/input\/by-(id|path)\/[A-Za-z0-9._:@+-]{1,200}$/, {
  error:
    'an input device is named by its stable udev link, /dev/input/by-id/… or /dev/input/by-path/… (ls /dev/input/by-id)',
});

export const UsbInterface = z.object({
  /** `3-1.4:1.0`: the device, its configuration and the interface number. */
  name: z.string(),
  /** bInterfaceClass, two hex digits (03 HID, 08 mass storage, 09 hub, e0 wireless). */
  interfaceClass: z.string(),
  /** The kernel driver bound to the interface (usbhid, hub, btusb), null when none. */
  driver: z.string().nullable(),
});

export const UsbDevice = z.object({
  /** The kernel's name: the port path (`3-1.4.2`). */
  portPath: z.string(),
  bus: z.int(),
  /** The device's address on its bus, which changes at every re-plug (`/dev/bus/usb/BBB/DDD`). */
  address: z.int(),
  vendorId: z.string(),
  productId: z.string(),
  manufacturer: z.string().nullable(),
  product: z.string().nullable(),
  serial: z.string().nullable(),
  /** bDeviceClass, two hex digits; 00 means each interface says its own. */
  deviceClass: z.string(),
  /** Link speed in Mbit/s as the kernel reports it (1.5, 12, 480, 5000, …). */
  speedMbps: z.number().nullable(),
  hub: z.boolean(),
  interfaces: z.array(UsbInterface),
  /** The device node QEMU opens; its owner decides whether an unprivileged QEMU may. */
  node: z.string(),
  /** VMs whose definition names this device (by port path or ids). */
  assignedTo: z.array(z.string()),
  /** The running VM that has it now, null when none. */
  heldBy: z.string().nullable(),
});
export type UsbDevice = z.infer<typeof UsbDevice>;

export const UsbInventory = z.object({
  devices: z.array(UsbDevice),
  /** Files that could not be read or understood (the inventory shows the rest). */
  unreadable: z.array(z.object({ path: z.string(), reason: z.string() })),
  simulated: z.boolean(),
});
export type UsbInventory = z.infer<typeof UsbInventory>;

type DeviceIdentity = Pick<UsbDevice, 'portPath' | 'vendorId' | 'productId' | 'serial'>;

/** Whether a present device is the one a selector names. */
export function selectorMatches(selector: string, device: DeviceIdentity): boolean {
  const parsed = parseUsbSelector(selector);
  if (parsed === null) return false;
  if (parsed.kind === 'port') return device.portPath === `${parsed.bus}-${parsed.port}`;
  return (
    device.vendorId === parsed.vendorId &&
    device.productId === parsed.productId &&
    (parsed.serial === null || device.serial === parsed.serial)
  );
}

/**
 * Whether two selectors can name the same device: the same text, or both match one device that
 * is plugged in now (a port path and the ids of what is in that port).
 */
export function selectorsOverlap(a: string, b: string, present: readonly DeviceIdentity[]): boolean {
  if (a === b) return true;
  return present.some((d) => selectorMatches(a, d) && selectorMatches(b, d));
}

/** The words for a device: product and maker where it says them, else its ids. */
export function describeUsbDevice(
  d: Pick<UsbDevice, 'manufacturer' | 'product' | 'vendorId' | 'productId'>,
): string {
  const name = [d.manufacturer, d.product].filter((s) => s !== null && s !== '').join(' ');
  return name === '' ? `${d.vendorId}:${d.productId}` : name;
}
