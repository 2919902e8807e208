/**
 * The helper against every simulated host: each op, the kernel's reactions (docs/sriov-sysfs.md#writing-sriov_numvfs–docs/sriov-sysfs.md#vfio-device-nodes,
 * docs/sriov-sysfs.md#i915-sr-iov, #xe-sr-iov, #gvt-g), the errors it maps, and undo when a step fails half-way.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HelperResult, HelperStep } from '../../src/shared/helper-plan';
import { createSimulatedKernel, type KernelWriter } from '../../src/simulation/kernel';
import { REPO_ROOT } from '../support/temp-home';
import { changedPaths, helperHost, layoutOf, snapshotTree, type HelperHost } from '../support/helper-host';

const ADL_PF = '0000:00:02.0';
const ADL = '/sys/devices/pci0000:00/0000:00:02.0';
const HOME = `${ADL}/drm/card0/prelim_iov`;
const adlVf = (n: number) => `0000:00:02.${n}`;
const FLEX_PF = '0000:4d:00.0';
const BMG_PF = '0000:03:00.0';
const CML_UUID = '83b8f4f2-509f-382f-3c1e-e6bfe0fa1001';
const NEW_UUID = '0b5e6b3c-1c8e-4f63-9d0e-5a1d2c3b4a50';

let hosts: HelperHost[] = [];
afterEach(() => {
  for (const h of hosts) h.cleanup();
  hosts = [];
});
function host(name: string): HelperHost {
  const h = helperHost(name);
  hosts.push(h);
  return h;
}

function ok(result: HelperResult) {
  if (!result.ok) throw new Error(`expected success: ${JSON.stringify(result.error)}`);
  return result;
}
function refused(result: HelperResult) {
  if (result.ok) throw new Error('expected a refusal');
  return result;
}
const read = (h: HelperHost, hostPath: string) => fs.readFileSync(h.at(hostPath), 'utf8');
const writesOf = (result: HelperResult) => result.applied.flatMap((a) => a.writes);

/** A kernel that answers one chosen write with an errno, to fail a plan half-way. */
function failingAt(h: HelperHost, nth: number, errno = 'EIO'): KernelWriter & { count: number } {
  const kernel = createSimulatedKernel(h.dir);
  const writer = {
    count: 0,
    write(machinePath: string, value: string) {
      if (++writer.count === nth) throw Object.assign(new Error(errno), { code: errno });
      kernel.write(machinePath, value);
    },
    chown(machinePath: string, uid: number) {
      if (++writer.count === nth) throw Object.assign(new Error(errno), { code: errno });
      kernel.chown(machinePath, uid);
    },
  };
  return writer;
}

function fairAdlPlan(count: number): HelperStep[] {
  const steps: HelperStep[] = [{ op: 'set-vf-count', pf: ADL_PF, count }];
  for (let n = 1; n <= count; n++) {
    steps.push(
      {
        op: 'provision',
        vf: adlVf(n),
        settings: { ggttQuotaBytes: 536870912, contextsQuota: 8960, doorbellsQuota: 32 },
      },
      { op: 'bind', device: adlVf(n), driver: 'vfio-pci' },
      { op: 'grant-vfio', device: adlVf(n) },
    );
  }
  return steps;
}

