import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GpuInventory } from '../../shared/gpu-inventory';
import { VmCreateInput } from '../../shared/vm-spec';
import {
  UsageError,
  createInputFromOptions,
  gpuOptionNeedsInventory,
  parseCreateOptions,
  parseForward,
  parseGpuOption,
  requireName,
} from './parse-options';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-cli-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** What `tessera vm create NAME ARGS...` would build. */
function create(args: string[], inventory?: GpuInventory) {
  return createInputFromOptions('alpha', parseCreateOptions(args).values, inventory);
}

function file(name: string, content: Buffer | string): string {
  const full = path.join(dir, name);
  fs.writeFileSync(full, content);
  return full;
}

const QCOW2_MAGIC = Buffer.from([0x51, 0x46, 0x49, 0xfb]); // "QFI\xfb"

describe('parseForward', () => {
  it('reads HOSTPORT:GUESTPORT as TCP on loopback', () => {
    expect(parseForward('2222:22')).toEqual({
      protocol: 'tcp',
      hostAddress: '127.0.0.1',
      hostPort: 2222,
      guestPort: 22,
    });
  });

  it('reads a protocol prefix', () => {
    expect(parseForward('udp:5353:53')).toEqual({
      protocol: 'udp',
      hostAddress: '127.0.0.1',
      hostPort: 5353,
      guestPort: 53,
    });
    expect(parseForward('tcp:8080:80')).toMatchObject({ protocol: 'tcp', hostPort: 8080, guestPort: 80 });
  });

  it('reads a host address', () => {
    expect(parseForward('0.0.0.0:8080:80')).toEqual({
      protocol: 'tcp',
      hostAddress: '0.0.0.0',
      hostPort: 8080,
      guestPort: 80,
    });
    expect(parseForward('udp:0.0.0.0:5353:53')).toEqual({
      protocol: 'udp',
      hostAddress: '0.0.0.0',
      hostPort: 5353,
      guestPort: 53,
    });
  });

  it.each(['22', '', 'a:b', '2222:', ':22', '2222:22x', 'udp:53', '1:2:3:4', 'tcp:0.0.0.0:1:2:3', '-1:22'])(
    'rejects %j with a usage message',
    (text) => {
      expect(() => parseForward(text)).toThrow(UsageError);
      expect(() => parseForward(text)).toThrow(
        `--forward ${text}: expected HOSTPORT:GUESTPORT, e.g. 2222:22 or udp:5353:53`,
      );
    },
  );
});

