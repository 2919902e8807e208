import fs from 'node:fs';
import { constants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import type { z } from 'zod';
import { TesseraError } from '../../shared/errors';
import { VmSpec, type PortForward } from '../../shared/vm-spec';
import { TEST_VM_UUID } from '../../../tests/support/vm-info';
import { findForwardConflicts, findPreflightProblems, parseBzImage, preflightVm } from './preflight';

let dir: string;
let modulesRoot: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-preflight-'));
  modulesRoot = path.join(dir, 'lib/modules');
  fs.mkdirSync(modulesRoot, { recursive: true });
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

type SpecInput = Omit<z.input<typeof VmSpec>, 'name' | 'uuid' | 'createdAt'> & { name?: string };

function spec(input: SpecInput): VmSpec {
  return VmSpec.parse({
    name: 'vm',
    uuid: TEST_VM_UUID,
    createdAt: '2025-01-02T03:04:05.000Z',
    ...input,
  });
}

function file(relative: string, content: string | Buffer = 'x'): string {
  const full = path.join(dir, relative);
  fs.mkdirSync(path.dirname(full), { recursive: true });
  fs.writeFileSync(full, content);
  return full;
}

/** The bytes of a bzImage that matter here: the setup header and the version string it points to. */
function fakeBzImage(version: string | null, protocol = 0x20f): Buffer {
  const image = Buffer.alloc(0x4000);
  image.write('HdrS', 0x202, 'latin1');
  image.writeUInt16LE(protocol, 0x206);
  if (version !== null) {
    const at = 0x3000;
    image.writeUInt16LE(at - 0x200, 0x20e);
    image.write(`${version}\0`, at, 'latin1');
  }
  return image;
}

async function messages(
  vm: VmSpec,
  options: Parameters<typeof findPreflightProblems>[1] = {},
): Promise<string[]> {
  const problems = await findPreflightProblems(vm, { modulesRoot, ...options });
  for (const p of problems) expect(p).toMatchObject({ code: 'BAD_INPUT' });
  return problems.map((p) => p.message);
}

/** An access() that refuses one mode on one file, as a non-root user would see it. */
function refuse(target: string, refusedMode: number) {
  return async (file: string, mode: number): Promise<void> => {
    if (file === target && (mode & refusedMode) !== 0) {
      throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
    }
  };
}

describe('findPreflightProblems: files', () => {
  it('accepts a spec whose files are all there', async () => {
    const vm = spec({
      disks: [{ path: file('a.qcow2') }, { path: file('b.raw'), format: 'raw', readOnly: true }],
      cdrom: file('install.iso'),
      kernel: { path: file('bzImage', fakeBzImage('6.6.0-tiny (me@host) #1')), initrd: file('initrd') },
    });
    expect(await messages(vm)).toEqual([]);
    await expect(preflightVm(vm, { modulesRoot })).resolves.toBeUndefined();
  });

  it('accepts a spec without files', async () => {
    expect(await messages(spec({}))).toEqual([]);
  });

  it('names each missing file and what it was for', async () => {
    const missing = (name: string): string => path.join(dir, 'gone', name);
    const vm = spec({
      disks: [{ path: missing('disk.qcow2') }],
      cdrom: missing('cd.iso'),
      kernel: { path: missing('bzImage'), initrd: missing('initrd') },
    });
    expect(await messages(vm)).toEqual([
      `disk ${missing('disk.qcow2')} does not exist`,
      `CD-ROM image ${missing('cd.iso')} does not exist`,
      `kernel ${missing('bzImage')} does not exist`,
      `initrd ${missing('initrd')} does not exist`,
    ]);
  });

  it('treats a path through a file as missing', async () => {
    const through = path.join(file('plain'), 'disk.qcow2');
    expect(await messages(spec({ disks: [{ path: through }] }))).toEqual([`disk ${through} does not exist`]);
  });

  it('refuses directories and other non-regular files', async () => {
    fs.mkdirSync(path.join(dir, 'folder.iso'));
    expect(await messages(spec({ cdrom: path.join(dir, 'folder.iso') }))).toEqual([
      `CD-ROM image ${path.join(dir, 'folder.iso')} is not a regular file`,
    ]);
    expect(await messages(spec({ disks: [{ path: '/dev/null', format: 'raw' }] }))).toEqual([
      'disk /dev/null is not a regular file',
    ]);
  });

  it('needs read access to every file', async () => {
    const iso = file('cd.iso');
    expect(await messages(spec({ cdrom: iso }), { access: refuse(iso, constants.R_OK) })).toEqual([
      `CD-ROM image ${iso} is not readable by this user: fix its permissions`,
    ]);
  });

  it('needs write access only to disks that are not read-only', async () => {
    const disk = file('disk.qcow2');
    const access = refuse(disk, constants.W_OK);
    expect(await messages(spec({ disks: [{ path: disk }] }), { access })).toEqual([
      `disk ${disk} is not writable by this user: fix its permissions or make the disk read-only`,
    ]);
    expect(await messages(spec({ disks: [{ path: disk, readOnly: true }] }), { access })).toEqual([]);
    expect(await messages(spec({ cdrom: disk }), { access })).toEqual([]);
  });

  it.skipIf(process.getuid?.() === 0)('uses the real permissions by default', async () => {
    const disk = file('disk.qcow2');
    fs.chmodSync(disk, 0o444);
    expect(await messages(spec({ disks: [{ path: disk }] }))).toEqual([
      `disk ${disk} is not writable by this user: fix its permissions or make the disk read-only`,
    ]);
  });
});

describe('findPreflightProblems: kernels', () => {
  it('refuses a file that is not a bzImage', async () => {
    const kernel = file('vmlinux', Buffer.alloc(0x1000, 0x7f));
    expect(await messages(spec({ kernel: { path: kernel } }))).toEqual([
      `${kernel} is not a Linux kernel image (bzImage)`,
    ]);
    const tiny = file('tiny', 'HdrS');
    expect(await messages(spec({ kernel: { path: tiny } }))).toEqual([
      `${tiny} is not a Linux kernel image (bzImage)`,
    ]);
  });

  it('accepts a self-contained kernel without an initrd', async () => {
    const kernel = file('tiny/bzImage', fakeBzImage('6.6.0-tiny (me@host) #1 SMP'));
    expect(await messages(spec({ kernel: { path: kernel } }))).toEqual([]);
  });

  it('names the initrd beside a distribution kernel', async () => {
    const version = '6.1.0-56-cloud-amd64';
    const kernel = file(
      `boot/vmlinuz-${version}`,
      fakeBzImage(`${version} (debian-kernel@lists.debian.org) #1 SMP`),
    );
    const initrd = file(`boot/initrd.img-${version}`);
    expect(await messages(spec({ kernel: { path: kernel } }))).toEqual([
      `kernel ${kernel} (version ${version}) is a distribution kernel that loads its drivers from an initrd: add --initrd ${initrd}`,
    ]);
    expect(await messages(spec({ kernel: { path: kernel, initrd } }))).toEqual([]);
  });

  it('recognises a distribution kernel by its modules when no initrd sits beside it', async () => {
    const version = '6.12.0-1-amd64';
    const kernel = file('kernels/vmlinuz', fakeBzImage(`${version} (x@y) #1`));
    fs.mkdirSync(path.join(modulesRoot, version));
    expect(await messages(spec({ kernel: { path: kernel } }))).toEqual([
      `kernel ${kernel} (version ${version}) is a distribution kernel that loads its drivers from an initrd: add --initrd with an initrd built for ${version}`,
    ]);
  });

  it('does not judge a kernel that has no version string', async () => {
    const kernel = file('bzImage', fakeBzImage(null));
    file('initrd.img-');
    expect(await messages(spec({ kernel: { path: kernel } }))).toEqual([]);
  });

  it('skips the kernel header when the kernel file itself is the problem', async () => {
    const kernel = path.join(dir, 'gone');
    expect(await messages(spec({ kernel: { path: kernel } }))).toEqual([`kernel ${kernel} does not exist`]);
  });

  // Whichever Debian kernels this machine has (CI installs linux-image-cloud-amd64): Debian names
  // each file after the release the image itself reports.
  const installed = fs.existsSync('/boot')
    ? fs.readdirSync('/boot').filter((n) => n.startsWith('vmlinuz-'))
    : [];
  it.skipIf(installed.length === 0)('reads the installed Debian kernels', () => {
    for (const name of installed) {
      const head = fs.readFileSync(path.join('/boot', name)).subarray(0, 0x10400);
      expect(parseBzImage(head)).toEqual({ version: name.slice('vmlinuz-'.length) });
    }
  });
});

describe('parseBzImage', () => {
  it('takes the first word of the version string', () => {
    expect(parseBzImage(fakeBzImage('6.6.0 (a@b) #1'))).toEqual({ version: '6.6.0' });
  });
  it('has no version before boot protocol 2.00 or with a null pointer', () => {
    expect(parseBzImage(fakeBzImage('6.6.0', 0x1ff))).toEqual({ version: undefined });
    expect(parseBzImage(fakeBzImage(null))).toEqual({ version: undefined });
  });
  it('does not trust a version that could name another folder', () => {
    expect(parseBzImage(fakeBzImage('../../etc x'))).toEqual({ version: undefined });
  });
  it('copes with a pointer past the end of what was read', () => {
    const image = fakeBzImage('6.6.0').subarray(0, 0x1000);
    expect(parseBzImage(image)).toEqual({ version: undefined });
  });
});

describe('preflightVm', () => {
  it('throws the single problem as it is', async () => {
    const gone = path.join(dir, 'gone.iso');
    await expect(preflightVm(spec({ cdrom: gone }), { modulesRoot })).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: `CD-ROM image ${gone} does not exist`,
      details: { issues: [{ path: ['cdrom'], message: `CD-ROM image ${gone} does not exist` }] },
    });
  });

  it('points each problem at its field', async () => {
    const kernel = path.join(dir, 'not-a-kernel');
    fs.writeFileSync(kernel, 'text');
    const initrd = path.join(dir, 'gone.img');
    const error: unknown = await preflightVm(spec({ kernel: { path: kernel, initrd } }), {
      modulesRoot,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      details: {
        issues: [
          { path: ['kernel', 'initrd'], message: `initrd ${initrd} does not exist` },
          { path: ['kernel', 'path'], message: `${kernel} is not a Linux kernel image (bzImage)` },
        ],
      },
    });
  });

  it('throws several problems as one error, each listed', async () => {
    const a = path.join(dir, 'a.qcow2');
    const b = path.join(dir, 'b.qcow2');
    const error: unknown = await preflightVm(spec({ disks: [{ path: a }, { path: b }] }), {
      modulesRoot,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TesseraError);
    expect(error).toMatchObject({
      code: 'BAD_INPUT',
      message: `disk ${a} does not exist; disk ${b} does not exist`,
      details: {
        issues: [
          { path: ['disks', 0, 'path'], message: `disk ${a} does not exist` },
          { path: ['disks', 1, 'path'], message: `disk ${b} does not exist` },
        ],
      },
    });
  });
});

