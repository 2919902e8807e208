import fs from 'node:fs';
import path from 'node:path';

/**
 * The helper's view of the host: host paths (`/sys/…`) inside one root (`/`, or a simulated tree).
 * Every path is resolved with realpath on this machine, so a link can lead anywhere, and is
 * accepted only when the result is where it should be: inside the root, and for writes inside the
 * directory its template names (the device's own sysfs directory, the named driver's directory).
 */
export interface HostFiles {
  readonly root: string;
  /** Where a host path is on this machine. */
  machine(hostPath: string): string;
  /** The canonical host path, null when missing or outside the root. */
  real(hostPath: string): string | null;
  /** The canonical host path when it lies inside `dir` (itself canonical), else null. */
  inside(hostPath: string, dir: string): string | null;
  /** Text of a file reached through `real`, null when unreadable. */
  read(hostPath: string): string | null;
  /** Entry names, sorted; empty when there is no such directory inside the root. */
  list(hostPath: string): string[];
  /** A link's own text, null when it is not a link. */
  linkText(hostPath: string): string | null;
  /** Owner uid of the canonical path, null when missing. */
  ownerOf(hostPath: string): number | null;
  /** Whether any write bit is set: kernfs refuses to open a file without one, even for root. */
  writable(hostPath: string): boolean;
}

/**
 * `remember`: answers are kept, for reading a host that does not change meanwhile (the helper
 * checks a whole plan before its first write, and reads the same links many times doing so).
 */
export function openHostFiles(rootDir: string, options: { remember?: boolean } = {}): HostFiles {
  const root = path.resolve(rootDir);
  const machine = (hostPath: string) => (root === '/' ? hostPath : path.join(root, hostPath));
  const memo = options.remember ? new Map<string, string | null>() : null;
  const real = (hostPath: string): string | null => {
    if (memo === null) return resolveNow(hostPath);
    let known = memo.get(hostPath);
    if (known === undefined) memo.set(hostPath, (known = resolveNow(hostPath)));
    return known;
  };
  const resolveNow = (hostPath: string): string | null => {
    if (!hostPath.startsWith('/') || hostPath.includes('\0')) return null;
    let resolved: string;
    try {
      resolved = fs.realpathSync.native(machine(hostPath));
    } catch {
      return null;
    }
    if (root === '/') return resolved;
    if (resolved === root) return '/';
    return resolved.startsWith(root + '/') ? resolved.slice(root.length) : null;
  };
  const stat = (hostPath: string) => {
    const resolved = real(hostPath);
    return resolved === null ? undefined : fs.statSync(machine(resolved), { throwIfNoEntry: false });
  };
  return {
    root,
    machine,
    real,
    inside(hostPath, dir) {
      const resolved = real(hostPath);
      return resolved !== null && resolved.startsWith(dir === '/' ? '/' : `${dir}/`) ? resolved : null;
    },
    read(hostPath) {
      const resolved = real(hostPath);
      if (resolved === null) return null;
      try {
        return fs.readFileSync(machine(resolved), 'utf8');
      } catch {
        return null;
      }
    },
    list(hostPath) {
      const resolved = real(hostPath);
      if (resolved === null) return [];
      try {
        return fs.readdirSync(machine(resolved)).sort();
      } catch {
        return [];
      }
    },
    linkText(hostPath) {
      const parent = real(path.posix.dirname(hostPath));
      if (parent === null) return null;
      try {
        return fs.readlinkSync(machine(path.posix.join(parent, path.posix.basename(hostPath))));
      } catch {
        return null;
      }
    },
    ownerOf: (hostPath) => stat(hostPath)?.uid ?? null,
    writable: (hostPath) => ((stat(hostPath)?.mode ?? 0) & 0o222) !== 0,
  };
}

/** A write target that must be exactly the file its template names, inside `dir` (no link leads elsewhere). */
export function fileIn(files: HostFiles, hostPath: string, dir: string): string | null {
  return files.inside(hostPath, dir) === hostPath ? hostPath : null;
}