describe('createInputFromOptions', () => {
  it('gives just the name when no option is set', () => {
    expect(create([])).toEqual({ name: 'alpha' });
  });

  it('parses numbers', () => {
    expect(create(['--cpus', '4', '--memory', '2048'])).toEqual({ name: 'alpha', cpus: 4, memoryMiB: 2048 });
  });

  it('turns on the guest agent channel with --guest-agent', () => {
    expect(create(['--guest-agent'])).toEqual({ name: 'alpha', guestAgent: true });
  });

  it.each([
    [['--memory', 'lots'], '--memory lots: expected a whole number'],
    [['--memory', '1.5'], '--memory 1.5: expected a whole number'],
    [['--memory', '2G'], '--memory 2G: expected a whole number'],
    [['--cpus', ''], '--cpus : expected a whole number'],
    [['--cpus', 'two'], '--cpus two: expected a whole number'],
  ])('rejects %j', (args, message) => {
    expect(() => create(args)).toThrow(UsageError);
    expect(() => create(args)).toThrow(message);
  });

  it('makes every path absolute', () => {
    const relative = (p: string) => path.relative(process.cwd(), p);
    const cdrom = path.join(dir, 'alpine.iso');
    const kernel = path.join(dir, 'vmlinuz');
    const initrd = path.join(dir, 'initramfs');
    const input = create([
      '--cdrom',
      relative(cdrom),
      '--kernel',
      relative(kernel),
      '--initrd',
      relative(initrd),
      '--append',
      'console=ttyS0 quiet',
    ]);
    expect(input).toEqual({
      name: 'alpha',
      cdrom,
      kernel: { path: kernel, initrd, append: 'console=ttyS0 quiet' },
    });
    expect(path.isAbsolute(relative(cdrom))).toBe(false);
  });

  it('detects qcow2 by its magic bytes and uses anything else as raw', () => {
    const qcow2 = file('disk.qcow2', Buffer.concat([QCOW2_MAGIC, Buffer.alloc(508)]));
    const namedQcow2ButRaw = file('fake.qcow2', Buffer.alloc(512));
    const raw = file('disk.img', Buffer.concat([Buffer.from('QFI\0'), Buffer.alloc(508)]));
    const tiny = file('tiny.img', 'QF');
    const missing = path.join(dir, 'missing.qcow2');
    const input = create([
      '--disk',
      path.relative(process.cwd(), qcow2),
      '--disk',
      namedQcow2ButRaw,
      '--disk',
      raw,
    ]);
    expect(input.disks).toEqual([
      { path: qcow2, format: 'qcow2' },
      { path: namedQcow2ButRaw, format: 'raw' },
      { path: raw, format: 'raw' },
    ]);
    expect(create(['--disk', tiny, '--disk', missing]).disks).toEqual([
      { path: tiny, format: 'raw' },
      { path: missing, format: 'raw' },
    ]);
  });

  it('refuses --initrd or --append without --kernel', () => {
    expect(() => create(['--initrd', '/boot/initrd'])).toThrow(UsageError);
    expect(() => create(['--initrd', '/boot/initrd'])).toThrow(
      '--initrd needs --kernel: an initrd is only used with direct kernel boot',
    );
    expect(() => create(['--append', 'quiet'])).toThrow(
      '--append needs --kernel: kernel arguments are only used with direct kernel boot',
    );
  });

  it('builds the network from --forward and --network', () => {
    expect(create(['--forward', '2222:22', '--forward', 'udp:5353:53'])).toEqual({
      name: 'alpha',
      network: {
        mode: 'user',
        forwards: [
          { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 2222, guestPort: 22 },
          { protocol: 'udp', hostAddress: '127.0.0.1', hostPort: 5353, guestPort: 53 },
        ],
      },
    });
    expect(create(['--network', 'none'])).toEqual({ name: 'alpha', network: { mode: 'none', forwards: [] } });
    expect(() => create(['--forward', 'ssh'])).toThrow(UsageError);
  });

  it('passes enum values through for the contract to check', () => {
    const input = create([
      '--firmware',
      'uefi',
      '--gpu',
      'virtio',
      '--display',
      'none',
      '--restart',
      'on-crash',
    ]);
    expect(input).toEqual({
      name: 'alpha',
      firmware: 'uefi',
      gpu: { kind: 'virtio', gl: false },
      display: { kind: 'none' },
      restartPolicy: 'on-crash',
    });
    expect(VmCreateInput.safeParse(create(['--firmware', 'coreboot'])).success).toBe(false);
  });

  it('still takes --vga, the spelling before --gpu, but not both', () => {
    expect(create(['--vga', 'std'])).toEqual({ name: 'alpha', gpu: { kind: 'std' } });
    // Without an adapter there is nothing to show, so the display follows unless given.
    expect(create(['--vga', 'none'])).toEqual({
      name: 'alpha',
      gpu: { kind: 'none' },
      display: { kind: 'none' },
    });
    expect(() => create(['--vga', 'std', '--gpu', 'virtio'])).toThrow(/older spelling of --gpu/);
  });

  it('builds an input the contract accepts', () => {
    const disk = file('root.qcow2', Buffer.concat([QCOW2_MAGIC, Buffer.alloc(60)]));
    const input = create([
      '--cpus',
      '2',
      '--memory',
      '512',
      '--disk',
      disk,
      '--kernel',
      '/boot/vmlinuz',
      '--append',
      'console=ttyS0',
      '--forward',
      '0.0.0.0:8080:80',
    ]);
    expect(VmCreateInput.parse(input)).toMatchObject({
      name: 'alpha',
      cpus: 2,
      memoryMiB: 512,
      disks: [{ path: disk, format: 'qcow2', readOnly: false }],
      network: { mode: 'user', forwards: [{ hostAddress: '0.0.0.0', hostPort: 8080, guestPort: 80 }] },
    });
  });
});

describe('requireName', () => {
  it('returns the first positional or throws usage', () => {
    expect(requireName(['alpha', 'extra'], 'create')).toBe('alpha');
    expect(() => requireName([], 'start')).toThrow(new UsageError('usage: tessera vm start NAME'));
  });
});

