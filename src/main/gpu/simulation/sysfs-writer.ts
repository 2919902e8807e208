import fs from 'node:fs';
import path from 'node:path';

/**
 * The relative link text kernfs writes (`kernfs_get_target_path`): climb from the link's directory
 * to the nearest directory that holds the target's parent, then walk down. So `pf/device` in
 * `…/0000:00:02.0/drm/card0/prelim_iov/pf` reads `../../../../../0000:00:02.0`, exactly as in
 * reference §G.1, not the shorter `../../../..` that path.relative would give.
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

/** Writes host paths below a directory: the simulation's only way to touch its tree. */
export interface SysfsWriter {
  readonly dir: string;
  file(hostPath: string, content: string | Buffer, mode?: number): void;
  /** A relative link, as the kernel would write it, from `hostPath` to `targetHostPath`. */
  link(hostPath: string, targetHostPath: string): void;
  /** A link with the given text (for links the kernel writes by name, like `iov -> prelim_iov`). */
  rawLink(hostPath: string, text: string): void;
  mkdir(hostPath: string): void;
  remove(hostPath: string): void;
}

export function createSysfsWriter(dir: string): SysfsWriter {
  const at = (hostPath: string) => path.join(dir, hostPath);
  const mkdir = (hostPath: string) => fs.mkdirSync(at(hostPath), { recursive: true });
  const rawLink = (hostPath: string, text: string) => {
    mkdir(path.posix.dirname(hostPath));
    fs.rmSync(at(hostPath), { force: true });
    fs.symlinkSync(text, at(hostPath));
  };
  return {
    dir,
    file(hostPath, content, mode = 0o644) {
      mkdir(path.posix.dirname(hostPath));
      fs.writeFileSync(at(hostPath), content, { mode });
      fs.chmodSync(at(hostPath), mode); // the umask must not change a sysfs mode the readers look at
    },
    link: (hostPath, targetHostPath) => rawLink(hostPath, kernfsLinkText(hostPath, targetHostPath)),
    rawLink,
    mkdir,
    remove: (hostPath) => fs.rmSync(at(hostPath), { recursive: true, force: true }),
  };
}