describe('Alder Lake-P on the SR-IOV i915 (docs/sriov-sysfs.md#alder-lake-p-with-two-vfs)', () => {
  it('0 → 7 provisioned VFs on vfio-pci, given to the user, and back to 0', () => {
    const h = host('adl-p');
    ok(h.run([{ op: 'set-vf-count', pf: ADL_PF, count: 0 }]));
    expect(h.inventory().gpus[0]?.vfs).toEqual([]);

    const up = ok(h.run(fairAdlPlan(7), { uid: 1000 }));
    const writes = writesOf(up).map((w) => `${w.path.replace(ADL, 'PF')} ← ${w.value}`);
    // docs/sriov-sysfs.md#driver-binding: autoprobe off before the VFs appear and back after; docs/sriov-sysfs.md#i915-auto-provisioning: shares before the count.
    expect(writes.slice(0, 3)).toEqual([
      'PF/drm/card0/prelim_iov/vf1/gt0/ggtt_quota ← 536870912',
      'PF/drm/card0/prelim_iov/vf1/gt0/contexts_quota ← 8960',
      'PF/drm/card0/prelim_iov/vf1/gt0/doorbells_quota ← 32',
    ]);
    const numvfs = writes.indexOf('PF/sriov_numvfs ← 7');
    expect(writes.slice(numvfs - 1, numvfs + 2)).toEqual([
      'PF/sriov_drivers_autoprobe ← 0',
      'PF/sriov_numvfs ← 7',
      'PF/sriov_drivers_autoprobe ← 1',
    ]);
    // docs/sriov-sysfs.md#driver-binding libvirt order per VF: override, then drivers_probe (a new VF has no driver to unbind).
    expect(writes.slice(numvfs + 2, numvfs + 4)).toEqual([
      '/sys/devices/pci0000:00/0000:00:02.1/driver_override ← vfio-pci',
      '/sys/bus/pci/drivers_probe ← 0000:00:02.1',
    ]);
    const gpu = h.inventory().gpus[0];
    expect(gpu?.sriov?.numVfs).toBe(7);
    expect(gpu?.vfs.map((v) => [v.address, v.driver, v.driverOverride])).toEqual(
      [1, 2, 3, 4, 5, 6, 7].map((n) => [adlVf(n), 'vfio-pci', 'vfio-pci']),
    );
    const groups = gpu?.vfs.map((v) => v.iommuGroup) ?? [];
    expect(new Set(groups).size).toBe(7);
    for (const group of groups) expect(fs.statSync(h.at(`/dev/vfio/${group}`)).uid).toBe(1000);
    expect(read(h, `${HOME}/pf/gt0/available/ggtt_free`)).toBe('0\n');
    expect(read(h, `${HOME}/pf/gt0/available/contexts_free`)).toBe('768\n');
    expect(read(h, `${HOME}/pf/auto_provisioning`)).toBe('0\n'); // docs/sriov-sysfs.md#i915-provisioning-files: a quota write makes it manual

    ok(h.run([{ op: 'set-vf-count', pf: ADL_PF, count: 0 }]));
    expect(h.inventory().gpus[0]?.vfs).toEqual([]);
    expect(fs.readdirSync(h.at('/dev/vfio'))).toEqual(['vfio']);
    expect(fs.readdirSync(h.at('/sys/kernel/iommu_groups')).sort()).toEqual(['0', '1']);
    expect(fs.readdirSync(h.at('/sys/bus/pci/drivers/vfio-pci')).sort()).toEqual([
      'bind',
      'new_id',
      'remove_id',
      'unbind',
    ]);
    expect(fs.existsSync(h.at(`${HOME}/vf1/device`))).toBe(false);
    // Manual shares stay with their slots when VFs go (docs/sriov-sysfs.md#i915-auto-provisioning releases only automatic ones).
    expect(read(h, `${HOME}/vf7/gt0/ggtt_quota`)).toBe('536870912\n');
  });

  it('autoprobe decides whether new VFs get the host driver; auto-provisioning shares what is free (docs/sriov-sysfs.md#driver-binding, #i915-auto-provisioning)', () => {
    const h = host('adl-p');
    const kernel = createSimulatedKernel(h.dir);
    kernel.write(h.at(`${ADL}/sriov_numvfs`), '0');
    expect(read(h, `${HOME}/pf/gt0/available/ggtt_free`)).toBe('3758096384\n');
    kernel.write(h.at(`${ADL}/sriov_numvfs`), '3');
    const gpu = h.inventory().gpus[0];
    expect(gpu?.vfs.map((v) => [v.driver, v.drmCard])).toEqual([
      ['i915', 'card1'],
      ['i915', 'card2'],
      ['i915', 'card3'],
    ]);
    expect(read(h, `${HOME}/vf3/gt0/ggtt_quota`)).toBe(`${Math.floor(3758096384 / 3 / 4096) * 4096}\n`);
    expect(read(h, `${HOME}/vf3/gt0/contexts_quota`)).toBe(`${Math.floor(63488 / 3 / 128) * 128}\n`);
    expect(fs.readlinkSync(h.at(`${HOME}/vf3/device`))).toBe('../../../../../0000:00:02.3');

    kernel.write(h.at(`${ADL}/sriov_numvfs`), '0');
    expect(read(h, `${HOME}/pf/gt0/available/ggtt_free`)).toBe('3758096384\n');
    expect(fs.existsSync(h.at('/sys/class/drm/card1'))).toBe(false);
    kernel.write(h.at(`${ADL}/sriov_drivers_autoprobe`), 'off');
    kernel.write(h.at(`${ADL}/sriov_numvfs`), '0x2');
    expect(h.inventory().gpus[0]?.vfs.map((v) => v.driver)).toEqual([null, null]);
  });

  it('answers sriov_numvfs writes in the kernel order of docs/sriov-sysfs.md#writing-sriov_numvfs', () => {
    const h = host('adl-p');
    const kernel = createSimulatedKernel(h.dir);
    const numvfs = h.at(`${ADL}/sriov_numvfs`);
    const errno = (value: string) => {
      try {
        kernel.write(numvfs, value);
        return 'ok';
      } catch (error) {
        return (error as { code: string }).code;
      }
    };
    expect(errno('two')).toBe('EINVAL');
    expect(errno('-1')).toBe('EINVAL');
    expect(errno('70000')).toBe('EINVAL');
    expect(errno('8')).toBe('ERANGE');
    expect(errno('2\n')).toBe('ok'); // the same count is a no-op
    expect(errno('3')).toBe('EBUSY'); // write 0 first
    // Without a driver: the same count still succeeds (step 3), another is ENOENT (step 4).
    kernel.write(h.at('/sys/bus/pci/drivers/i915/unbind'), ADL_PF);
    expect(read(h, `${ADL}/sriov_numvfs`)).toBe('0\n'); // i915's remove disabled the VFs
    expect(errno('0')).toBe('ok');
    expect(errno('1')).toBe('ENOENT');
    kernel.write(h.at(`${ADL}/driver_override`), '\n');
    kernel.write(h.at('/sys/bus/pci/drivers_probe'), ADL_PF);
    expect(h.inventory().gpus[0]?.sriovInterface).toBe('i915-prelim_iov'); // its sysfs came back
    // Mainline i915 has no sriov_configure (docs/sriov-sysfs.md#writing-sriov_numvfs step 5): its build has no max_vfs parameter.
    fs.rmSync(h.at('/sys/module/i915/parameters/max_vfs'));
    expect(errno('1')).toBe('ENOENT');
    fs.writeFileSync(h.at('/sys/module/i915/parameters/max_vfs'), '7\n');
    // Not in PF mode (docs/sriov-sysfs.md#sriov_totalvfs: no prelim_iov) → ENODEV.
    fs.rmSync(h.at(`${ADL}/drm/card0/prelim_iov`), { recursive: true });
    expect(errno('1')).toBe('ENODEV');
  });

  it('says what each errno means', () => {
    const h = host('adl-p');
    const kernel = createSimulatedKernel(h.dir);
    kernel.write(h.at('/sys/bus/pci/drivers/i915/unbind'), ADL_PF);
    const noDriver = refused(h.run([{ op: 'set-vf-count', pf: ADL_PF, count: 3 }]));
    expect(noDriver.error).toMatchObject({ code: 'UNSUPPORTED', errno: 'ENOENT', step: 0 });
    expect(noDriver.error.message).toMatch(/this driver cannot do SR-IOV/);
    const over = refused(h.run([{ op: 'set-vf-count', pf: ADL_PF, count: 8 }]));
    expect(over.error).toMatchObject({ code: 'OUT_OF_RANGE', step: 0 });
    expect(over.error.message).toBe("0000:00:02.0: 8 VFs is over the driver's limit of 7 (sriov_totalvfs)");
  });

  it('binds with driver_override and drivers_probe, and the bind file keeps the VF probe gate (docs/sriov-sysfs.md#driver-binding)', () => {
    const h = host('adl-p');
    const kernel = createSimulatedKernel(h.dir);
    const vf2 = '/sys/devices/pci0000:00/0000:00:02.2';
    const errno = (file: string, value: string) => {
      try {
        kernel.write(h.at(file), value);
        return 'ok';
      } catch (error) {
        return (error as { code: string }).code;
      }
    };
    expect(errno('/sys/bus/pci/drivers/vfio-pci/unbind', adlVf(2))).toBe('ENODEV'); // not bound there
    expect(errno('/sys/bus/pci/drivers/i915/bind', adlVf(2))).toBe('EBUSY'); // already bound
    expect(errno('/sys/bus/pci/drivers/i915/unbind', adlVf(2))).toBe('ok');
    expect(fs.existsSync(h.at(`${vf2}/drm`))).toBe(false);
    expect(errno(`${ADL}/sriov_drivers_autoprobe`, '0')).toBe('ok');
    expect(errno('/sys/bus/pci/drivers/vfio-pci/bind', adlVf(2))).toBe('ENODEV'); // gate: no override
    expect(errno(`${vf2}/driver_override`, 'vfio-pci\n')).toBe('ok');
    expect(read(h, `${vf2}/driver_override`)).toBe('vfio-pci\n');
    expect(errno('/sys/bus/pci/drivers/vfio-pci/bind', adlVf(2))).toBe('ok');
    expect(fs.existsSync(h.at('/dev/vfio/18'))).toBe(true);
    expect(errno(`${vf2}/driver_override`, 'x'.repeat(4095))).toBe('EINVAL');
    expect(errno('/sys/bus/pci/drivers_probe', '0000:00:09.0')).toBe('ENODEV');
    // vfio-pci refuses a PF with VFs enabled (docs/sriov-sysfs.md#driver-binding); here the count is written by hand under an unbound PF.
    expect(errno(`${ADL}/driver_override`, 'vfio-pci')).toBe('ok');
    expect(errno('/sys/bus/pci/drivers/i915/unbind', ADL_PF)).toBe('ok');
    fs.writeFileSync(h.at(`${ADL}/sriov_numvfs`), '2\n');
    expect(errno('/sys/bus/pci/drivers/vfio-pci/bind', ADL_PF)).toBe('EBUSY');
  });

  it('keeps provisioning within the limits the driver shows (docs/sriov-sysfs.md#i915-pf-and-vf-nodes, #i915-provisioning-files)', () => {
    const h = host('adl-p');
    const kernel = createSimulatedKernel(h.dir);
    const errno = (file: string, value: string) => {
      try {
        kernel.write(h.at(`${HOME}/${file}`), value);
        return 'ok';
      } catch (error) {
        return (error as { code: string }).code;
      }
    };
    expect(errno('vf1/gt0/ggtt_quota', String(2 ** 33))).toBe('E2BIG');
    expect(errno('vf1/gt0/ggtt_quota', '3758096385')).toBe('EDQUOT'); // over ggtt_max_quota
    expect(errno('vf1/gt0/ggtt_quota', '1879048193')).toBe('EDQUOT'); // nothing is free
    expect(errno('vf1/gt0/ggtt_quota', '0x40000000')).toBe('ok'); // gives 0x30000000 back
    expect(read(h, `${HOME}/pf/gt0/available/ggtt_free`)).toBe(`${1879048192 - 0x40000000}\n`);
    expect(read(h, `${HOME}/pf/auto_provisioning`)).toBe('0\n');
    expect(errno('pf/auto_provisioning', '1')).toBe('ESTALE');
    expect(errno('vf3/gt0/contexts_quota', '65536')).toBe('ERANGE');
    expect(errno('vf3/gt0/exec_quantum_ms', 'ten')).toBe('EINVAL');
    expect(errno('vf3/gt0/exec_quantum_ms', '10')).toBe('ok');
    expect(errno('vf3/id', '4')).toBe('EIO');
    expect(errno('vf3/control', 'stop')).toBe('ok');
    expect(errno('vf3/control', 'explode')).toBe('EINVAL');
    // The PF's spare comes from the same pool: 0x30000000 is free now.
    expect(errno('pf/gt0/ggtt_spare', String(268435456 + 0x30000000 + 4096))).toBe('EDQUOT');
    expect(errno('pf/gt0/ggtt_spare', String(268435456 + 0x30000000))).toBe('ok');
    expect(errno('pf/gt0/policies/sched_if_idle', 'y')).toBe('ok');
    expect(read(h, `${HOME}/pf/gt0/policies/sched_if_idle`)).toBe('1\n');
    expect(errno('mode', 'SR-IOV VF')).toBe('EACCES'); // 0444
  });

  it('undoes what it did when a step fails half-way, whatever the step', () => {
    const h = host('adl-p');
    const before = layoutOf(h.inventory());
    const plan = fairAdlPlan(3);
    // Count the writes of a full run on a copy, then fail at each of them in turn.
    const probe = helperHost('adl-p');
    const total = writesOf(ok(probe.run(plan, { uid: 1000 }))).length;
    probe.cleanup();
    expect(total).toBeGreaterThan(15);
    for (let nth = 1; nth <= total; nth++) {
      const result = refused(h.run(plan, { uid: 1000, writer: failingAt(h, nth) }));
      expect(result.error.errno).toBe('EIO');
      expect(result.undoFailures).toEqual([]);
      expect(layoutOf(h.inventory())).toEqual(before);
      expect(
        fs
          .readdirSync(h.at('/dev/vfio'))
          .map((n) => (n === 'vfio' ? 0 : fs.statSync(h.at(`/dev/vfio/${n}`)).uid)),
      ).not.toContain(1000);
    }
  });

  it('undoes a plan the kernel refuses at its last share (EDQUOT)', () => {
    const h = host('adl-p');
    const before = layoutOf(h.inventory());
    const plan = fairAdlPlan(7).map((s) =>
      s.op === 'provision' ? { ...s, settings: { ...s.settings, contextsQuota: 9088 } } : s,
    );
    const result = refused(h.run(plan));
    expect(result.error).toMatchObject({ code: 'OUT_OF_RANGE', errno: 'EDQUOT' });
    expect(result.error.message).toMatch(/^0000:00:02\.7: contexts_quota = 9088 refused \(EDQUOT\)/);
    expect(result.undone.length).toBeGreaterThan(10);
    expect(layoutOf(h.inventory())).toEqual(before);
  });

  it('refuses to take a VF or change the count while a VM holds a VF (its /dev/vfio group is open)', () => {
    const h = host('adl-p');
    fs.mkdirSync(h.at('/proc/4242/fd'), { recursive: true });
    fs.symlinkSync('/dev/vfio/17', h.at('/proc/4242/fd/7'));
    const before = snapshotTree(h.dir);
    for (const steps of [
      [{ op: 'set-vf-count', pf: ADL_PF, count: 3 }],
      [{ op: 'bind', device: adlVf(1), driver: 'host' }],
    ]) {
      const result = refused(h.run(steps));
      expect(result.error.code).toBe('IN_USE');
      expect(result.error.message).toMatch(/process 4242 holds \/dev\/vfio\/17 open/);
    }
    expect(changedPaths(before, snapshotTree(h.dir))).toEqual([]);
    ok(h.run([{ op: 'provision', vf: adlVf(1), settings: { execQuantumMs: 5 } }]));
  });

  it("takes the GPU from the host's display only when the plan says so, and gives it back (GVT-d)", () => {
    const h = host('adl-p');
    const display = refused(
      h.run([
        { op: 'set-vf-count', pf: ADL_PF, count: 0 },
        { op: 'bind', device: ADL_PF, driver: 'vfio-pci' },
      ]),
    );
    expect(display.error.code).toBe('HOST_DISPLAY');
    const withVfs = refused(
      h.run([{ op: 'bind', device: ADL_PF, driver: 'vfio-pci', takeHostDisplay: true }]),
    );
    expect(withVfs.error.message).toMatch(/vfio-pci refuses a PF with SR-IOV enabled/);
    ok(
      h.run([
        { op: 'set-vf-count', pf: ADL_PF, count: 0 },
        { op: 'bind', device: ADL_PF, driver: 'vfio-pci', takeHostDisplay: true },
        { op: 'grant-vfio', device: ADL_PF },
      ]),
    );
    let gpu = h.inventory().gpus[0];
    expect([gpu?.driver, gpu?.drmCard, gpu?.sriovInterface]).toEqual(['vfio-pci', null, 'none']);
    expect(fs.existsSync(h.at('/dev/vfio/0'))).toBe(true);
    ok(h.run([{ op: 'bind', device: ADL_PF, driver: 'host' }]));
    gpu = h.inventory().gpus[0];
    expect([gpu?.driver, gpu?.drmCard, gpu?.sriovInterface]).toEqual(['i915', 'card0', 'i915-prelim_iov']);
    expect(gpu?.guc.state).toBe('known'); // debugfs came back with the driver
    expect(fs.existsSync(h.at('/dev/vfio/0'))).toBe(false);
  });

  it('grants /dev/vfio only for a vfio device whose whole group is on vfio (docs/sriov-sysfs.md#vfio-device-nodes)', () => {
    const h = host('adl-p');
    expect(refused(h.run([{ op: 'grant-vfio', device: adlVf(2) }])).error.message).toMatch(/not on vfio-pci/);
    fs.symlinkSync(
      '../../../../devices/pci0000:00/0000:00:02.2',
      h.at('/sys/kernel/iommu_groups/17/devices/0000:00:02.2'),
    );
    const viable = refused(h.run([{ op: 'grant-vfio', device: adlVf(1) }], { uid: 1000 }));
    expect(viable.error).toMatchObject({ code: 'BUSY' });
    expect(viable.error.message).toBe(
      'group 17 is not viable: 0000:00:02.2 is on i915; put it on vfio-pci too',
    );
    fs.rmSync(h.at('/sys/kernel/iommu_groups/17/devices/0000:00:02.2'));
    ok(h.run([{ op: 'grant-vfio', device: adlVf(1) }], { uid: 1000 }));
    expect(fs.statSync(h.at('/dev/vfio/17')).uid).toBe(1000);
    expect(fs.statSync(h.at('/dev/vfio/17')).mode & 0o777).toBe(0o600);
  });

  it('checks set-memlock against the process, then answers that it cannot be done without prlimit(2)', () => {
    const h = host('adl-p');
    const status = (name: string, uid: number) => {
      fs.mkdirSync(h.at('/proc/777'), { recursive: true });
      fs.writeFileSync(h.at('/proc/777/status'), `Name:\t${name}\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\n`);
    };
    const memlock = [{ op: 'set-memlock', pid: 777, bytes: 2 ** 31 }];
    expect(refused(h.run(memlock)).error.message).toBe('there is no process 777');
    status('qemu-system-x86', 0);
    expect(refused(h.run(memlock, { uid: 1000 })).error.message).toBe(
      'process 777 is not yours (it runs as uid 0)',
    );
    status('bash', 1000);
    expect(refused(h.run(memlock, { uid: 1000 })).error.message).toBe('process 777 is bash, not QEMU');
    status('qemu-system-x86', 1000);
    const unsupported = refused(
      h.run([{ op: 'set-vf-count', pf: ADL_PF, count: 3 }, ...memlock], { uid: 1000 }),
    );
    expect(unsupported.error).toMatchObject({ code: 'UNSUPPORTED', step: 1 });
    expect(unsupported.applied).toEqual([]); // refused before anything was written
    expect(h.inventory().gpus[0]?.sriov?.numVfs).toBe(2);
  });

  it('refuses another host root when started by pkexec', () => {
    const h = host('adl-p');
    const result = refused(
      h.run([{ op: 'set-vf-count', pf: ADL_PF, count: 3 }], { env: { PKEXEC_UID: '1000' } }),
    );
    expect(result.error.code).toBe('ROOT_REFUSED');
    expect(result.error.message).toMatch(
      /^started through pkexec, the helper changes this machine \(\/\) only/,
    );
    expect(h.inventory().gpus[0]?.sriov?.numVfs).toBe(2);
  });

  it('runs as its own process: plan on stdin, one JSON line on stdout, exit status', () => {
    const h = host('adl-p');
    const program = (name: string) => (input: string) =>
      spawnSync(process.execPath, [path.join(REPO_ROOT, 'out', 'helper', name)], {
        input,
        env: { TESSERA_HOST_ROOT: h.dir },
        encoding: 'utf8',
      });
    // The root helper has no simulated kernel in it, so it does not touch a simulated host.
    const asRoot = program('index.js')(
      JSON.stringify({ version: 1, steps: [{ op: 'set-vf-count', pf: ADL_PF, count: 1 }] }),
    );
    expect(asRoot.status).toBe(1);
    expect(JSON.parse(asRoot.stdout).error).toMatchObject({
      code: 'ROOT_REFUSED',
      message: `this helper changes this machine (/) only; plans for the simulated host ${h.dir} go to the simulated helper (out/helper/simulated.js)`,
    });
    const run = program('simulated.js');
    const good = run(JSON.stringify({ version: 1, steps: [{ op: 'set-vf-count', pf: ADL_PF, count: 1 }] }));
    expect(good.status).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ ok: true, applied: [{ step: 0, op: 'set-vf-count' }] });
    const bad = run('{"version":1,"steps":[{"op":"format-disk"}]}');
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stdout).error.code).toBe('BAD_PLAN');
    expect(bad.stdout.trim().split('\n')).toHaveLength(1);
    // Issue 18: stdin was cut before the limit, so a big plan read as JSON that ends early.
    const huge = run(JSON.stringify({ version: 1, steps: [] }).replace('[]', `[${' '.repeat(2 ** 20)}]`));
    expect(huge.status).toBe(1);
    expect(JSON.parse(huge.stdout).error).toMatchObject({
      code: 'BAD_PLAN',
      message: `a plan is at most ${2 ** 20} bytes`,
    });
  });
});