describe('--gpu', () => {
  const ADLP = '0000:00:02.0';
  // What gpu.list says on the simulated Alder Lake-P: one PF with VFs 00:02.1 and 00:02.2.
  const inventory = {
    gpus: [{ address: ADLP, vfs: [{ address: '0000:00:02.1' }, { address: '0000:00:02.2' }] }],
  } as unknown as GpuInventory;

  it.each([
    ['none', { kind: 'none' }],
    ['std', { kind: 'std' }],
    ['virtio', { kind: 'virtio', gl: false }],
    ['virtio-gl', { kind: 'virtio', gl: true }],
    ['vf:0000:00:02.0', { kind: 'vf', pf: ADLP }],
    ['vf:00:02.0', { kind: 'vf', pf: ADLP }],
    ['vf:0000:00:02.2', { kind: 'vf', pf: ADLP, vf: '0000:00:02.2' }],
    ['vf:0000:4d:00.0', { kind: 'vf', pf: '0000:4d:00.0' }],
    ['mdev:0000:00:02.0:i915-GVTg_V5_4', { kind: 'mdev', parent: ADLP, type: 'i915-GVTg_V5_4' }],
    ['mdev:00:02.0:i915-GVTg_V5_8', { kind: 'mdev', parent: ADLP, type: 'i915-GVTg_V5_8' }],
    ['passthrough:0000:00:02.0', { kind: 'passthrough', device: ADLP }],
  ])('%s', (text, gpu) => {
    expect(parseGpuOption(text, inventory)).toEqual(gpu);
  });

  it.each(['vf', 'vf:', 'mdev:0000:00:02.0', 'passthrough', 'vga', 'none:1'])(
    'refuses %j with the forms it takes',
    (text) => {
      expect(() => parseGpuOption(text, inventory)).toThrow(/expected --gpu none\|std\|virtio/);
    },
  );

  it('asks for the inventory only for vf:', () => {
    expect(gpuOptionNeedsInventory('vf:00:02.0')).toBe(true);
    expect(gpuOptionNeedsInventory('passthrough:00:02.0')).toBe(false);
    expect(gpuOptionNeedsInventory(undefined)).toBe(false);
  });

  it('gives the contract a VF spec it accepts', () => {
    expect(
      VmCreateInput.parse(create(['--gpu', 'vf:0000:00:02.2', '--display', 'vnc'], inventory)).gpu,
    ).toEqual({
      kind: 'vf',
      pf: ADLP,
      vf: '0000:00:02.2',
    });
  });
});

describe('--display and the rest of the GPU guest flags', () => {
  it.each([
    [['--display', 'vnc'], { kind: 'vnc' }],
    [['--display', 'spice'], { kind: 'spice' }],
    [['--display', 'none'], { kind: 'none' }],
    [
      ['--display', 'local'],
      { kind: 'local', monitor: null, fullScreen: true, showFps: false, hostInput: true },
    ],
    [
      ['--display', 'local:HDMI-A-1', '--windowed', '--show-fps'],
      { kind: 'local', monitor: 'HDMI-A-1', fullScreen: false, showFps: true, hostInput: true },
    ],
  ])('%j', (args, display) => {
    expect(create(args).display).toEqual(display);
  });

  it('refuses what is not a display, and window flags without a window', () => {
    expect(() => create(['--display', 'gtk'])).toThrow(/expected vnc, spice, none, local or local:CONNECTOR/);
    expect(() => create(['--display', 'vnc:1'])).toThrow(UsageError);
    expect(() => create(['--windowed'])).toThrow(/go with --display local/);
    expect(() => create(['--display', 'spice', '--show-fps'])).toThrow(/go with --display local/);
  });

  it('takes hugepages and host CPUs, one per vCPU', () => {
    expect(create(['--hugepages', '--cpus', '2', '--pin-cpus', '2, 3'])).toMatchObject({
      memoryBacking: { hugepages: '2M' },
      cpuPinning: [2, 3],
    });
    expect(() => create(['--pin-cpus', '2,x'])).toThrow(/expected host CPU numbers/);
  });

  it('applies the Windows 11 profile over the flags it concerns', () => {
    const disk = file('win.qcow2', Buffer.concat([QCOW2_MAGIC, Buffer.alloc(60)]));
    const input = create(['--windows11', '--firmware', 'bios', '--memory', '8192', '--disk', disk]);
    expect(VmCreateInput.parse(input)).toMatchObject({
      cpus: 2,
      memoryMiB: 8192,
      firmware: 'uefi-secure-boot',
      tpm: true,
      hyperv: true,
      disks: [{ path: disk, bus: 'sata' }],
      network: { model: 'e1000e' },
    });
  });
});

describe('--usb, --evdev and --no-host-input', () => {
  it('takes USB devices by port path or ids, lower-casing the ids as lsusb prints them, serials as they are', () => {
    const input = create(['--usb', '3-1.1', '--usb', '046D:C52B', '--usb', '0C2E:0B61:17293B0135']);
    expect(input.usb).toEqual(['3-1.1', '046d:c52b', '0c2e:0b61:17293B0135']);
    expect(VmCreateInput.parse(input).usb).toEqual(input.usb);
  });

  it('leaves what is not a USB device for the schema to name', () => {
    const parsed = VmCreateInput.safeParse(create(['--usb', '3.1']));
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]).toMatchObject({
      path: ['usb', 0],
      message: expect.stringContaining('port path'),
    });
  });

  it('takes evdev nodes and turns the window input off', () => {
    const input = create([
      '--display',
      'local:DP-1',
      '--no-host-input',
      '--evdev',
      '/dev/input/by-id/usb-Logitech_USB_Keyboard-event-kbd',
    ]);
    expect(input.display).toMatchObject({ kind: 'local', hostInput: false });
    expect(input.evdev).toEqual(['/dev/input/by-id/usb-Logitech_USB_Keyboard-event-kbd']);
    expect(() => create(['--display', 'vnc', '--no-host-input'])).toThrow(/go with --display local/);
  });
});
