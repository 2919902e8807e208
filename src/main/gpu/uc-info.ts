import type { MicrocontrollerState } from '../../shared/gpu-inventory';
import type { HostReader } from '../fsutil/host-reader';

export type UcKind = 'GuC' | 'HuC';

const EARLY_OUTS = ['disabled', 'not supported'];

/**
 * Parse debugfs `uc/guc_info` or `uc/huc_info` (docs/sriov-sysfs.md#guc-and-huc-in-debugfs). The firmware dump comes first
 * (`GuC firmware: <path>`, `\tstatus: <STATUS>`, `\tversion: found A.B.C` or `wanted X, found Y`);
 * `guc_info` prints its CT and submission blocks only when GuC submission is used
 * (i915 `intel_guc_debugfs.c` guc_info_show returns early otherwise), so their presence tells
 * whether submission runs. With preloaded firmware (a VF) only the first line is printed.
 */
export function parseUcInfo(
  kind: UcKind,
  text: string,
  source: string,
): Extract<MicrocontrollerState, { state: 'known' }> | { error: string } {
  const lines = text.split('\n');
  const first = lines.find((l) => l.trim() !== '')?.trim() ?? '';
  for (const early of EARLY_OUTS) {
    if (first === `${kind} ${early}`) {
      return {
        state: 'known',
        firmware: null,
        status: early,
        foundVersion: null,
        wantedVersion: null,
        submission: kind === 'GuC' ? false : null,
        source,
      };
    }
  }
  const firmware = new RegExp(`^${kind} firmware: (\\S+)$`).exec(first)?.[1];
  if (firmware === undefined) {
    return { error: `unexpected first line in ${source}: ${JSON.stringify(first.slice(0, 60))}` };
  }
  const field = (name: string) =>
    lines
      .find((l) => l.startsWith(`\t${name}: `))
      ?.slice(name.length + 3)
      .trim() ?? null;
  const status = field('status');
  const version = field('version');
  const versionMatch = version === null ? null : /^(?:wanted (\S+), )?found (\S+)$/.exec(version);
  if (version !== null && versionMatch === null) {
    return { error: `unexpected version line in ${source}: ${JSON.stringify(version)}` };
  }
  const onlyFirstLine = lines.filter((l) => l.trim() !== '').length === 1;
  return {
    state: 'known',
    firmware,
    status: status ?? (onlyFirstLine ? 'PRELOADED' : 'unknown'),
    foundVersion: versionMatch?.[2] ?? null,
    wantedVersion: versionMatch?.[1] ?? null,
    submission:
      kind === 'HuC' || onlyFirstLine
        ? null
        : lines.some((l) => /^CT (enabled|disabled)$/.test(l) || l.startsWith('GuC Submission API Version:')),
    source,
  };
}

const DEBUGFS = '/sys/kernel/debug';

/**
 * GuC or HuC state of one GPU from debugfs: `dri/<BDF>/gt0/uc/…`, or `dri/<minor>/gt0/uc/…` on
 * kernels that name the directory by minor only (docs/sriov-sysfs.md#guc-and-huc-in-debugfs; xe keeps a `gt0 -> tile0/gt0` link, docs/sriov-sysfs.md#xe-debugfs).
 * debugfs is root-only (mode 0700) and may be unmounted: both come back as unknown with the reason.
 */
export function readUcInfo(
  reader: HostReader,
  kind: UcKind,
  address: string,
  drmCard: string | null,
): MicrocontrollerState {
  const file = kind === 'GuC' ? 'guc_info' : 'huc_info';
  const top = reader.root.readDir(DEBUGFS);
  if (!top.ok) {
    if (top.kind === 'denied') {
      return {
        state: 'unknown',
        reason: `debugfs is readable by root only: run as root to see the ${kind} state`,
      };
    }
    return { state: 'unknown', reason: top.reason };
  }
  if (top.value.length === 0) {
    return {
      state: 'unknown',
      reason: `debugfs is not mounted at ${DEBUGFS} (mount -t debugfs none ${DEBUGFS})`,
    };
  }
  const minor = drmCard?.replace(/^card/, '');
  const candidates = [address, ...(minor === undefined ? [] : [minor])].map(
    (name) => `${DEBUGFS}/dri/${name}/gt0/uc/${file}`,
  );
  for (const candidate of candidates) {
    const read = reader.root.readText(candidate);
    if (read.ok) {
      const parsed = parseUcInfo(kind, read.value, candidate);
      if ('error' in parsed) {
        reader.report({ path: candidate, reason: parsed.error });
        return { state: 'unknown', reason: parsed.error };
      }
      return parsed;
    }
    // guc_info_show answers -ENODEV when the GT has no GuC (intel_guc_debugfs.c).
    if (read.errno === 'ENODEV') {
      return {
        state: 'known',
        firmware: null,
        status: 'not supported',
        foundVersion: null,
        wantedVersion: null,
        submission: kind === 'GuC' ? false : null,
        source: candidate,
      };
    }
    if (read.kind !== 'missing') {
      reader.report({ path: read.path, reason: read.reason });
      return { state: 'unknown', reason: read.reason };
    }
  }
  return { state: 'unknown', reason: `no ${file} for ${address} in ${DEBUGFS}/dri` };
}