describe('findForwardConflicts', () => {
  const vm = (
    name: string,
    forwards: z.input<typeof PortForward>[],
    mode: 'user' | 'none' = 'user',
  ): VmSpec => spec({ name, network: { mode, forwards } });

  it('finds a host port another VM already forwards', () => {
    const mine = vm('mine', [{ hostPort: 2222, guestPort: 22 }]);
    const other = vm('other', [{ hostPort: 2222, guestPort: 2222 }]);
    expect(findForwardConflicts(mine, [other])).toEqual([
      "host port tcp/2222 is already forwarded by VM 'other'",
    ]);
  });

  it('counts 0.0.0.0 and 127.0.0.1 on one port as a conflict', () => {
    const mine = vm('mine', [{ hostPort: 8080, guestPort: 80, hostAddress: '0.0.0.0' }]);
    const other = vm('other', [{ hostPort: 8080, guestPort: 80 }]);
    expect(findForwardConflicts(mine, [other])).toEqual([
      "host port tcp/8080 is already forwarded by VM 'other'",
    ]);
  });

  it('keeps tcp and udp apart', () => {
    const mine = vm('mine', [{ hostPort: 5353, guestPort: 53, protocol: 'udp' }]);
    const other = vm('other', [{ hostPort: 5353, guestPort: 53 }]);
    expect(findForwardConflicts(mine, [other])).toEqual([]);
  });

  it('ignores the VM itself and VMs without a network', () => {
    const mine = vm('mine', [{ hostPort: 2222, guestPort: 22 }]);
    const offline = vm('offline', [{ hostPort: 2222, guestPort: 22 }], 'none');
    expect(findForwardConflicts(mine, [mine, offline])).toEqual([]);
    expect(findForwardConflicts(vm('mine', [{ hostPort: 2222, guestPort: 22 }], 'none'), [mine])).toEqual([]);
  });

  it('finds a port the spec forwards twice', () => {
    const mine = vm('mine', [
      { hostPort: 2222, guestPort: 22 },
      { hostPort: 2222, guestPort: 23, hostAddress: '0.0.0.0' },
    ]);
    expect(findForwardConflicts(mine, [])).toEqual(["host port tcp/2222 is forwarded twice by VM 'mine'"]);
  });

  it('lists every conflict once', () => {
    const mine = vm('mine', [
      { hostPort: 2222, guestPort: 22 },
      { hostPort: 8080, guestPort: 80 },
    ]);
    const a = vm('a', [
      { hostPort: 2222, guestPort: 22 },
      { hostPort: 2222, guestPort: 22, hostAddress: '0.0.0.0' },
    ]);
    const b = vm('b', [{ hostPort: 8080, guestPort: 8080 }]);
    expect(findForwardConflicts(mine, [a, b])).toEqual([
      "host port tcp/2222 is already forwarded by VM 'a'",
      "host port tcp/8080 is already forwarded by VM 'b'",
    ]);
  });
});
