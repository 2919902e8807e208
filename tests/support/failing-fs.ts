import fs from 'node:fs';
import type { HostFs } from '../../src/main/fsutil/host-root';

type Op = keyof HostFs;

/**
 * node:fs with some calls failing with an errno for paths ending in `suffix`. Tests run as root,
 * which passes every permission check, so EACCES (and EIO, ENODEV from sysfs) must be injected.
 */
export function failingFs(failures: { op: Op; suffix: string; code: string }[]): HostFs {
  const guard = <F extends (...args: never[]) => unknown>(op: Op, real: F): F =>
    ((...args: Parameters<F>) => {
      const failure = failures.find((f) => f.op === op && String(args[0]).endsWith(f.suffix));
      if (failure) throw Object.assign(new Error(failure.code), { code: failure.code });
      return (real as (...a: Parameters<F>) => unknown)(...args);
    }) as F;
  return {
    lstatSync: guard('lstatSync', fs.lstatSync),
    readlinkSync: guard('readlinkSync', fs.readlinkSync),
    readFileSync: guard('readFileSync', fs.readFileSync),
    readdirSync: guard('readdirSync', fs.readdirSync),
    accessSync: guard('accessSync', fs.accessSync),
  };
}
