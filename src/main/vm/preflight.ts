import fs from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { TesseraError } from '../../shared/errors';
import type { VmSpec } from '../../shared/vm-spec';

export interface PreflightOptions {
  /** Where distribution kernels keep their modules: `/lib/modules` on a real host. */
  modulesRoot?: string;
  /** fs.promises.access by default; tests replace it because root passes every permission check. */
  access?: (file: string, mode: number) => Promise<void>;
}

/** Where in a VmConfig a problem is, as zod writes issue paths, so an editor shows it by the field. */
export interface FieldIssue {
  path: (string | number)[];
  message: string;
}

/**
 * Everything about the files a spec names that would make QEMU fail to start, or start a guest
 * that cannot boot, each as a BAD_INPUT error naming the file, with `details.issues` naming the
 * field. Checked before QEMU runs, because
 * QEMU's own messages come late (after the window opened) and name options, not the user's fields.
 */
export async function findPreflightProblems(
  spec: VmSpec,
  opts: PreflightOptions = {},
): Promise<TesseraError[]> {
  const access = opts.access ?? fs.access;
  const problems: FieldIssue[] = [];
  const check = async (
    field: FieldIssue['path'],
    what: string,
    file: string,
    writable: boolean,
  ): Promise<boolean> => {
    const problem = await fileProblem(what, file, writable, access);
    if (problem !== undefined) problems.push({ path: field, message: problem });
    return problem === undefined;
  };

  for (const [i, disk] of spec.disks.entries()) {
    await check(['disks', i, 'path'], 'disk', disk.path, !disk.readOnly);
  }
  if (spec.cdrom !== undefined) await check(['cdrom'], 'CD-ROM image', spec.cdrom, false);
  if (spec.kernel) {
    const { path: kernel, initrd } = spec.kernel;
    const kernelOk = await check(['kernel', 'path'], 'kernel', kernel, false);
    if (initrd !== undefined) await check(['kernel', 'initrd'], 'initrd', initrd, false);
    if (kernelOk) {
      const problem = await kernelProblem(kernel, initrd, opts.modulesRoot ?? '/lib/modules');
      if (problem !== undefined) problems.push(problem);
    }
  }
  return problems.map((issue) => new TesseraError('BAD_INPUT', issue.message, { issues: [issue] }));
}

/** Throws the one problem, or all of them in one BAD_INPUT error (each in `details.issues`). */
export async function preflightVm(spec: VmSpec, opts: PreflightOptions = {}): Promise<void> {
  const problems = await findPreflightProblems(spec, opts);
  const [first] = problems;
  if (first === undefined) return;
  if (problems.length === 1) throw first;
  throw new TesseraError('BAD_INPUT', problems.map((p) => p.message).join('; '), {
    issues: problems.flatMap((p) => (p.details as { issues: FieldIssue[] }).issues),
  });
}

async function fileProblem(
  what: string,
  file: string,
  writable: boolean,
  access: NonNullable<PreflightOptions['access']>,
): Promise<string | undefined> {
  let stat;
  try {
    stat = await fs.stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return `${what} ${file} does not exist`;
    if (code === 'EACCES') return `${what} ${file} cannot be reached: permission denied on a folder above it`;
    return `${what} ${file} cannot be read (${code ?? String(error)})`;
  }
  // The argv opens every image with QEMU's `file` driver, which takes regular files only.
  if (!stat.isFile()) return `${what} ${file} is not a regular file`;
  try {
    await access(file, constants.R_OK);
  } catch {
    return `${what} ${file} is not readable by this user: fix its permissions`;
  }
  if (writable) {
    try {
      await access(file, constants.W_OK);
    } catch {
      return `${what} ${file} is not writable by this user: fix its permissions or make the disk read-only`;
    }
  }
  return undefined;
}

// Linux x86 boot protocol (Documentation/arch/x86/boot.rst): the setup header starts at 0x1F1,
// "HdrS" at 0x202 marks it, and kernel_version at 0x20E points (minus 0x200) to a NUL-terminated
// version string inside the setup code, which is at most 64 KiB.
const HEADER_MAGIC_OFFSET = 0x202;
const PROTOCOL_OFFSET = 0x206;
const KERNEL_VERSION_OFFSET = 0x20e;
const SETUP_BASE = 0x200;
const VERSION_MAX_BYTES = 256;
const HEADER_READ_BYTES = SETUP_BASE + 0x10000 + VERSION_MAX_BYTES;

