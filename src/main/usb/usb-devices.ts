/**
 * The host's USB devices as sysfs shows them (Documentation/ABI/stable/sysfs-bus-usb and
 * drivers/usb/core/sysfs.c): `/sys/bus/usb/devices` links every device by its kernel name
 * (`usb3` for a root hub, `3-1.4.2` for what is behind it) and every interface
 * (`3-1.4.2:1.0`, configuration 1, interface 0) to its directory under /sys/devices.
 */
import { USB_PORT_PATH, type UsbDevice } from '../../shared/usb';
import type { HostReader } from '../fsutil/host-reader';

const DEVICES = '/sys/bus/usb/devices';
/** bDeviceClass / bInterfaceClass of a hub (USB 2.0 §11.23.1). */
const HUB_CLASS = '09';

/** What sysfs says of a device; who has it is added by the USB service. */
export type UsbDeviceFacts = Omit<UsbDevice, 'assignedTo' | 'heldBy'>;

/** A two-digit hex attribute (`bDeviceClass` reads `09\n`). */
function hexByte(reader: HostReader, hostPath: string): string | null {
  const value = reader.text(hostPath, { required: true });
  if (value === null) return null;
  return /^[0-9a-fA-F]{2}$/.test(value)
    ? value.toLowerCase()
    : reader.unexpected(hostPath, value, 'two hex digits');
}

function hexId(reader: HostReader, hostPath: string): string | null {
  const value = reader.text(hostPath, { required: true });
  if (value === null) return null;
  return /^[0-9a-fA-F]{4}$/.test(value)
    ? value.toLowerCase()
    : reader.unexpected(hostPath, value, 'four hex digits');
}

/** Strings the device gave are optional (a device without a serial has no `serial` file). */
function optionalText(reader: HostReader, hostPath: string): string | null {
  const value = reader.text(hostPath);
  return value === null || value === '' ? null : value;
}

function readDevice(reader: HostReader, name: string, entries: readonly string[]): UsbDeviceFacts | null {
  const at = `${DEVICES}/${name}`;
  const bus = reader.int(`${at}/busnum`, { required: true });
  const address = reader.int(`${at}/devnum`, { required: true });
  const vendorId = hexId(reader, `${at}/idVendor`);
  const productId = hexId(reader, `${at}/idProduct`);
  const deviceClass = hexByte(reader, `${at}/bDeviceClass`);
  if (bus === null || address === null || vendorId === null || productId === null || deviceClass === null)
    return null;
  const speed = reader.text(`${at}/speed`);
  const interfaces = entries
    .filter((e) => e.startsWith(`${name}:`))
    .map((iface) => ({
      name: iface,
      interfaceClass: hexByte(reader, `${DEVICES}/${iface}/bInterfaceClass`) ?? '??',
      driver: reader.linkName(`${DEVICES}/${iface}/driver`),
    }));
  return {
    portPath: name,
    bus,
    address,
    vendorId,
    productId,
    manufacturer: optionalText(reader, `${at}/manufacturer`),
    product: optionalText(reader, `${at}/product`),
    serial: optionalText(reader, `${at}/serial`),
    deviceClass,
    speedMbps: speed !== null && /^\d+(\.\d+)?$/.test(speed) ? Number(speed) : null,
    hub: deviceClass === HUB_CLASS,
    interfaces,
    // drivers/usb/core/usb.c usb_devnode: "bus/usb/%03d/%03d".
    node: `/dev/bus/usb/${String(bus).padStart(3, '0')}/${String(address).padStart(3, '0')}`,
  };
}

/**
 * Every USB device but the root hubs (the controllers' own ports, which no VM can take), in
 * bus and port order. A host without USB (or without sysfs for it) has none.
 */
export function readUsbDevices(reader: HostReader): UsbDeviceFacts[] {
  const entries = reader.list(DEVICES);
  return entries
    .filter((e) => USB_PORT_PATH.test(e))
    .flatMap((name) => readDevice(reader, name, entries) ?? [])
    .sort((a, b) => a.bus - b.bus || comparePorts(a.portPath, b.portPath));
}

/** `3-1.10` after `3-1.9`: ports compare as numbers, tier by tier. */
function comparePorts(a: string, b: string): number {
  const parts = (p: string) =>
    p
      .slice(p.indexOf('-') + 1)
      .split('.')
      .map(Number);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? -1) - (y[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}
