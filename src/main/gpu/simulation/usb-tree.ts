/**
 * USB devices of a simulated host, written as the kernel lays them out (drivers/usb/core/sysfs.c,
 * usb.c, message.c): each bus's root hub `usbN` under its controller's PCI directory, devices
 * below it by port path (`3-1` → `3-1.4` → `3-1.4.2`), each interface as `<device>:1.<n>`, every
 * device and interface linked from /sys/bus/usb/devices, and a node in /dev/bus/usb/BBB/DDD.
 */
import type { SimTree } from '../../../simulation/kernel/sim-tree';

export interface SimUsbInterface {
  /** bInterfaceClass: 03 HID, 08 mass storage, 09 hub, 0b smart card, e0 wireless. */
  interfaceClass: string;
  driver: string | null;
}

export interface SimUsbDevice {
  /** The kernel's name, `3-1.4.2`; its hub (`3-1.4`) comes earlier in the list. */
  portPath: string;
  /** devnum: numbered by the kernel in the order devices appeared. */
  address: number;
  vendorId: string;
  productId: string;
  manufacturer?: string;
  product?: string;
  serial?: string;
  /** bDeviceClass: 00 (each interface says), 09 a hub, e0 wireless, ef miscellaneous. */
  deviceClass: string;
  speedMbps: number;
  interfaces: SimUsbInterface[];
}

export interface SimUsbBus {
  bus: number;
  /** The xHCI controller's directory under /sys/devices (`pci0000:00/0000:00:14.0`). */
  controller: string;
  devices: SimUsbDevice[];
}

const DEVICES = '/sys/bus/usb/devices';
const DRIVERS = '/sys/bus/usb/drivers';
const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');

function nodeOf(bus: number, address: number): string {
  return `/dev/bus/usb/${String(bus).padStart(3, '0')}/${String(address).padStart(3, '0')}`;
}

/** `interfacePrefix`: a device's interfaces are named after it, a root hub's after port 0 of its bus (`3-0:1.0`). */
function writeDevice(
  w: SimTree,
  at: string,
  name: string,
  interfacePrefix: string,
  bus: number,
  d: SimUsbDevice,
): void {
  const attr = (file: string, value: string) => w.file(`${at}/${file}`, `${value}\n`, 0o444);
  attr('busnum', String(bus));
  attr('devnum', String(d.address));
  attr('devpath', name.includes('-') ? name.slice(name.indexOf('-') + 1) : '0');
  attr('idVendor', d.vendorId);
  attr('idProduct', d.productId);
  attr('bDeviceClass', d.deviceClass);
  attr('bNumInterfaces', ` ${d.interfaces.length}`); // "%2d\n" in drivers/usb/core/sysfs.c
  attr('speed', String(d.speedMbps));
  if (d.manufacturer !== undefined) attr('manufacturer', d.manufacturer);
  if (d.product !== undefined) attr('product', d.product);
  if (d.serial !== undefined) attr('serial', d.serial);
  w.link(`${DEVICES}/${name}`, at);
  w.link(`${at}/driver`, `${DRIVERS}/usb`);
  d.interfaces.forEach((iface, n) => {
    const ifName = `${interfacePrefix}:1.${n}`;
    const ifAt = `${at}/${ifName}`;
    w.file(`${ifAt}/bInterfaceNumber`, `${hex(n, 2)}\n`, 0o444);
    w.file(`${ifAt}/bInterfaceClass`, `${iface.interfaceClass}\n`, 0o444);
    w.link(`${DEVICES}/${ifName}`, ifAt);
    if (iface.driver !== null) {
      w.mkdir(`${DRIVERS}/${iface.driver}`);
      w.link(`${ifAt}/driver`, `${DRIVERS}/${iface.driver}`);
    }
  });
  // udev's default for USB device nodes: root's, readable by all, writable by root (0664).
  w.file(nodeOf(bus, d.address), '', 0o664);
}

export function writeUsbBuses(w: SimTree, buses: readonly SimUsbBus[]): void {
  if (buses.length === 0) return;
  w.mkdir(`${DRIVERS}/usb`);
  for (const { bus, controller, devices } of buses) {
    const rootName = `usb${bus}`;
    const rootAt = `/sys/devices/${controller}/${rootName}`;
    writeDevice(w, rootAt, rootName, `${bus}-0`, bus, {
      portPath: rootName,
      address: 1,
      vendorId: '1d6b', // the Linux Foundation's id for root hubs
      productId: '0002',
      manufacturer: 'Linux 6.8.0-48-generic xhci-hcd',
      product: 'xHCI Host Controller',
      serial: controller.slice(controller.lastIndexOf('/') + 1),
      deviceClass: '09',
      speedMbps: 480,
      interfaces: [{ interfaceClass: '09', driver: 'hub' }],
    });
    const dirs = new Map<string, string>([[`${bus}-0`, rootAt]]);
    for (const d of devices) {
      const parentName = d.portPath.includes('.')
        ? d.portPath.slice(0, d.portPath.lastIndexOf('.'))
        : `${bus}-0`;
      const parent = dirs.get(parentName);
      if (parent === undefined) throw new Error(`${d.portPath} is listed before its hub ${parentName}`);
      const at = `${parent}/${d.portPath}`;
      dirs.set(d.portPath, at);
      writeDevice(w, at, d.portPath, d.portPath, bus, d);
    }
  }
}
