import { parseArgs } from 'node:util';
import { describeUsbDevice, type UsbInventory } from '../../shared/usb';
import type { CliSession } from './cli-link';
import { print } from './gpu-command';
import { table, unreadableLines } from './host-format';
import { parseUsbOption, requireName, UsageError } from './parse-options';

export const USB_USAGE = `  usb list [--json]           the host's USB devices: port path, ids, names, drivers, owner VM
  vm usb attach|detach NAME DEVICE   plug a USB device (PORTPATH or VID:PID[:SERIAL]) into a running VM, or out`;

/** `bus-port` order as sysfs names them; a hub's devices follow it, indented by tier. */
export function formatUsbList(inventory: UsbInventory): string {
  const lines: string[] = [];
  if (inventory.simulated)
    lines.push('Simulated host: these USB devices exist only in its tree; no guest ever sees one.', '');
  if (inventory.devices.length === 0) lines.push('No USB devices (besides the root hubs).');
  else {
    const rows = [
      ['PORT', 'ID', 'DEVICE', 'CLASS', 'DRIVERS', 'VM'],
      ...inventory.devices.map((d) => {
        const tier = d.portPath.split('.').length - 1;
        const drivers = [...new Set(d.interfaces.map((i) => i.driver ?? '-'))].join(',');
        const owners = d.heldBy !== null ? `${d.heldBy} (running)` : d.assignedTo.join(',') || '-';
        return [
          '  '.repeat(tier) + d.portPath,
          `${d.vendorId}:${d.productId}`,
          `${describeUsbDevice(d)}${d.serial !== null ? ` [${d.serial}]` : ''}`,
          d.hub
            ? 'hub'
            : d.deviceClass === '00'
              ? d.interfaces.map((i) => i.interfaceClass).join('+')
              : d.deviceClass,
          drivers,
          owners,
        ];
      }),
    ];
    lines.push(...table(rows, ''));
  }
  lines.push(...unreadableLines(inventory.unreadable));
  return lines.join('\n') + '\n';
}

export async function usbCommand(session: CliSession, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'list') throw new UsageError(`usage:\n${USB_USAGE}`);
  const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' } } });
  const inventory = await session.client.call('usb.list', {});
  print(values.json === true, inventory, () => formatUsbList(inventory));
  return 0;
}

/** `tessera vm usb attach|detach NAME DEVICE`. */
export async function vmUsbCommand(session: CliSession, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' } },
  });
  const [verb, ...names] = positionals;
  const id = requireName(names, `usb ${verb ?? 'attach'}`);
  const device = names[1];
  if ((verb !== 'attach' && verb !== 'detach') || device === undefined)
    throw new UsageError('usage: tessera vm usb attach|detach NAME PORTPATH|VID:PID[:SERIAL]');
  const selector = parseUsbOption(device);
  const vm = await session.client.call(verb === 'attach' ? 'vm.usbAttach' : 'vm.usbDetach', {
    id,
    device: selector,
  });
  print(values.json === true, vm, () =>
    verb === 'attach'
      ? `attached ${selector} to VM '${id}' (it has ${vm.usbAttached?.join(', ') ?? selector})\n`
      : `detached ${selector} from VM '${id}'\n`,
  );
  return 0;
}
