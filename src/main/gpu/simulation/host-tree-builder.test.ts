import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SIMULATED_HOSTS } from './host-descriptions';
import { addVf } from '../../../simulation/kernel/pci-tree';
import { buildHostTree } from './host-tree-builder';
import { findSimulatedHost, ensureSimulatedHost, readSimulationMarker } from './simulated-hosts';

/** The value, failing the test when it is missing. */
function must<T>(value: T | null | undefined): T {
  if (value === null || value === undefined) throw new Error('expected a value');
  return value;
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-sim-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const at = (hostPath: string) => path.join(dir, 'tree', hostPath);
const text = (hostPath: string) => fs.readFileSync(at(hostPath), 'utf8');
const linkText = (hostPath: string) => fs.readlinkSync(at(hostPath));

describe('buildHostTree', () => {
  it('builds the Alder Lake-P host of docs/sriov-sysfs.md#alder-lake-p-with-two-vfs file for file', () => {
    buildHostTree(findSimulatedHost('adl-p'), path.join(dir, 'tree'));
    const pf = '/sys/devices/pci0000:00/0000:00:02.0';
    expect(linkText('/sys/bus/pci/devices/0000:00:02.0')).toBe('../../../devices/pci0000:00/0000:00:02.0');
    expect(text(`${pf}/device`)).toBe('0x46a6\n');
    expect(text(`${pf}/class`)).toBe('0x030000\n');
    expect(text(`${pf}/revision`)).toBe('0x0c\n');
    expect(text(`${pf}/modalias`)).toBe('pci:v00008086d000046A6sv00008086sd00002212bc03sc00i00\n');
    expect(text(`${pf}/driver_override`)).toBe('(null)\n');
    expect(text(`${pf}/sriov_totalvfs`)).toBe('7\n');
    expect(text(`${pf}/sriov_numvfs`)).toBe('2\n');
    expect(text(`${pf}/sriov_vf_device`)).toBe('46a6\n');
    expect(text(`${pf}/sriov_drivers_autoprobe`)).toBe('1\n');
    expect(linkText(`${pf}/virtfn0`)).toBe('../0000:00:02.1');
    expect(linkText(`${pf}/virtfn1`)).toBe('../0000:00:02.2');
    expect(linkText(`${pf}/driver`)).toBe('../../../bus/pci/drivers/i915');
    expect(linkText(`${pf}/iommu_group`)).toBe('../../../kernel/iommu_groups/0');
    expect(fs.existsSync(at(`${pf}/drm/card0/iov`))).toBe(false); // strongtz: no alias
    expect(text(`${pf}/drm/card0/prelim_iov/mode`)).toBe('SR-IOV PF\n');
    expect(linkText(`${pf}/drm/card0/prelim_iov/pf/device`)).toBe('../../../../../0000:00:02.0');
    expect(linkText(`${pf}/drm/card0/prelim_iov/vf1/device`)).toBe('../../../../../0000:00:02.1');
    expect(text(`${pf}/drm/card0/prelim_iov/vf1/gt0/ggtt_quota`)).toBe('1879048192\n');
    expect(text(`${pf}/drm/card0/prelim_iov/vf7/id`)).toBe('7\n');
    expect(fs.existsSync(at(`${pf}/drm/card0/prelim_iov/vf7/device`))).toBe(false);
    expect(text(`${pf}/drm/card0/prelim_iov/vf7/gt0/ggtt_quota`)).toBe('0\n');
    expect(fs.statSync(at(`${pf}/drm/card0/prelim_iov/vf1/gt0/state`)).mode & 0o777).toBe(0o600);

    const vf1 = '/sys/devices/pci0000:00/0000:00:02.1';
    expect(text(`${vf1}/driver_override`)).toBe('vfio-pci\n');
    expect(linkText(`${vf1}/physfn`)).toBe('../0000:00:02.0');
    expect(linkText(`${vf1}/driver`)).toBe('../../../bus/pci/drivers/vfio-pci');
    expect(linkText(`${vf1}/iommu_group`)).toBe('../../../kernel/iommu_groups/17');
    expect(fs.existsSync(at(`${vf1}/remove`))).toBe(false);
    expect(linkText('/sys/bus/pci/drivers/vfio-pci/0000:00:02.1')).toBe(
      '../../../../devices/pci0000:00/0000:00:02.1',
    );
    expect(linkText('/sys/kernel/iommu_groups/17/devices/0000:00:02.1')).toBe(
      '../../../../devices/pci0000:00/0000:00:02.1',
    );
    expect(fs.statSync(at('/dev/vfio/17')).mode & 0o777).toBe(0o600);
    expect(fs.existsSync(at('/dev/vfio/18'))).toBe(false); // VF2 is on i915, not vfio
    expect(fs.existsSync(at('/sys/devices/pci0000:00/0000:00:02.2/drm/card1'))).toBe(true);
    expect(text('/sys/kernel/debug/dri/0000:00:02.0/gt0/uc/guc_info')).toMatch(
      /^GuC firmware: i915\/adlp_guc_70.bin\n\tstatus: RUNNING\n\tversion: found 70.44.1\n/,
    );
    expect(linkText('/sys/kernel/debug/dri/0')).toBe('0000:00:02.0');
    expect(fs.statSync(at('/sys/module/i915/parameters/max_vfs')).mode & 0o777).toBe(0o400);
    expect(readSimulationMarker(path.join(dir, 'tree'))).toEqual({
      name: 'adl-p-i915-sriov',
      title: findSimulatedHost('adl-p').title,
      builderVersion: 3,
    });
  });

  it('builds the backports layout of docs/sriov-sysfs.md#flex-170-with-two-vfs: iov -> prelim_iov, single-tile gt, lmem quotas', () => {
    buildHostTree(findSimulatedHost('flex170'), path.join(dir, 'tree'));
    const pf = '/sys/devices/pci0000:4a/0000:4a:01.0/0000:4b:00.0/0000:4c:01.0/0000:4d:00.0';
    expect(linkText(`${pf}/drm/card1/iov`)).toBe('prelim_iov');
    expect(linkText(`${pf}/driver`)).toBe('../../../../../../bus/pci/drivers/i915');
    expect(text(`${pf}/drm/card1/prelim_iov/vf1/gt/lmem_quota`)).toBe('8388608000\n');
    expect(text(`${pf}/drm/card1/prelim_iov/pf/gt/available/lmem_max_quota`)).toBe('16777216000\n');
    expect(fs.existsSync(at(`${pf}/drm/card1/prelim_iov/vf31`))).toBe(true);
    expect(fs.existsSync(at(`${pf}/drm/card1/prelim_iov/vf32`))).toBe(false);
    expect(linkText(`${pf}/virtfn1`)).toBe('../0000:4d:00.2');
    expect(
      fs.existsSync(at('/sys/devices/pci0000:4a/0000:4a:01.0/0000:4b:00.0/0000:4c:01.0/0000:4d:00.1/driver')),
    ).toBe(false);
  });

  it('builds xe sriov_admin (docs/sriov-sysfs.md#xe-sriov_admin) with VF profiles for every allowed VF', () => {
    buildHostTree(findSimulatedHost('bmg'), path.join(dir, 'tree'));
    const pf = '/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:01.0/0000:03:00.0';
    expect(linkText(`${pf}/sriov_admin/pf/device`)).toBe('../../../0000:03:00.0');
    expect(linkText(`${pf}/sriov_admin/vf1/device`)).toBe('../../../0000:03:00.1');
    expect(text(`${pf}/sriov_admin/pf/profile/sched_priority`)).toBe('[low] normal high\n');
    expect(text(`${pf}/sriov_admin/vf24/profile/sched_priority`)).toBe('[low] normal\n');
    expect(fs.statSync(at(`${pf}/sriov_admin/vf1/profile/sched_priority`)).mode & 0o777).toBe(0o444);
    expect(text(`${pf}/sriov_admin/vf3/profile/vram_quota`)).toBe('0\n');
    expect(fs.readdirSync(at('/sys/kernel/debug'))).toEqual([]);
  });

  it('builds GVT-g types and an instance (docs/sriov-sysfs.md#gvt-g)', () => {
    buildHostTree(findSimulatedHost('cml'), path.join(dir, 'tree'));
    const pf = '/sys/devices/pci0000:00/0000:00:02.0';
    const uuid = '83b8f4f2-509f-382f-3c1e-e6bfe0fa1001';
    expect(text(`${pf}/mdev_supported_types/i915-GVTg_V5_4/description`)).toBe(
      'low_gm_size: 128MB\nhigh_gm_size: 512MB\nfence: 4\nresolution: 1920x1200\nweight: 4\n',
    );
    expect(linkText(`${pf}/${uuid}/mdev_type`)).toBe('../mdev_supported_types/i915-GVTg_V5_4');
    expect(linkText(`/sys/bus/mdev/devices/${uuid}`)).toBe(
      `../../../devices/pci0000:00/0000:00:02.0/${uuid}`,
    );
    expect(fs.existsSync(at(`${pf}/sriov_totalvfs`))).toBe(false);
  });

  it('builds every simulated host, each into its own fresh directory', () => {
    for (const host of SIMULATED_HOSTS) buildHostTree(host, path.join(dir, host.name));
    expect(fs.readdirSync(dir).sort()).toEqual(SIMULATED_HOSTS.map((h) => h.name).sort());
    expect(() =>
      buildHostTree(must(SIMULATED_HOSTS[0]), path.join(dir, must(SIMULATED_HOSTS[0]).name)),
    ).toThrow(/not empty/);
  });
});

describe('addVf', () => {
  it('adds a VF to a tree using only what the tree says about its PF', () => {
    const tree = buildHostTree(findSimulatedHost('adl-p'), path.join(dir, 'tree'));
    expect(
      addVf(tree, '/sys/devices/pci0000:00/0000:00:02.0', { index: 3, driver: null, iommuGroup: 19 }),
    ).toBe('0000:00:02.3');
    expect(linkText('/sys/devices/pci0000:00/0000:00:02.0/virtfn2')).toBe('../0000:00:02.3');
    expect(text('/sys/devices/pci0000:00/0000:00:02.3/device')).toBe('0x46a6\n');
    expect(linkText('/sys/devices/pci0000:00/0000:00:02.0/drm/card0/prelim_iov/vf3/device')).toBe(
      '../../../../../0000:00:02.3',
    );
    expect(fs.existsSync(at('/sys/devices/pci0000:00/0000:00:02.3/driver'))).toBe(false);
  });
});

describe('ensureSimulatedHost', () => {
  it('builds once, keeps the tree afterwards, rebuilds one from an older builder', () => {
    const first = ensureSimulatedHost(dir, 'adl-p');
    expect(first.dir).toBe(path.join(dir, 'adl-p-i915-sriov'));
    const keep = path.join(first.dir, 'sys/bus/pci/devices/0000:00:02.0/sriov_numvfs');
    fs.writeFileSync(keep, '5\n');
    ensureSimulatedHost(dir, 'adl-p-i915-sriov');
    expect(fs.readFileSync(keep, 'utf8')).toBe('5\n');

    fs.writeFileSync(
      path.join(first.dir, '.tessera-simulated.json'),
      '{"name":"adl-p-i915-sriov","title":"t","builderVersion":0}',
    );
    ensureSimulatedHost(dir, 'adl-p');
    expect(fs.readFileSync(keep, 'utf8')).toBe('2\n');
    expect(fs.readdirSync(dir)).toEqual(['adl-p-i915-sriov']);
  });

  it('names the simulated hosts when asked for one that does not exist', () => {
    expect(() => findSimulatedHost('rtx')).toThrow(
      /there is no simulated host 'rtx': pick one of adl-p-i915-sriov or adl-p, .*no-intel-gpu/,
    );
  });
});