describe('Flex 170 on the backports i915 (docs/sriov-sysfs.md#flex-170-with-two-vfs)', () => {
  it('goes from 2 to 4 VFs with local memory shares (xpumanager 56c0N4), on vfio-pci', () => {
    const h = host('flex170');
    const vf = (n: number) => `0000:4d:00.${n}`;
    const steps: HelperStep[] = [{ op: 'set-vf-count', pf: FLEX_PF, count: 4 }];
    for (let n = 1; n <= 4; n++) {
      steps.push(
        {
          op: 'provision',
          vf: vf(n),
          settings: {
            lmemQuotaBytes: 4194304000,
            ggttQuotaBytes: 1006632960,
            contextsQuota: 1024,
            doorbellsQuota: 60,
          },
        },
        { op: 'bind', device: vf(n), driver: 'vfio-pci' },
      );
    }
    const result = ok(h.run(steps));
    // Shares that shrink go back before any is taken (docs/sriov-sysfs.md#i915-provisioning-files EDQUOT otherwise).
    const quotaWrites = writesOf(result)
      .filter((w) => /lmem_quota/.test(w.path))
      .map((w) => w.path.split('/').slice(-3, -2)[0]);
    expect(quotaWrites.slice(0, 2)).toEqual(['vf1', 'vf2']);
    const gpu = h.inventory().gpus[0];
    expect(gpu?.vfs.map((v) => [v.address, v.driver])).toEqual([1, 2, 3, 4].map((n) => [vf(n), 'vfio-pci']));
    const pf = gpu?.provisioning?.slots.find((s) => s.function === 'pf')?.values['gt/available'];
    expect(pf?.lmem_free).toBe(0);
    expect(pf?.doorbells_free).toBe(0);
  });

  it('gives a VF that came up without a driver back to no driver, its override cleared', () => {
    const h = host('flex170');
    const vf = '0000:4d:00.2';
    const dir = `/sys/bus/pci/devices/${vf}`;
    ok(h.run([{ op: 'bind', device: vf, driver: 'vfio-pci' }]));
    expect(h.inventory().gpus[0]?.vfs[1]).toMatchObject({ driver: 'vfio-pci', driverOverride: 'vfio-pci' });
    ok(h.run([{ op: 'bind', device: vf, driver: 'none' }]));
    expect(h.inventory().gpus[0]?.vfs[1]).toMatchObject({ address: vf, driver: null, driverOverride: null });
    expect(fs.existsSync(h.at(`${dir}/driver`))).toBe(false);
  });

  it('makes VF8 at 4d:01.0 (ARI) and refuses shares over the per-VF maximum', () => {
    const h = host('flex170');
    ok(h.run([{ op: 'set-vf-count', pf: FLEX_PF, count: 8 }]));
    expect(h.inventory().gpus[0]?.vfs.at(-1)?.address).toBe('0000:4d:01.0');
    const over = refused(
      h.run([{ op: 'provision', vf: '0000:4d:00.3', settings: { lmemQuotaBytes: 16777216001 } }]),
    );
    expect(over.error.message).toBe(
      'lmem_quota 16777216001 is over what the driver allows one VF (available/lmem_max_quota is 16777216000)',
    );
  });

  it("passes the PF's scheduling priority to the driver, which says no to a level it lacks", () => {
    const h = host('flex170');
    ok(h.run([{ op: 'set-pf-spare', pf: FLEX_PF, settings: { schedPriority: 1, execQuantumMs: 20 } }]));
    const result = refused(h.run([{ op: 'set-pf-spare', pf: FLEX_PF, settings: { schedPriority: 5 } }]));
    expect(result.error).toMatchObject({ code: 'OUT_OF_RANGE', errno: 'EINVAL' });
    expect(result.error.message).toMatch(
      /sched_priority = 5 refused \(EINVAL\): not a value this attribute takes/,
    );
  });
});

