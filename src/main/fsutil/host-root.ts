import fs from 'node:fs';
import path from 'node:path';

/** Why a host path could not be read; `reason` says it in words. */
export type ReadFailureKind = 'missing' | 'denied' | 'escapes' | 'dangling' | 'loop' | 'error';

export type HostRead<T> =
  { ok: true; value: T } | { ok: false; kind: ReadFailureKind; path: string; reason: string; errno?: string };

/** The parts of node:fs a HostRoot uses; tests swap in failures (root passes every permission check). */
export type HostFs = Pick<
  typeof fs,
  'lstatSync' | 'readlinkSync' | 'readFileSync' | 'readdirSync' | 'accessSync'
>;

/**
 * Every read of the host's kernel state (sys/, proc/, dev/) goes through one root: `/` for this
 * machine, or a directory holding a copy or a simulation. Paths are host paths (`/sys/bus/pci/…`)
 * and symlinks are resolved inside the root the way the kernel's relative sysfs links resolve
 * (docs/sriov-sysfs.md#example-hosts: kernfs writes relative targets). A link that climbs out of the root, dangles or
 * loops is reported, never followed outside.
 */
export interface HostRoot {
  /** The directory on this machine; `/` for the real host. */
  readonly dir: string;
  readText(hostPath: string): HostRead<string>;
  /** Entry names, sorted. */
  readDir(hostPath: string): HostRead<string[]>;
  /** The link's own target text, as the kernel wrote it. */
  readLink(hostPath: string): HostRead<string>;
  /** The canonical host path with every link resolved inside the root. */
  resolve(hostPath: string): HostRead<string>;
  /** What the path is after resolving links in its parents (a link itself is `link`). */
  kind(hostPath: string): HostRead<'file' | 'dir' | 'link' | 'other'>;
  /** Whether this process may open it with `mode` (fs.constants.R_OK | W_OK). */
  access(hostPath: string, mode: number): HostRead<true>;
  /** Where a host path is on this machine (for messages and for a helper that writes). */
  machinePath(hostPath: string): string;
}

const MAX_LINKS = 40; // the kernel's own limit on links followed in one lookup (ELOOP)

function errnoOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? 'EIO';
}

function fail<T>(kind: ReadFailureKind, hostPath: string, reason: string): HostRead<T> {
  return { ok: false, kind, path: hostPath, reason };
}

function failureFromErrno<T>(error: unknown, hostPath: string): HostRead<T> {
  const code = errnoOf(error);
  if (code === 'ENOENT' || code === 'ENOTDIR') return fail('missing', hostPath, `${hostPath} does not exist`);
  if (code === 'EACCES' || code === 'EPERM') {
    return fail('denied', hostPath, `permission denied reading ${hostPath} (root can read it)`);
  }
  // Sysfs and debugfs answer some reads with an errno that carries meaning (EIO from a write-only
  // attribute, ENODEV from guc_info without GuC), so the code travels with the failure.
  return {
    ok: false,
    kind: 'error',
    path: hostPath,
    reason: `cannot read ${hostPath} (${code})`,
    errno: code,
  };
}