export interface BzImageInfo {
  /** First word of the version string, e.g. `6.1.0-56-cloud-amd64`; undefined if the image has none. */
  version: string | undefined;
}

/** The setup header of a bzImage, or undefined when the bytes are not one. */
export function parseBzImage(head: Buffer): BzImageInfo | undefined {
  if (head.length < KERNEL_VERSION_OFFSET + 2) return undefined;
  if (head.toString('latin1', HEADER_MAGIC_OFFSET, HEADER_MAGIC_OFFSET + 4) !== 'HdrS') return undefined;
  const protocol = head.readUInt16LE(PROTOCOL_OFFSET);
  const pointer = head.readUInt16LE(KERNEL_VERSION_OFFSET);
  // kernel_version exists from boot protocol 2.00 on; 0 means the image does not say.
  if (protocol < 0x200 || pointer === 0) return { version: undefined };
  const start = SETUP_BASE + pointer;
  if (start >= head.length) return { version: undefined };
  const end = head.indexOf(0, start);
  const text = head.toString(
    'latin1',
    start,
    end === -1 ? Math.min(head.length, start + VERSION_MAX_BYTES) : end,
  );
  const word = text.trim().split(/\s+/, 1)[0] ?? '';
  // The version becomes a file name below; anything but a plain release string is not trusted.
  return { version: /^[\w.+~-]+$/.test(word) ? word : undefined };
}

async function kernelProblem(
  kernel: string,
  initrd: string | undefined,
  modulesRoot: string,
): Promise<FieldIssue | undefined> {
  const onKernel = (message: string): FieldIssue => ({ path: ['kernel', 'path'], message });
  let head: Buffer;
  try {
    const handle = await fs.open(kernel, 'r');
    try {
      const buffer = Buffer.alloc(HEADER_READ_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    return onKernel(
      `kernel ${kernel} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  // QEMU can also boot multiboot and PVH ELF images, but Tessera's direct kernel boot is for
  // Linux: anything else is far more likely a wrong file than one of those.
  const info = parseBzImage(head);
  if (!info) return onKernel(`${kernel} is not a Linux kernel image (bzImage)`);
  if (initrd !== undefined || info.version === undefined) return undefined;

  // A distribution kernel keeps its disk and virtio drivers as modules and finds them in its
  // initrd; booted without one it panics with "VFS: Unable to mount root fs".
  const version = info.version;
  const besideKernel = path.join(path.dirname(kernel), `initrd.img-${version}`);
  const hasInitrd = await exists(besideKernel);
  if (!hasInitrd && !(await exists(path.join(modulesRoot, version)))) return undefined;
  const fix = hasInitrd ? `add --initrd ${besideKernel}` : `add --initrd with an initrd built for ${version}`;
  return {
    // The fix is an initrd, so that is the field to point at.
    path: ['kernel', 'initrd'],
    message: `kernel ${kernel} (version ${version}) is a distribution kernel that loads its drivers from an initrd: ${fix}`,
  };
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Host ports this spec forwards that another VM (or this spec itself) already forwards.
 * Addresses are ignored: 0.0.0.0 and 127.0.0.1 on one port cannot both be bound on Linux.
 */
export function findForwardConflicts(spec: VmSpec, others: readonly VmSpec[]): string[] {
  if (spec.network.mode === 'none') return [];
  const messages = new Set<string>();
  const key = (f: { protocol: string; hostPort: number }): string => `${f.protocol}/${f.hostPort}`;

  const own = new Set<string>();
  for (const forward of spec.network.forwards) {
    const k = key(forward);
    if (own.has(k)) messages.add(`host port ${k} is forwarded twice by VM '${spec.name}'`);
    own.add(k);
  }
  for (const other of others) {
    if (other.name === spec.name || other.network.mode === 'none') continue;
    for (const forward of other.network.forwards) {
      const k = key(forward);
      if (own.has(k)) messages.add(`host port ${k} is already forwarded by VM '${other.name}'`);
    }
  }
  return [...messages];
}
