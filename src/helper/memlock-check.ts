import type { HelperStep } from '../shared/helper-plan';
import type { CheckContext } from './actions';
import { HelperFailure } from './helper-failure';

/**
 * `set-memlock` is checked and then refused, with nothing written. Linux changes another process's
 * RLIMIT_MEMLOCK only through prlimit(2): /proc/<pid>/limits is read-only (fs/proc/base.c
 * registers it S_IRUGO with no write handler; a write answers EINVAL even for root), Node has no
 * binding for prlimit(2), and the helper runs no programs. The user's limit is raised where it is
 * set instead (limits.conf or systemd's LimitMEMLOCK, as the doctor's memlock check says), and
 * QEMU inherits it (docs/sriov-sysfs.md#unprivileged-qemu-with-vfio).
 */
export function checkMemlock(
  ctx: CheckContext,
  step: Extract<HelperStep, { op: 'set-memlock' }>,
  index: number,
): never {
  const status = ctx.files.read(`/proc/${step.pid}/status`);
  if (status === null) throw new HelperFailure('BAD_TARGET', `there is no process ${step.pid}`, index);
  const uid = Number(status.match(/^Uid:\s+(\d+)/m)?.[1] ?? NaN);
  const name = status.match(/^Name:\s+(.*)$/m)?.[1]?.trim() ?? '';
  if (uid !== ctx.callerUid)
    throw new HelperFailure('BAD_TARGET', `process ${step.pid} is not yours (it runs as uid ${uid})`, index);
  if (!name.startsWith('qemu'))
    throw new HelperFailure('BAD_TARGET', `process ${step.pid} is ${name || 'unnamed'}, not QEMU`, index);
  throw new HelperFailure(
    'UNSUPPORTED',
    `set-memlock: Linux raises another process's locked-memory limit only through prlimit(2), which this helper cannot call (it runs no programs and /proc/${step.pid}/limits is read-only). Raise your user's limit instead (limits.conf or systemd LimitMEMLOCK; tessera doctor shows the line) and start the VM again`,
    index,
  );
}
