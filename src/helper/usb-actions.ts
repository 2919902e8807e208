/**
 * `grant-usb`: give a USB device's node (`/dev/bus/usb/BBB/DDD`, drivers/usb/core/usb.c
 * usb_devnode) to the calling user so an unprivileged QEMU's usb-host can open it, and back to
 * root when the VM is done with it. Only a node that is exactly that path (no link on the way,
 * realpath inside /dev/bus/usb), a USB character device (major 189, USB_DEVICE_MAJOR in
 * include/linux/usb.h), of a device sysfs lists on that bus at that address that is not a hub.
 */
import fs from 'node:fs';
import type { HelperStep } from '../shared/helper-plan';
import type { Action, CheckContext } from './actions';
import { HelperFailure } from './helper-failure';
import { fileIn } from './host-files';
import { nameOnce } from './targets';

const USB_DEVICE_MAJOR = 189;
const DEVICES = '/sys/bus/usb/devices';
/** A device's kernel name, `3-1.4.2`; root hubs (`usb3`) and interfaces (`3-1:1.0`) are not devices to give. */
const DEVICE_NAME = /^\d+-\d+(\.\d+)*$/;

type GrantUsb = Extract<HelperStep, { op: 'grant-usb' }>;

const refuse = (step: number, message: string): never => {
  throw new HelperFailure('BAD_TARGET', message, step);
};

/** The sysfs name of the device at `bus`/`address`, null when there is none. */
function deviceAt(ctx: CheckContext, bus: number, address: number): string | null {
  for (const name of ctx.files.list(DEVICES)) {
    if (!DEVICE_NAME.test(name)) continue;
    const at = ctx.files.inside(`${DEVICES}/${name}`, '/sys/devices');
    if (at === null) continue;
    if (Number(ctx.files.read(`${at}/busnum`)) === bus && Number(ctx.files.read(`${at}/devnum`)) === address)
      return at;
  }
  return null;
}

/** Linux's dev_t as stat(2) gives it: the major number is bits 8–19 (new_encode_dev). */
const majorOf = (rdev: number) => (rdev >> 8) & 0xfff;

export function checkGrantUsb(ctx: CheckContext, step: GrantUsb, index: number): Action {
  const { bus, address, to } = step;
  const node = `/dev/bus/usb/${String(bus).padStart(3, '0')}/${String(address).padStart(3, '0')}`;
  const at = deviceAt(ctx, bus, address);
  if (at === null) refuse(index, `there is no USB device at address ${address} on bus ${bus}`);
  if (ctx.files.read(`${at}/bDeviceClass`)?.trim() === '09')
    refuse(index, `${node} is a hub: a VM is given the devices behind it, never the hub`);
  if (fileIn(ctx.files, node, '/dev/bus/usb') === null)
    refuse(index, `${node} is missing or leads out of /dev/bus/usb`);
  const stat = fs.lstatSync(ctx.files.machine(node), { throwIfNoEntry: false });
  // On a simulated host a regular file in the tree stands for the node.
  const isNode =
    ctx.files.root === '/'
      ? stat?.isCharacterDevice() === true && majorOf(stat.rdev) === USB_DEVICE_MAJOR
      : stat?.isFile() === true;
  if (!isNode) refuse(index, `${node} is not a USB device node`);
  const owner = ctx.files.ownerOf(node);
  if (to === 'caller' && owner !== 0 && owner !== ctx.callerUid)
    throw new HelperFailure('IN_USE', `${node} belongs to uid ${owner} (another user's VM has it)`, index);
  if (to === 'root' && owner !== 0 && owner !== ctx.callerUid)
    refuse(index, `${node} belongs to uid ${owner}, not to the caller: it is not the caller's to give back`);
  nameOnce(ctx, node, index);
  const target = to === 'caller' ? ctx.callerUid : 0;
  return {
    step: index,
    op: 'grant-usb',
    phase: 'grant-vfio',
    run(io) {
      if (io.files.ownerOf(node) === target) return;
      io.chown(node, target, { kind: 'usb_node', node });
      io.undo(`give ${node} back to uid ${owner}`, (u) =>
        u.chown(node, owner ?? 0, { kind: 'usb_node', node }),
      );
    },
  };
}