export function createHostRoot(dir: string, hostFs: HostFs = fs): HostRoot {
  const root = path.resolve(dir);
  const isMachineRoot = root === '/';
  const onMachine = (hostPath: string) => (isMachineRoot ? hostPath : path.join(root, hostPath));

  /** Walk the path one component at a time, replacing each link by its target, never above the root. */
  function resolve(hostPath: string, followLast: boolean): HostRead<string> {
    if (!hostPath.startsWith('/')) return fail('error', hostPath, `${hostPath} is not an absolute host path`);
    const resolved: string[] = [];
    const parts = (text: string, fromLink: boolean) =>
      text
        .split('/')
        .filter((c) => c !== '' && c !== '.')
        .map((part) => ({ part, fromLink }));
    const pending = parts(hostPath, false);
    let links = 0;
    let lastLink: { at: string; target: string } | undefined;
    while (pending.length > 0) {
      const { part, fromLink } = pending.shift() as { part: string; fromLink: boolean };
      if (part === '..') {
        if (resolved.length === 0) {
          // At `/` the real kernel stays at `/`; inside a directory that would mean leaving it.
          if (isMachineRoot) continue;
          const via = lastLink ? `${lastLink.at} -> ${lastLink.target}` : hostPath;
          return fail('escapes', hostPath, `${via} leads outside the host root ${root}`);
        }
        resolved.pop();
        continue;
      }
      const current = '/' + [...resolved, part].join('/');
      let stat: fs.Stats;
      try {
        stat = hostFs.lstatSync(onMachine(current));
      } catch (error) {
        const code = errnoOf(error);
        if ((code === 'ENOENT' || code === 'ENOTDIR') && fromLink && lastLink) {
          return fail('dangling', hostPath, `${lastLink.at} -> ${lastLink.target} points to nothing`);
        }
        // A missing path is named as asked; a refused one by the directory that refused.
        return failureFromErrno(error, code === 'ENOENT' || code === 'ENOTDIR' ? hostPath : current);
      }
      if (stat.isSymbolicLink() && (pending.length > 0 || followLast)) {
        if (++links > MAX_LINKS) return fail('loop', hostPath, `too many levels of links under ${hostPath}`);
        let target: string;
        try {
          target = hostFs.readlinkSync(onMachine(current), 'utf8');
        } catch (error) {
          return failureFromErrno(error, current);
        }
        lastLink = { at: current, target };
        // An absolute target names a path of the host, so it restarts at the host root.
        if (target.startsWith('/')) resolved.length = 0;
        pending.unshift(...parts(target, true));
        continue;
      }
      resolved.push(part);
    }
    return { ok: true, value: '/' + resolved.join('/') };
  }

  return {
    dir: root,
    resolve: (hostPath) => resolve(hostPath, true),
    readText(hostPath) {
      const where = resolve(hostPath, true);
      if (!where.ok) return where;
      try {
        return { ok: true, value: hostFs.readFileSync(onMachine(where.value), 'utf8') };
      } catch (error) {
        return failureFromErrno(error, hostPath);
      }
    },
    readDir(hostPath) {
      const where = resolve(hostPath, true);
      if (!where.ok) return where;
      try {
        return { ok: true, value: hostFs.readdirSync(onMachine(where.value)).sort() };
      } catch (error) {
        return failureFromErrno(error, hostPath);
      }
    },
    readLink(hostPath) {
      const where = resolve(hostPath, false);
      if (!where.ok) return where;
      try {
        return { ok: true, value: hostFs.readlinkSync(onMachine(where.value), 'utf8') };
      } catch (error) {
        if (errnoOf(error) === 'EINVAL') return fail('error', hostPath, `${hostPath} is not a link`);
        return failureFromErrno(error, hostPath);
      }
    },
    kind(hostPath) {
      const where = resolve(hostPath, false);
      if (!where.ok) return where;
      try {
        const stat = hostFs.lstatSync(onMachine(where.value));
        const kind = stat.isSymbolicLink()
          ? 'link'
          : stat.isDirectory()
            ? 'dir'
            : stat.isFile()
              ? 'file'
              : 'other';
        return { ok: true, value: kind };
      } catch (error) {
        return failureFromErrno(error, hostPath);
      }
    },
    access(hostPath, mode) {
      const where = resolve(hostPath, true);
      if (!where.ok) return where;
      try {
        hostFs.accessSync(onMachine(where.value), mode);
        return { ok: true, value: true };
      } catch (error) {
        const code = errnoOf(error);
        if (code === 'EACCES' || code === 'EPERM') {
          return fail('denied', hostPath, `this user may not open ${hostPath}`);
        }
        return failureFromErrno(error, hostPath);
      }
    },
    machinePath: onMachine,
  };
}
