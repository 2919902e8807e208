/**
 * A VM as one POSIX shell script that does on a host what Tessera's start does: the helper's
 * sysfs steps for the VM's GPU slice (the lease's steps, ../vm/gpu-leases.ts `leaseSteps`, each
 * written as the helper writes it: src/helper/binding-actions.ts, mdev-actions.ts), then the
 * exact QEMU argv of `tessera vm args`, then the give-back at exit (`trap`, as `giveBackSteps`).
 * Pure: the text is built from the spec, the argv and the steps.
 *
 * Every sysfs write goes through `sysfs_write`, under `TESSERA_HOST_ROOT` when set (a simulated
 * host); there a plain file does not react as the kernel does, so `TESSERA_KERNEL_WRITER` names a
 * program that makes the write as the kernel would (the tests use Tessera's simulated kernel).
 */
import type { HelperStep } from '../../shared/helper-plan';
import type { VmSpec } from '../../shared/vm-spec';
import type { VmDataFiles, VmRuntimeFiles } from '../paths';
import type { SlicePlacement } from '../vm';

export interface ScriptInput {
  spec: VmSpec;
  /** `tessera vm args`: the binary first. */
  argv: string[];
  /** The GPU slice and the lease's steps for it; null for a VM without one. */
  slice: { placement: SlicePlacement; steps: HelperStep[] } | null;
  runtime: VmRuntimeFiles;
  data: VmDataFiles;
  /** The OVMF variable store template, for a UEFI VM's first run. */
  uefiVarsTemplate: string | null;
  /** swtpm's binary and argv, for a VM with a TPM. */
  swtpm: { binary: string; args: string[] } | null;
  sudo: boolean;
}

export interface ScriptExport {
  script: string;
  notExpressed: string[];
}

