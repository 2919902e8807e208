import fs from 'node:fs';
import path from 'node:path';
import { fail } from './kernel-parse';

/**
 * The relative link text kernfs writes (`kernfs_get_target_path`): climb from the link's directory
 * to the nearest directory that holds the target's parent, then walk down. So `pf/device` in
 * `…/0000:00:02.0/drm/card0/prelim_iov/pf` reads `../../../../../0000:00:02.0`, exactly as in
 * docs/sriov-sysfs.md#alder-lake-p-with-two-vfs, not the shorter `../../../..` that path.relative would give.
 */
export function kernfsLinkText(linkHostPath: string, targetHostPath: string): string {
  let base = path.posix.dirname(linkHostPath);
  const targetParent = path.posix.dirname(targetHostPath);
  let ups = 0;
  while (!(targetParent === base || targetParent.startsWith(base === '/' ? '/' : base + '/'))) {
    base = path.posix.dirname(base);
    ups++;
  }
  const down = base === '/' ? targetHostPath.slice(1) : targetHostPath.slice(base.length + 1);
  return '../'.repeat(ups) + down;
}

/**
 * A simulated host tree addressed by host paths (`/sys/…`): the tree builder writes it, the
 * simulated kernel reads and changes it. The tree on disk is the whole state, so a tree built by
 * anyone (or copied from a real host) can be simulated.
 */
export interface SimTree {
  readonly dir: string;
  /** Where a host path is on this machine. */
  at(hostPath: string): string;
  /** The file's text, null when it cannot be read. */
  read(hostPath: string): string | null;
  /** Whether the path itself exists (a dangling link counts). */
  exists(hostPath: string): boolean;
  isLink(hostPath: string): boolean;
  /** Permission bits after following links, null when it does not exist. */
  modeOf(hostPath: string): number | null;
  /** Entry names, sorted; empty when there is no such directory. */
  list(hostPath: string): string[];
  /** The canonical host path after following links, null when it leaves the tree or dangles. */
  resolve(hostPath: string): string | null;
  file(hostPath: string, content: string | Buffer, mode?: number): void;
  /** Replace a file's content, keeping its mode and owner. */
  update(hostPath: string, content: string): void;
  /** A relative link, as the kernel would write it, from `hostPath` to `targetHostPath`. */
  link(hostPath: string, targetHostPath: string): void;
  /** A link with the given text (for links the kernel writes by name, like `iov -> prelim_iov`). */
  rawLink(hostPath: string, text: string): void;
  mkdir(hostPath: string): void;
  remove(hostPath: string): void;
  rename(fromHostPath: string, toHostPath: string): void;
}

export function openSimTree(dir: string): SimTree {
  const root = path.resolve(dir);
  const inside = (machinePath: string) => machinePath === root || machinePath.startsWith(root + path.sep);
  const at = (hostPath: string) => {
    const machinePath = path.join(root, hostPath);
    if (!inside(machinePath)) fail('EXDEV', `${hostPath} is not in the simulated host`);
    return machinePath;
  };
  /**
   * Where a change to `hostPath` really lands, refused unless inside the root. A tree may hold
   * links someone planted (a VF directory linked to a dir elsewhere): the kernel's own links are
   * relative and stay in the tree (kernfsLinkText), so a link that leads out was not made by it,
   * and nothing is made, written, moved or removed through it. The deepest existing ancestor is
   * what the file system would follow; what does not exist yet is made below it as real dirs.
   */
  const landing = (hostPath: string, followLast: boolean): string => {
    const machinePath = at(hostPath);
    let existing = followLast ? machinePath : path.dirname(machinePath);
    for (;;) {
      let real: string | undefined;
      try {
        real = fs.realpathSync.native(existing);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        // A dangling link is something planted too: where it would lead cannot be checked.
        if (fs.lstatSync(existing, { throwIfNoEntry: false })?.isSymbolicLink())
          fail('EXDEV', `${hostPath} leads through a link that does not resolve in the simulated host`);
      }
      if (real !== undefined) {
        if (!inside(real))
          fail(
            'EXDEV',
            `${hostPath} leads out of the simulated host (to ${real}): a link the simulated kernel did not make`,
          );
        return machinePath;
      }
      existing = path.dirname(existing);
    }
  };
  // Directories known to exist: a tree grows by many files per directory, and each mkdir -p costs
  // a walk of system calls. Anything removed is forgotten.
  const made = new Set<string>();
  const mkdir = (hostPath: string) => {
    if (made.has(hostPath)) return;
    fs.mkdirSync(landing(hostPath, true), { recursive: true });
    made.add(hostPath);
  };
  const forget = (hostPath: string) => {
    for (const known of made) if (known === hostPath || known.startsWith(`${hostPath}/`)) made.delete(known);
  };
  // The umask would narrow a mode given at creation; only then does a file need a chmod.
  const umask = process.umask();
  const rawLink = (hostPath: string, text: string) => {
    mkdir(path.posix.dirname(hostPath));
    const machinePath = landing(hostPath, false);
    try {
      fs.symlinkSync(text, machinePath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      fs.rmSync(machinePath, { force: true });
      fs.symlinkSync(text, machinePath);
    }
  };
  const lstat = (hostPath: string) => fs.lstatSync(at(hostPath), { throwIfNoEntry: false });
  return {
    dir: root,
    at,
    read(hostPath) {
      try {
        return fs.readFileSync(at(hostPath), 'utf8');
      } catch {
        return null;
      }
    },
    exists: (hostPath) => lstat(hostPath) !== undefined,
    isLink: (hostPath) => lstat(hostPath)?.isSymbolicLink() === true,
    modeOf: (hostPath) => {
      const stat = fs.statSync(at(hostPath), { throwIfNoEntry: false });
      return stat === undefined ? null : stat.mode & 0o7777;
    },
    list(hostPath) {
      try {
        return fs.readdirSync(at(hostPath)).sort();
      } catch {
        return [];
      }
    },
    resolve(hostPath) {
      let real: string;
      try {
        real = fs.realpathSync.native(at(hostPath));
      } catch {
        return null;
      }
      if (real === root) return '/';
      return real.startsWith(root + path.sep) ? real.slice(root.length) : null;
    },
    file(hostPath, content, mode = 0o644) {
      mkdir(path.posix.dirname(hostPath));
      // O_EXCL does not follow a link in the last place; an existing entry is checked before it is written.
      const machinePath = landing(hostPath, false);
      try {
        fs.writeFileSync(machinePath, content, { mode, flag: 'wx' });
        if ((mode & umask) === 0) return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        fs.writeFileSync(landing(hostPath, true), content);
      }
      // The umask must not narrow a sysfs mode the readers look at, nor an old file keep its mode.
      fs.chmodSync(landing(hostPath, true), mode);
    },
    update(hostPath, content) {
      fs.writeFileSync(landing(hostPath, true), content);
    },
    link: (hostPath, targetHostPath) => rawLink(hostPath, kernfsLinkText(hostPath, targetHostPath)),
    rawLink,
    mkdir,
    remove(hostPath) {
      forget(hostPath);
      // rm takes a link in the last place away, never what it points at; the dirs above are checked.
      fs.rmSync(landing(hostPath, false), { recursive: true, force: true });
    },
    rename(fromHostPath, toHostPath) {
      forget(fromHostPath);
      mkdir(path.posix.dirname(toHostPath));
      fs.renameSync(landing(fromHostPath, false), landing(toHostPath, false));
    },
  };
}