describe('Battlemage on xe with sriov_admin (docs/sriov-sysfs.md#xe-sriov_admin)', () => {
  it('sets counts, profiles and VRAM, and refuses what xe keeps to debugfs', () => {
    const h = host('bmg');
    const vf = (n: number) => `0000:03:00.${n}`;
    ok(
      h.run([
        { op: 'set-vf-count', pf: BMG_PF, count: 3 },
        { op: 'provision', vf: vf(3), settings: { execQuantumMs: 8, lmemQuotaBytes: 8053063680 } },
        { op: 'bind', device: vf(3), driver: 'vfio-pci' },
        { op: 'set-pf-spare', pf: BMG_PF, settings: { schedPriority: 'normal' } },
      ]),
    );
    const admin = '/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:01.0/0000:03:00.0/sriov_admin';
    expect(read(h, `${admin}/vf3/profile/vram_quota`)).toBe('8053063680\n');
    expect(read(h, `${admin}/pf/profile/sched_priority`)).toBe('low [normal] high\n');
    expect(fs.readlinkSync(h.at(`${admin}/vf3/device`))).toBe('../../../0000:03:00.3');
    expect(h.inventory().gpus[0]?.vfs.map((v) => v.driver)).toEqual([null, null, 'vfio-pci']);
    const ggtt = refused(h.run([{ op: 'provision', vf: vf(1), settings: { ggttQuotaBytes: 1 } }]));
    expect(ggtt.error.message).toMatch(/^xe offers ggtt_quota only in debugfs/);
    const number = refused(h.run([{ op: 'set-pf-spare', pf: BMG_PF, settings: { schedPriority: 2 } }]));
    expect(number.error.message).toBe('sched_priority on xe is low, normal or high');
  });
});