/** One shell word, single-quoted unless it needs no quotes (POSIX XCU 2.2.2). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=,+@%-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

const FUNCTIONS = (sudo: boolean) => `
ROOT=\${TESSERA_HOST_ROOT:-}

die() {
  printf 'tessera script: %s\\n' "$*" >&2
  exit 1
}

# Write one sysfs attribute as one write(2), as the helper does; an empty value clears it with a
# newline (driver_override: drivers/pci/pci-sysfs.c, driver_override_store).
sysfs_write() {
  if [ -n "$2" ]; then printf '%s' "$2"; else printf '\\n'; fi | write_file "$ROOT$1" ||
    die "writing $1 failed (the kernel log, dmesg, says why)"
}

write_file() {
  if [ -n "\${TESSERA_KERNEL_WRITER:-}" ]; then
    "$TESSERA_KERNEL_WRITER" "$1"
  else
${sudo ? '    sudo tee "$1" >/dev/null' : '    cat >"$1"'}
  fi
}

# The driver a PCI function is bound to, empty when none (its driver link: drivers/base/dd.c,
# driver_sysfs_add).
driver_of() {
  link=$(readlink "$ROOT/sys/bus/pci/devices/$1/driver" 2>/dev/null) || return 0
  basename "$link"
}

# The driver_override, empty when unset ("(null)": drivers/pci/pci-sysfs.c, driver_override_show).
override_of() {
  value=$(cat "$ROOT/sys/bus/pci/devices/$1/driver_override" 2>/dev/null) || return 0
  [ "$value" = "(null)" ] || printf '%s' "$value"
}

# Move a device to a driver (empty: none) libvirt's way, as the helper's bind step does (libvirt's
# virPCIDeviceBindWithDriverOverride in src/util/virpci.c):
# the override first, then unbind, then drivers_probe, whose answer is read back.
move_device() {
  [ -e "$ROOT/sys/bus/pci/devices/$1" ] || die "there is no device $1 on this host"
  now=$(driver_of "$1")
  [ "$now" = "$2" ] && [ "$(override_of "$1")" = "$3" ] && return 0
  sysfs_write "/sys/bus/pci/devices/$1/driver_override" "$3"
  if [ -n "$now" ] && [ "$now" != "$2" ]; then
    sysfs_write "/sys/bus/pci/drivers/$now/unbind" "$1"
  fi
  [ -z "$2" ] && return 0
  [ "$(driver_of "$1")" = "$2" ] && return 0
  sysfs_write /sys/bus/pci/drivers_probe "$1"
  [ "$(driver_of "$1")" = "$2" ] || die "$2 did not take $1 (the kernel log, dmesg, says why)"
}

# The host GPU driver of a VF's PF (i915 or xe): what "back to the host" means for it.
host_driver_of_pf() {
  pf=$(basename "$(readlink "$ROOT/sys/bus/pci/devices/$1/physfn")")
  driver=$(driver_of "$pf")
  case "$driver" in
    i915 | xe) printf '%s' "$driver" ;;
    *) die "$pf is on '$driver', not i915 or xe" ;;
  esac
}

# Give the user the device's /dev/vfio group, as the helper's grant-vfio step: the kernel makes it
# root:root 0600 (drivers/vfio/group.c), and every device in the group must be on vfio-pci or on no
# driver for QEMU to use it.
grant_vfio() {
  group=$(basename "$(readlink "$ROOT$1/iommu_group")") || die "$1 has no IOMMU group"
  for member in "$ROOT/sys/kernel/iommu_groups/$group/devices"/*; do
    other=$(basename "$member")
    case "$other" in *:*) ;; *) continue ;; esac
    driver=$(driver_of "$other")
    [ -z "$driver" ] || [ "$driver" = vfio-pci ] ||
      die "group $group is not viable: $other is on $driver; put it on vfio-pci too"
  done
  node="$ROOT/dev/vfio/$group"
  [ -e "$node" ] || die "/dev/vfio/$group is missing"
  [ "$(stat -c %u "$node")" = "$(id -u)" ] || ${sudo ? 'sudo ' : ''}chown "$(id -u)" "$node"
}
`;

function takeLines(step: HelperStep): string[] {
  switch (step.op) {
    case 'bind':
      return [
        `# Move ${step.device} to vfio-pci (its driver now is kept to give it back at exit).`,
        `original_driver=$(driver_of ${step.device})`,
        'taken=1',
        `move_device ${step.device} vfio-pci vfio-pci`,
      ];
    case 'grant-vfio':
      return [
        `# Give you /dev/vfio/<group> of ${step.device}, so QEMU runs as you.`,
        /^[0-9a-f]{4}:/.test(step.device)
          ? `grant_vfio /sys/bus/pci/devices/${step.device}`
          : `grant_vfio /sys/bus/mdev/devices/${step.device}`,
      ];
    case 'create-mdev':
      return [
        `# Create the ${step.type} vGPU ${step.uuid} on ${step.parent} (drivers/vfio/mdev/mdev_sysfs.c, create_store).`,
        `[ -e "$ROOT/sys/bus/mdev/devices/${step.uuid}" ] && die "a vGPU ${step.uuid} exists already"`,
        `sysfs_write /sys/bus/pci/devices/${step.parent}/mdev_supported_types/${step.type}/create ${step.uuid}`,
        'taken=1',
      ];
    default:
      // leaseSteps makes no other step.
      return [];
  }
}

function giveBackLines(slice: NonNullable<ScriptInput['slice']>): string[] {
  const { placement } = slice;
  if (placement.kind === 'mdev') return [`  sysfs_write /sys/bus/mdev/devices/${placement.uuid}/remove 1`];
  const device = placement.address;
  if (!slice.steps.some((s) => s.op === 'bind'))
    return ['  : # it was on vfio-pci before: nothing to give back'];
  // giveBackSteps: back on the driver it had, or on none; a VF gets an override naming it (docs/sriov-sysfs.md#driver-binding).
  const host =
    placement.kind === 'passthrough'
      ? [`    *) move_device ${device} "$original_driver" "" ;;`]
      : [`    *) host=$(host_driver_of_pf ${device}) && move_device ${device} "$host" "$host" ;;`];
  return [
    '  case "${original_driver:-}" in',
    '    vfio-pci) ;;',
    `    '') move_device ${device} "" "" ;;`,
    ...host,
    '  esac',
  ];
}

export function buildVmScript(input: ScriptInput): ScriptExport {
  const { spec, argv, slice, runtime, data } = input;
  const notExpressed: string[] = [];
  const [binary = 'qemu-system-x86_64', ...args] = argv;
  const lines: string[] = [
    '#!/bin/sh',
    `# VM '${spec.name}', exported by Tessera: what Tessera does to start it, as one script.`,
    '# Run it as the user the VM belongs to (QEMU never runs as root); each step says what it',
    `# changes. ${input.sudo ? 'The GPU steps write to sysfs through sudo.' : 'The GPU steps write to sysfs as you: export with --sudo to have them use sudo.'}`,
    '# TESSERA_HOST_ROOT=DIR runs the sysfs steps on a copy of a host under DIR (with',
    '# TESSERA_KERNEL_WRITER=PROGRAM making each write as the kernel would); TESSERA_QEMU=PROGRAM',
    '# runs another QEMU binary.',
    'set -eu',
    FUNCTIONS(input.sudo),
    `QEMU=\${TESSERA_QEMU:-${shellQuote(binary)}}`,
    '[ -n "$ROOT" ] || [ "$(id -u)" != 0 ] ||',
    '  die "run this as the VM\'s user, not as root: QEMU never runs as root (export with --sudo for the GPU steps)"',
    '',
  ];
  if (slice) {
    const isPf = slice.placement.kind === 'passthrough';
    lines.push('# The GPU slice, as Tessera’s lease takes it at start (src/main/vm/gpu-leases.ts).');
    if (slice.placement.kind === 'vf')
      lines.push(
        `[ -e "$ROOT/sys/bus/pci/devices/${slice.placement.address}/physfn" ] ||`,
        `  die "there is no VF ${slice.placement.address}: enable the GPU's VFs first (tessera gpu vfs PF COUNT)"`,
      );
    if (isPf)
      lines.push('# This takes the whole GPU from the host: every screen on it goes dark until the VM ends.');
    if (slice.steps.some((s) => s.op === 'bind')) lines.push('original_driver=');
    lines.push(
      'taken=',
      '# What was taken is given back when the script ends, however it ends.',
      'give_back() {',
      '  [ -n "$taken" ] || return 0',
    );
    lines.push(...giveBackLines(slice), '}');
    lines.push("trap 'give_back' EXIT", "trap 'exit 130' INT TERM HUP", '');
    for (const step of slice.steps) lines.push(...takeLines(step), '');
    if (spec.gpu.kind === 'vf' && spec.gpu.vf === undefined)
      notExpressed.push(
        `"any free VF of ${spec.gpu.pf}": the script uses ${slice.placement.kind === 'vf' ? slice.placement.address : ''}, the VF that was free at export`,
      );
  }
  lines.push(
    '# The VM’s runtime dir (0700: its sockets are reached only by you), without what an earlier run left.',
    `(umask 077 && mkdir -p ${shellQuote(runtime.dir)})`,
    `rm -f ${[runtime.qmp, runtime.vnc, runtime.spice, runtime.serial, runtime.monitor, runtime.pid].map(shellQuote).join(' ')}`,
  );
  if (spec.firmware !== 'bios' && input.uefiVarsTemplate !== null) {
    const vars = spec.firmware === 'uefi-secure-boot' ? data.uefiSecureBootVars : data.uefiVars;
    lines.push(
      '# The VM’s own UEFI variable store, made from the template at the first run.',
      `(umask 077 && mkdir -p ${shellQuote(data.dir)})`,
      `[ -e ${shellQuote(vars)} ] || cp ${shellQuote(input.uefiVarsTemplate)} ${shellQuote(vars)}`,
    );
  }
  if (input.swtpm) {
    lines.push(
      '# The TPM emulator, on the socket QEMU connects to; it ends when QEMU lets go of it.',
      `(umask 077 && mkdir -p ${shellQuote(data.tpmState)})`,
      `${shellQuote(input.swtpm.binary)} ${input.swtpm.args.map(shellQuote).join(' ')}`,
    );
  }
  if (slice)
    notExpressed.push(
      `the locked-memory check of Tessera's start: vfio pins all ${spec.memoryMiB} MiB of guest RAM, so your RLIMIT_MEMLOCK must allow it (tessera doctor shows how)`,
    );
  if (spec.cpuPinning.length > 0)
    notExpressed.push(
      `vCPU pinning (host CPUs ${spec.cpuPinning.join(', ')}) is made over QMP once QEMU runs; the script does not pin`,
    );
  if (spec.restartPolicy !== 'never')
    notExpressed.push(`the restart policy (${spec.restartPolicy}) is Tessera’s supervisor’s`);
  if (notExpressed.length > 0)
    lines.push('', '# Not done by this script:', ...notExpressed.map((n) => `# - ${n}`));
  lines.push(
    '',
    '# QEMU in the foreground, exactly as `tessera vm args` prints it; the slice is given back when it ends.',
    `"$QEMU" \\`,
    ...args.map((a, i) => `  ${shellQuote(a)}${i === args.length - 1 ? '' : ' \\'}`),
    '',
  );
  return { script: lines.join('\n'), notExpressed };
}
