import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckId, CheckStatus, DoctorCheck } from '../../../shared/host-report';
import { failingFs } from '../../../../tests/support/failing-fs';
import {
  MACHINE_IN_ORDER,
  readSimulatedHost,
  type SimulatedHostOptions,
} from '../../../../tests/support/simulated-host';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

interface Run {
  checks: Record<CheckId, DoctorCheck>;
  statuses: Partial<Record<CheckId, CheckStatus>>;
  verdict: { status: CheckStatus; summary: string };
}

/** Build a simulated host, let `change` break it, and run the doctor on it. */
function doctor(name: string, options: SimulatedHostOptions = {}): Run {
  const { report, cleanup } = readSimulatedHost(name, options);
  cleanups.push(cleanup);
  const checks = Object.fromEntries(report.checks.map((c) => [c.id, c])) as Record<CheckId, DoctorCheck>;
  const statuses = Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
  return { checks, statuses, verdict: report.verdict };
}

const write = (file: string, content: string) => fs.writeFileSync(file, content);
const ADLP = '/sys/devices/pci0000:00/0000:00:02.0';

describe('doctor on every simulated host', () => {
  it('adl-p-i915-sriov: ready, with a warning about autoprobe', () => {
    const run = doctor('adl-p-i915-sriov');
    expect(run.statuses).toEqual({
      'cpu-flags': 'pass',
      'dev-kvm': 'pass',
      kvm: 'pass',
      'ignore-msrs': 'pass',
      iommu: 'pass',
      vfio: 'pass',
      gpu: 'pass',
      driver: 'pass',
      sriov: 'pass',
      guc: 'pass',
      gvt: 'pass',
      autoprobe: 'warn',
      'vfio-access': 'pass',
      qemu: 'pass',
      ovmf: 'pass',
      swtpm: 'pass',
      hugepages: 'pass',
      memlock: 'pass',
    });
    expect(run.verdict).toEqual({
      status: 'warn',
      summary: 'Ready: Alder Lake-P at 0000:00:02.0 can be split into 7 SR-IOV VFs.',
    });
    expect(run.checks.gpu.summary).toBe('Alder Lake-P (ADL-P, 8086:46a6) at 0000:00:02.0.');
    expect(run.checks.driver.summary).toMatch(/^i915 with SR-IOV \(prelim_iov/);
    expect(run.checks.sriov.summary).toBe('7 VFs allowed, 2 enabled.');
    expect(run.checks.guc.summary).toBe('GuC 70.44.1 runs with submission (i915/adlp_guc_70.bin).');
    expect(run.checks.gvt).toMatchObject({ applies: false, summary: expect.stringContaining('Not needed') });
    expect(run.checks.autoprobe.commands).toEqual([
      'echo 0 | sudo tee /sys/bus/pci/devices/0000:00:02.0/sriov_drivers_autoprobe',
    ]);
    expect(run.checks['vfio-access'].summary).toBe('You can open /dev/vfio/17.');
    expect(run.checks.kvm.source).toBe('this-machine');
    expect(run.checks.iommu.source).toBe('host-root');
  });

  it('adl-p-i915-maxvfs0: the driver can, but max_vfs=0 allows no VFs; the fix sets i915.max_vfs=7', () => {
    const run = doctor('adl-p-maxvfs0');
    expect(run.statuses).toMatchObject({ driver: 'pass', sriov: 'fail', guc: 'pass' });
    expect(run.checks.sriov).toMatchObject({
      summary: expect.stringContaining('sriov_totalvfs is 0'),
      fix: 'Add i915.max_vfs=7 to the kernel command line (GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub), then reboot.',
      commands: [
        `sudo sed -i 's/^GRUB_CMDLINE_LINUX_DEFAULT="/&i915.max_vfs=7 /' /etc/default/grub`,
        'sudo update-grub',
        'sudo reboot',
      ],
    });
    expect(run.verdict).toEqual({ status: 'fail', summary: 'Not ready to split the GPU: fix sriov.' });
  });

  it('flex170-backports: ready, autoprobe already off, hugepages reserved', () => {
    const run = doctor('flex170');
    expect(Object.values(run.statuses).every((s) => s === 'pass')).toBe(true);
    expect(run.checks.driver.summary).toMatch(/backports or linux-intel-lts/);
    expect(run.checks.sriov.summary).toBe('31 VFs allowed, 2 enabled.');
    expect(run.checks.hugepages.summary).toBe('8192 × 2 MiB reserved, 8192 free (16 GiB)');
    expect(run.checks.gpu.summary).toBe('Data Center GPU Flex 170 (ATS-M150, 8086:56c0) at 0000:4d:00.0.');
    expect(run.verdict.summary).toBe(
      'Ready: Data Center GPU Flex 170 at 0000:4d:00.0 can be split into 31 SR-IOV VFs.',
    );
  });

  it('bmg-xe: ready, but the GuC state is unknown without debugfs', () => {
    const run = doctor('bmg');
    expect(run.statuses).toMatchObject({ driver: 'pass', sriov: 'pass', guc: 'unknown', autoprobe: 'pass' });
    expect(run.checks.driver.summary).toMatch(/^xe with sriov_admin/);
    expect(run.checks.guc.summary).toBe(
      'GuC state unknown: debugfs is not mounted at /sys/kernel/debug (mount -t debugfs none /sys/kernel/debug).',
    );
    expect(run.verdict).toEqual({
      status: 'unknown',
      summary: 'Ready: Battlemage at 0000:03:00.0 can be split into 24 SR-IOV VFs (still unknown: guc).',
    });
  });

  it('cml-gvtg: ready for GVT-g; the SR-IOV checks do not apply', () => {
    const run = doctor('cml');
    expect(run.statuses).toMatchObject({
      driver: 'pass',
      gvt: 'pass',
      sriov: 'pass',
      guc: 'pass',
      'vfio-access': 'pass',
    });
    expect(run.checks.sriov.applies).toBe(false);
    expect(run.checks.guc).toMatchObject({
      applies: false,
      summary: 'Not needed: GuC is disabled, as GVT-g wants it.',
    });
    expect(run.checks.autoprobe.applies).toBe(false);
    expect(run.checks.gvt.summary).toBe(
      'GVT-g is on: i915-GVTg_V5_4: 1 free, i915-GVTg_V5_8: 2 free; 1 vGPU(s) created.',
    );
    expect(run.verdict).toEqual({
      status: 'pass',
      summary: 'Ready: Comet Lake at 0000:00:02.0 can be split into GVT-g vGPUs (2 types).',
    });
  });

  it('iommu-off: fails on the IOMMU with both the firmware and the kernel parameter in the fix', () => {
    const run = doctor('iommu-off');
    expect(run.statuses).toMatchObject({ iommu: 'fail', vfio: 'pass', sriov: 'pass' });
    expect(run.checks.iommu.fix).toBe(
      'Enable VT-d in the firmware setup (BIOS). Add intel_iommu=on to the kernel command line (GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub), then reboot.',
    );
    expect(run.checks.iommu.commands[0]).toBe(
      `sudo sed -i 's/^GRUB_CMDLINE_LINUX_DEFAULT="/&intel_iommu=on /' /etc/default/grub`,
    );
    expect(run.verdict.summary).toBe('Not ready to split the GPU: fix iommu.');
  });

  it('no-intel-gpu: says so, names the display that is there, and skips the GPU checks', () => {
    const run = doctor('no-intel-gpu');
    expect(run.checks.gpu).toMatchObject({
      status: 'fail',
      summary: 'No Intel GPU: the display devices here are 1a03:2000 (ast).',
    });
    for (const id of ['driver', 'sriov', 'guc', 'gvt', 'autoprobe', 'vfio-access'] as const) {
      expect(run.checks[id]).toMatchObject({ status: 'unknown', applies: false });
    }
    expect(run.verdict).toEqual({ status: 'fail', summary: 'No Intel GPU here: there is nothing to split.' });
  });
});

describe('each check fails as it should', () => {
  it('kvm: each finding with its fix, and the accelerator they chose', () => {
    const devKvm = (access: 'missing' | 'no-permission', detail: string) => ({
      accelerator: { accelerator: 'tcg' as const, reason: detail },
      kvm: { ...MACHINE_IN_ORDER.kvm, devKvm: { path: '/dev/kvm', access, detail }, probe: null },
    });
    const missing = doctor('adl-p', {
      machine: devKvm(
        'missing',
        '/dev/kvm missing: enable virtualization in firmware and load kvm_intel (or kvm_amd)',
      ),
    });
    expect(missing.checks['dev-kvm']).toMatchObject({
      status: 'fail',
      commands: ['sudo modprobe kvm_intel'],
    });
    expect(missing.checks.kvm).toMatchObject({
      status: 'fail',
      summary: expect.stringMatching(/^Guests run in software \(TCG\): \/dev\/kvm missing/),
    });
    const denied = doctor('adl-p', {
      machine: devKvm('no-permission', 'no permission on /dev/kvm: add your user to the kvm group'),
    });
    expect(denied.checks['dev-kvm']).toMatchObject({
      status: 'fail',
      commands: ['sudo usermod -aG kvm $USER'],
    });

    // This test machine: a cloud VM whose CPU shows no vmx, with a /dev/kvm that does not run guests.
    const reason = 'KVM had not run the test guest after 2.0 s, while software emulation ran it in 0.9 s';
    const cloud = doctor('adl-p', {
      machine: {
        accelerator: { accelerator: 'tcg', reason: `${reason} (...), so guests run in software (TCG)` },
        kvm: {
          ...MACHINE_IN_ORDER.kvm,
          cpu: { virtualization: null, hypervisor: true },
          probe: { ok: false, reason, kvmMs: 2000, tcgMs: 900, cached: true },
        },
      },
    });
    expect(cloud.statuses).toMatchObject({ 'cpu-flags': 'fail', 'dev-kvm': 'pass', kvm: 'fail' });
    expect(cloud.checks['cpu-flags'].fix).toMatch(/turn on nested virtualization/);
    expect(cloud.checks.kvm).toMatchObject({
      summary: `Guests run in software (TCG): ${reason} (the CPU shows no vmx or svm flag: this machine is a VM without nested virtualization).`,
      fix: expect.stringMatching(/CPU virtualization check above/),
    });
    const bareMetal = doctor('adl-p', {
      machine: {
        accelerator: { accelerator: 'tcg', reason: 'x' },
        kvm: { ...MACHINE_IN_ORDER.kvm, cpu: { virtualization: null, hypervisor: false } },
      },
    });
    expect(bareMetal.checks['cpu-flags'].fix).toMatch(/firmware setup \(BIOS\)/);
    const broken = doctor('adl-p', {
      machine: {
        accelerator: { accelerator: 'tcg', reason: 'x' },
        kvm: {
          ...MACHINE_IN_ORDER.kvm,
          probe: {
            ok: false,
            reason: 'QEMU could not run the test guest under KVM: failed to set MSR 0x10a',
            kvmMs: 50,
            tcgMs: null,
            cached: false,
          },
        },
      },
    });
    expect(broken.checks.kvm).toMatchObject({
      status: 'fail',
      summary:
        'Guests run in software (TCG): QEMU could not run the test guest under KVM: failed to set MSR 0x10a.',
      commands: ['sudo dmesg | grep -i kvm'],
    });
    const forced = doctor('adl-p', {
      machine: { accelerator: { accelerator: 'tcg', reason: 'TESSERA_ACCEL=tcg' } },
    });
    expect(forced.checks.kvm.status).toBe('warn');
    expect(doctor('adl-p').checks.kvm.summary).toBe(
      'Guests use KVM: QEMU ran a test guest under it in 180 ms.',
    );
  }, 60_000); // six simulated hosts: seconds each on a loaded machine

  it('iommu: asked for on the command line but off in the firmware, or turned off', () => {
    const asked = doctor('iommu-off', {
      change: (at) => write(at('/proc/cmdline'), 'ro quiet intel_iommu=on i915.max_vfs=7\n'),
    });
    expect(asked.checks.iommu).toMatchObject({
      status: 'fail',
      commands: [],
      fix: expect.stringContaining('VT-d'),
    });
    const off = doctor('iommu-off', { change: (at) => write(at('/proc/cmdline'), 'ro intel_iommu=off\n') });
    expect(off.checks.iommu.commands[0]).toBe(
      `sudo sed -i 's/intel_iommu=[^ "]*/intel_iommu=on/' /etc/default/grub`,
    );
  });

  it('vfio: vfio-pci not loaded', () => {
    const run = doctor('adl-p', {
      change: (at) => fs.rmSync(at('/sys/bus/pci/drivers/vfio-pci'), { recursive: true }),
    });
    expect(run.checks.vfio).toMatchObject({
      status: 'fail',
      commands: ['sudo modprobe vfio-pci', expect.any(String)],
    });
  });

  it('gpu: an Intel GPU Tessera does not know', () => {
    const run = doctor('adl-p', { change: (at) => write(at(`${ADLP}/device`), '0x4600\n') });
    expect(run.checks.gpu).toMatchObject({
      status: 'warn',
      summary: expect.stringContaining('not in Tessera'),
    });
  });

  it('driver: mainline i915 cannot make VFs', () => {
    const run = doctor('adl-p-maxvfs0', {
      change: (at) => {
        fs.rmSync(at('/sys/module/i915/parameters/max_vfs'));
        write(at(`${ADLP}/sriov_totalvfs`), '7\n'); // docs/sriov-sysfs.md#sriov_totalvfs: mainline keeps the hardware value
      },
    });
    expect(run.checks.driver).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('Mainline i915 cannot make VFs'),
      fix: expect.stringContaining('i915-sriov-dkms'),
    });
    expect(run.checks.sriov.status).toBe('warn');
  });

  it('driver: unbound, or held by vfio-pci', () => {
    const unbound = doctor('adl-p', { change: (at) => fs.rmSync(at(`${ADLP}/driver`)) });
    expect(unbound.checks.driver).toMatchObject({ status: 'fail', commands: ['sudo modprobe i915'] });
    const vfio = doctor('adl-p-maxvfs0', {
      change: (at) => {
        fs.rmSync(at(`${ADLP}/driver`));
        fs.symlinkSync('../../../bus/pci/drivers/vfio-pci', at(`${ADLP}/driver`));
      },
    });
    expect(vfio.checks.driver).toMatchObject({
      status: 'warn',
      summary: expect.stringContaining('vfio-pci'),
    });
  });

  it('sriov: backports i915 with max_vfs=0 keeps the hardware total but is not in PF mode', () => {
    const flex = '/sys/devices/pci0000:4a/0000:4a:01.0/0000:4b:00.0/0000:4c:01.0/0000:4d:00.0';
    const run = doctor('flex170', {
      change: (at) => {
        fs.rmSync(at(`${flex}/drm/card1/prelim_iov`), { recursive: true });
        fs.rmSync(at(`${flex}/drm/card1/iov`));
      },
    });
    expect(run.checks.sriov).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('not in PF mode'),
      commands: [
        `sudo sed -i 's/i915\\.max_vfs=[^ "]*/i915.max_vfs=31/' /etc/default/grub`,
        'sudo update-grub',
        'sudo reboot',
      ],
    });
  });

  it('sriov: xe with a limit of 0 gets xe.max_vfs', () => {
    const bmg = '/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:01.0/0000:03:00.0';
    const run = doctor('bmg', { change: (at) => write(at(`${bmg}/sriov_totalvfs`), '0\n') });
    expect(run.checks.sriov.commands[0]).toBe(
      `sudo sed -i 's/xe\\.max_vfs=[^ "]*/xe.max_vfs=24/' /etc/default/grub`,
    );
  });

  it('guc: submission off, load failure, old firmware, unreadable debugfs', () => {
    const guc = `/sys/kernel/debug/dri/0000:00:02.0/gt0/uc/guc_info`;
    const edit = (from: string, to: string) => (at: (p: string) => string) =>
      write(at(guc), fs.readFileSync(at(guc), 'utf8').replace(from, to));
    const noSubmission = doctor('adl-p', {
      change: (at) => write(at(guc), fs.readFileSync(at(guc), 'utf8').split('CT enabled')[0] ?? ''),
    });
    expect(noSubmission.checks.guc).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('submission is off'),
    });
    expect(noSubmission.checks.guc.commands[0]).toBe(
      `sudo sed -i 's/i915\\.enable_guc=[^ "]*/i915.enable_guc=3/' /etc/default/grub`,
    );
    expect(
      doctor('adl-p', { change: edit('status: RUNNING', 'status: LOAD FAIL') }).checks.guc,
    ).toMatchObject({
      status: 'fail',
      summary: 'GuC firmware i915/adlp_guc_70.bin is LOAD FAIL.',
    });
    expect(
      doctor('adl-p', { change: edit('found 70.44.1', 'wanted 70.49.4, found 70.44.1') }).checks.guc.status,
    ).toBe('warn');
    expect(doctor('adl-p', { change: (at) => write(at(guc), 'GuC disabled\n') }).checks.guc.status).toBe(
      'fail',
    );
    const denied = failingFs([{ op: 'readdirSync', suffix: '/sys/kernel/debug', code: 'EACCES' }]);
    expect(doctor('adl-p', { hostFs: denied }).checks.guc).toMatchObject({
      status: 'unknown',
      summary:
        'GuC state unknown: debugfs is readable by root only: run as root to see the GuC state. The kernel command line asks for i915.enable_guc=3.',
      commands: ['sudo tessera doctor'],
    });
  });

  it('guc on a GVT-g host: GuC submission on is a failure', () => {
    const guc = '/sys/kernel/debug/dri/0000:00:02.0/gt0/uc/guc_info';
    const run = doctor('cml', {
      change: (at) =>
        write(
          at(guc),
          'GuC firmware: i915/kbl_guc_70.bin\n\tstatus: RUNNING\n\tversion: found 70.1.1\n\nGuC log relay not created\nCT enabled\n',
        ),
    });
    expect(run.checks.guc).toMatchObject({ status: 'fail', applies: true });
  });

  it('gvt: off, or on without kvmgt, or without free instances', () => {
    const types = '/sys/devices/pci0000:00/0000:00:02.0/mdev_supported_types';
    const off = doctor('cml', {
      change: (at) => {
        fs.rmSync(at(types), { recursive: true });
        write(at('/proc/cmdline'), 'ro quiet intel_iommu=on\n');
      },
    });
    expect(off.checks.gvt).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('GVT-g is off'),
    });
    expect(off.checks.gvt.commands).toContain('echo kvmgt | sudo tee /etc/modules-load.d/kvmgt.conf');
    const noKvmgt = doctor('cml', {
      change: (at) => {
        fs.rmSync(at(types), { recursive: true });
        write(at('/proc/modules'), 'i915 16384 0 - Live 0x0\nvfio_pci 16384 0 - Live 0x0\n');
      },
    });
    expect(noKvmgt.checks.gvt).toMatchObject({
      status: 'fail',
      commands: ['sudo modprobe kvmgt', expect.any(String)],
    });
    const full = doctor('cml', {
      change: (at) => {
        write(at(`${types}/i915-GVTg_V5_4/available_instances`), '0\n');
        write(at(`${types}/i915-GVTg_V5_8/available_instances`), '0\n');
      },
    });
    expect(full.checks.gvt.status).toBe('warn');
  });

  it('vfio-access: a group node the user cannot open, or one that is missing', () => {
    const denied = failingFs([{ op: 'accessSync', suffix: '/dev/vfio/17', code: 'EACCES' }]);
    expect(doctor('adl-p', { hostFs: denied }).checks['vfio-access']).toMatchObject({
      status: 'warn',
      commands: ['sudo chown $USER /dev/vfio/17'],
    });
    const missing = doctor('adl-p', { change: (at) => fs.rmSync(at('/dev/vfio/17')) });
    expect(missing.checks['vfio-access']).toMatchObject({
      status: 'fail',
      summary: 'Bound to vfio but missing: /dev/vfio/17.',
    });
  });

  it('ignore-msrs: off on a host where nobody set it, with the fix now and at every boot', () => {
    const run = doctor('adl-p-maxvfs0');
    expect(run.checks['ignore-msrs']).toMatchObject({
      status: 'warn',
      source: 'host-root',
      summary: expect.stringContaining('blue screen'),
      commands: [
        'echo Y | sudo tee /sys/module/kvm/parameters/ignore_msrs',
        "echo 'options kvm ignore_msrs=1 report_ignored_msrs=0' | sudo tee /etc/modprobe.d/tessera-kvm.conf",
      ],
    });
    const unloaded = doctor('adl-p', {
      change: (at) => fs.rmSync(at('/sys/module/kvm'), { recursive: true }),
    });
    expect(unloaded.checks['ignore-msrs']).toMatchObject({ status: 'unknown', applies: true });
  });

  it('qemu, ovmf, swtpm: missing programs', () => {
    const run = doctor('adl-p', {
      machine: { qemu: { error: 'QEMU is not installed' }, ovmf: null, swtpm: null },
    });
    expect(run.statuses).toMatchObject({ qemu: 'fail', ovmf: 'warn', swtpm: 'warn' });
    expect(run.checks.qemu.commands).toEqual(['sudo apt install qemu-system-x86']);
    expect(run.checks.ovmf.commands).toEqual(['sudo apt install ovmf']);
    expect(run.checks.swtpm.commands).toEqual(['sudo apt install swtpm']);
  });

  it('hugepages: a kernel without pools', () => {
    const run = doctor('adl-p', {
      change: (at) => fs.rmSync(at('/sys/kernel/mm/hugepages'), { recursive: true }),
    });
    expect(run.checks.hugepages.status).toBe('warn');
  });

  it('memlock: too low for the largest VM, enough, CAP_IPC_LOCK, unreadable', () => {
    const low = doctor('adl-p', {
      machine: { memlock: { softBytes: 8 * 1024 ** 2, hardBytes: 8 * 1024 ** 2, capIpcLock: false } },
      largestGuestMiB: 4096,
    });
    expect(low.checks.memlock).toMatchObject({
      status: 'warn',
      summary:
        'The locked-memory limit is 8 MiB; a VM with a VF pins all its RAM, so the largest VM (4096 MiB) needs 5 GiB (RAM + 1 GiB).',
    });
    const enough = doctor('adl-p', {
      machine: { memlock: { softBytes: 5 * 1024 ** 3, hardBytes: null, capIpcLock: false } },
      largestGuestMiB: 4096,
    });
    expect(enough.checks.memlock.status).toBe('pass');
    const cap = doctor('adl-p', { machine: { memlock: { softBytes: 1, hardBytes: 1, capIpcLock: true } } });
    expect(cap.checks.memlock.summary).toMatch(/CAP_IPC_LOCK/);
    expect(doctor('adl-p', { machine: { memlock: null } }).checks.memlock.status).toBe('unknown');
  });
});