describe('Comet Lake with GVT-g (docs/sriov-sysfs.md#gvt-g)', () => {
  const CML = '/sys/devices/pci0000:00/0000:00:02.0';
  const available = (h: HelperHost, type: string) =>
    read(h, `${CML}/mdev_supported_types/${type}/available_instances`);

  it('creates vGPUs while graphics memory lasts, grants and removes them', () => {
    const h = host('cml');
    const second = '1c2d3e4f-5a6b-4c7d-8e9f-a0b1c2d3e4f5';
    const created = ok(
      h.run(
        [
          { op: 'create-mdev', parent: ADL_PF, type: 'i915-GVTg_V5_8', uuid: NEW_UUID },
          { op: 'create-mdev', parent: ADL_PF, type: 'i915-GVTg_V5_8', uuid: second },
          { op: 'grant-vfio', device: NEW_UUID },
        ],
        { uid: 1000 },
      ),
    );
    expect(created.applied.map((a) => a.op)).toEqual(['create-mdev', 'create-mdev', 'grant-vfio']);
    expect([available(h, 'i915-GVTg_V5_4'), available(h, 'i915-GVTg_V5_8')]).toEqual(['0\n', '0\n']);
    const group = fs
      .readlinkSync(h.at(`${CML}/${NEW_UUID}/iommu_group`))
      .split('/')
      .pop();
    expect(fs.statSync(h.at(`/dev/vfio/${group}`)).uid).toBe(1000);
    expect(fs.readlinkSync(h.at(`/sys/bus/mdev/devices/${NEW_UUID}`))).toBe(
      `../../../devices/pci0000:00/0000:00:02.0/${NEW_UUID}`,
    );
    const third = refused(
      h.run([
        { op: 'create-mdev', parent: ADL_PF, type: 'i915-GVTg_V5_8', uuid: CML_UUID.replace('1001', '1002') },
      ]),
    );
    expect(third.error).toMatchObject({ code: 'OUT_OF_RANGE' });
    expect(
      refused(h.run([{ op: 'create-mdev', parent: ADL_PF, type: 'i915-GVTg_V5_4', uuid: CML_UUID }])).error
        .message,
    ).toBe(`a vGPU ${CML_UUID} exists already`);
    ok(
      h.run([
        { op: 'remove-mdev', uuid: NEW_UUID },
        { op: 'remove-mdev', uuid: second },
      ]),
    );
    expect([available(h, 'i915-GVTg_V5_4'), available(h, 'i915-GVTg_V5_8')]).toEqual(['1\n', '2\n']);
    expect(fs.existsSync(h.at(`/dev/vfio/${group}`))).toBe(false);
  });

  it('undoes vGPU changes when a later write fails', () => {
    const h = host('cml');
    const before = layoutOf(h.inventory());
    const plan = [
      { op: 'remove-mdev', uuid: CML_UUID },
      { op: 'create-mdev', parent: ADL_PF, type: 'i915-GVTg_V5_8', uuid: NEW_UUID },
      { op: 'grant-vfio', device: NEW_UUID },
    ];
    for (let nth = 1; nth <= 3; nth++) {
      const result = refused(h.run(plan, { uid: 1000, writer: failingAt(h, nth) }));
      expect(result.undoFailures).toEqual([]);
      expect(layoutOf(h.inventory())).toEqual(before);
    }
  });

  it('has no SR-IOV to configure, and refuses to remove a vGPU in use', () => {
    const h = host('cml');
    expect(refused(h.run([{ op: 'set-vf-count', pf: ADL_PF, count: 1 }])).error.message).toBe(
      '0000:00:02.0 has no SR-IOV capability (no sriov_totalvfs)',
    );
    fs.mkdirSync(h.at('/proc/99/fd'), { recursive: true });
    fs.symlinkSync('/dev/vfio/13', h.at('/proc/99/fd/20'));
    expect(refused(h.run([{ op: 'remove-mdev', uuid: CML_UUID }])).error.code).toBe('IN_USE');
  });
});

