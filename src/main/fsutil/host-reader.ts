import path from 'node:path';
import type { Unreadable } from '../../shared/gpu-inventory';
import type { HostRead, HostRoot } from './host-root';

/**
 * Typed reads of sysfs/procfs values through a HostRoot. A value that is absent where absence is
 * normal (a PF-only file on a VF) is just null; anything else that goes wrong (a dangling link, a
 * permission error, content in an unexpected format) is null AND recorded in `unreadable`, so a
 * report can name what it could not read instead of guessing or throwing.
 */
export interface HostReader {
  readonly root: HostRoot;
  readonly unreadable: Unreadable[];
  /** Trimmed text. `required`: a missing file is worth reporting too. */
  text(hostPath: string, options?: { required?: boolean }): string | null;
  /** A decimal `%u`/`%d` value. */
  int(hostPath: string, options?: { required?: boolean }): number | null;
  /** `0x%04x`-style ids (docs/sriov-sysfs.md#pci-device-files) as bare lower-case hex of `digits` digits. */
  hexId(hostPath: string, digits: number, options?: { required?: boolean }): string | null;
  /** The last path component of where a link leads (`driver` → `i915`), null when there is no link. */
  linkName(hostPath: string): string | null;
  resolve(hostPath: string): string | null;
  /** Directory entries; empty when the directory does not exist. */
  list(hostPath: string): string[];
  exists(hostPath: string): boolean;
  /** Record a value that was read but could not be understood. */
  unexpected(hostPath: string, content: string, expected: string): null;
  /** Record any other failure. */
  report(failure: Unreadable): void;
}

export function createHostReader(root: HostRoot): HostReader {
  const unreadable: Unreadable[] = [];
  const seen = new Set<string>();
  const report = (failure: Unreadable) => {
    const key = `${failure.path}\0${failure.reason}`;
    if (seen.has(key)) return;
    seen.add(key);
    unreadable.push(failure);
  };
  const take = <T>(read: HostRead<T>, required = false): T | null => {
    if (read.ok) return read.value;
    if (read.kind !== 'missing' || required) report({ path: read.path, reason: read.reason });
    return null;
  };
  const unexpected = (hostPath: string, content: string, expected: string): null => {
    const shown = content.length > 40 ? `${content.slice(0, 40)}…` : content;
    report({
      path: hostPath,
      reason: `unexpected content ${JSON.stringify(shown)} in ${hostPath}: expected ${expected}`,
    });
    return null;
  };
  const text = (hostPath: string, options: { required?: boolean } = {}) => {
    const value = take(root.readText(hostPath), options.required);
    return value === null ? null : value.trim();
  };
  return {
    root,
    unreadable,
    text,
    int(hostPath, options) {
      const value = text(hostPath, options);
      if (value === null) return null;
      return /^-?\d+$/.test(value) ? Number(value) : unexpected(hostPath, value, 'a decimal number');
    },
    hexId(hostPath, digits, options) {
      const value = text(hostPath, options);
      if (value === null) return null;
      const match = /^0x([0-9a-fA-F]+)$/.exec(value);
      if (!match?.[1] || match[1].length !== digits) {
        return unexpected(hostPath, value, `0x and ${digits} hex digits`);
      }
      return match[1].toLowerCase();
    },
    linkName(hostPath) {
      const target = take(root.resolve(hostPath));
      return target === null ? null : path.posix.basename(target);
    },
    resolve: (hostPath) => take(root.resolve(hostPath)),
    list: (hostPath) => take(root.readDir(hostPath)) ?? [],
    exists: (hostPath) => root.kind(hostPath).ok,
    unexpected,
    report,
  };
}
