import type { ProbeName } from '../../shared/run-plan';

/** The exit code a probe's command gives when the guest lacks its tool (the shell's "not found"). */
export const NOT_INSTALLED_EXIT = 127;

const tool = (name: string, args: string) =>
  `command -v ${name} >/dev/null 2>&1 || exit ${NOT_INSTALLED_EXIT}; ${name} ${args}`;

/**
 * Each built-in probe as a shell command for the guest. A probe whose tool is missing exits
 * NOT_INSTALLED_EXIT, which the run reports as "not installed" instead of a failure.
 */
export const PROBE_COMMANDS: Record<ProbeName, { command: string; what: string }> = {
  uname: { command: tool('uname', '-a'), what: 'uname -a' },
  // intel/kvm-multios checks the guest driver with `lspci -k` on the GPU function; -nn adds ids.
  lspci: { command: tool('lspci', '-nnk'), what: 'lspci -nnk' },
  // Probe, GuC/HuC load and versions, hangs, resets and errors all carry the driver's name.
  'dmesg-gpu': {
    command: `${tool('dmesg', '')} | grep -E '(i915|xe) [0-9a-f]{4}:|\\[drm\\]|\\b(i915|xe)\\b' || true`,
    what: 'kernel log lines of i915/xe',
  },
  // debugfs is root-only and may not be mounted; each readable file is printed under its path.
  'uc-info': {
    command: [
      'grep -q " /sys/kernel/debug " /proc/mounts || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null',
      'found=0',
      'for f in /sys/kernel/debug/dri/*/gt*/uc/*_info /sys/kernel/debug/dri/*/uc/*_info; do',
      '  [ -r "$f" ] || continue; found=1; echo "== $f"; cat "$f"',
      'done',
      `[ $found = 1 ] || exit ${NOT_INSTALLED_EXIT}`,
    ].join('\n'),
    what: '/sys/kernel/debug/dri/*/gt*/uc/*_info',
  },
  vainfo: { command: tool('vainfo', ''), what: 'vainfo' },
  clinfo: { command: tool('clinfo', '-l'), what: 'clinfo -l' },
  glxinfo: { command: tool('glxinfo', '-B'), what: 'glxinfo -B' },
  'os-release': {
    command: `for f in /etc/os-release /usr/lib/os-release; do [ -r $f ] && exec cat $f; done; exit ${NOT_INSTALLED_EXIT}`,
    what: 'os-release',
  },
};

/**
 * What to compare of a probe's output between two runs: kernel log lines lose their timestamp
 * (`[    3.14159] `), which differs on every boot and says nothing about the driver.
 */
export function comparableLines(probe: ProbeName, text: string): string[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return probe === 'dmesg-gpu' ? lines.map((l) => l.replace(/^\[\s*\d+\.\d+\]\s*/, '')) : lines;
}