describe('hosts that cannot', () => {
  it('max_vfs=0: the driver allows no VFs', () => {
    const h = host('adl-p-maxvfs0');
    expect(refused(h.run([{ op: 'set-vf-count', pf: ADL_PF, count: 1 }])).error.message).toBe(
      '0000:00:02.0: the driver allows no VFs (sriov_totalvfs is 0): set i915.max_vfs or xe.max_vfs on the kernel command line',
    );
  });

  it('IOMMU off: VFs come without groups, and vfio-pci cannot take them', () => {
    const h = host('iommu-off');
    ok(h.run([{ op: 'set-vf-count', pf: ADL_PF, count: 2 }]));
    expect(h.inventory().gpus[0]?.vfs.map((v) => v.iommuGroup)).toEqual([null, null]);
    expect(refused(h.run([{ op: 'bind', device: adlVf(1), driver: 'vfio-pci' }])).error.message).toBe(
      '0000:00:02.1 has no IOMMU group, and vfio-pci needs one: turn the IOMMU on (intel_iommu=on)',
    );
  });

  it('no Intel GPU: other devices are never touched', () => {
    const h = host('no-intel-gpu');
    expect(refused(h.run([{ op: 'bind', device: '0000:02:00.0', driver: 'vfio-pci' }])).error.message).toBe(
      '0000:02:00.0 is not an Intel display device (it is 1a03:030000); the helper changes Intel GPUs only',
    );
    expect(refused(h.run([{ op: 'set-vf-count', pf: '0000:00:00.0', count: 1 }])).error.code).toBe(
      'BAD_TARGET',
    );
  });
});
