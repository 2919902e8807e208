/**
 * libvirt goldens (`__golden__/<scenario>.libvirt.xml`) and the round trip: export → import gives
 * the same VmSpec except where the import's report names the field. virsh and virt-xml-validate
 * check the same XML in tests/integration/export-tools.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { GpuInventory } from '../../shared/gpu-inventory';
import { TesseraError } from '../../shared/errors';
import { readSimulatedHost, type SimulatedRun } from '../../../tests/support/simulated-host';
import { EXPORT_SCENARIOS } from './export-fixtures';
import { buildLibvirtDomain } from './libvirt-export';
import { importLibvirtDomain } from './libvirt-import';
import { UUID } from '../vm/qemu-args-fixtures';

const runs: SimulatedRun[] = ['adl-p', 'flex170', 'cml'].map((n) => readSimulatedHost(n));
afterAll(() => runs.forEach((r) => r.cleanup()));
/** One host with the ADL-P, the Flex 170 and a GVT-g vGPU under the fixtures' UUID (what a start of 'gvtg' makes). */
const [adlp, flex, cml] = runs.map((r) => r.inventory) as [GpuInventory, GpuInventory, GpuInventory];
const cmlGpu = cml.gpus[0];
if (!cmlGpu) throw new Error('the cml simulated host has no GPU');
const inventory: GpuInventory = {
  ...adlp,
  gpus: [
    ...adlp.gpus.map((g) => ({
      ...g,
      mdevInstances: [{ uuid: UUID, type: 'i915-GVTg_V5_4', iommuGroup: null, usedBy: null }],
    })),
    ...flex.gpus,
  ],
};

/** Fields where a round trip may differ, and why; each must also be named in the import's report. */
const ROUND_TRIP_DIFFERS: Record<string, Record<string, string>> = {
  'edge-kiosk-any-vf': { gpu: '"any free VF" comes back as the VF that was free at export' },
};

const exported = (name: string) => {
  const s = EXPORT_SCENARIOS.find((x) => x.name === name);
  if (!s) throw new Error(name);
  return { s, out: buildLibvirtDomain(s.spec, { placement: s.host.gpu, capabilities: s.host.capabilities }) };
};

describe('libvirt export', () => {
  it.each(EXPORT_SCENARIOS.map((s) => [s.name] as const))('%s', async (name) => {
    const { s, out } = exported(name);
    await expect(out.xml).toMatchFileSnapshot(`./__golden__/${name}.libvirt.xml`);
    const { spec, report } = importLibvirtDomain(out.xml, inventory);
    const original: Record<string, unknown> = { ...s.spec };
    delete original['uuid'];
    delete original['createdAt'];
    const differing = Object.keys(original)
      .filter(
        (k) =>
          JSON.stringify(original[k as keyof typeof original]) !==
          JSON.stringify(spec[k as keyof typeof spec]),
      )
      .sort();
    expect(differing).toEqual(Object.keys(ROUND_TRIP_DIFFERS[name] ?? {}).sort());
    for (const field of differing)
      expect(report.some((n) => n.field === field && n.kind !== 'unresolved')).toBe(true);
  });

  it('states the minimum libvirt version and lists what it passes as <qemu:commandline>', () => {
    const { out } = exported('edge-kiosk-any-vf');
    expect(out.xml).toContain('Needs libvirt 8.4.0 or later');
    expect(out.notExpressed.join('\n')).toMatch(/GTK.*-display gtk,gl=on,full-screen=on,connectors.0=HDMI-1/);
    expect(out.notExpressed.join('\n')).toMatch(/any free VF of 0000:00:02.0/);
  });
});

describe('libvirt import, bad input', () => {
  it('a hostdev for a device not on this host: GPU none with the reason, never a broken VM', () => {
    const { out } = exported('guide-flex-sriov');
    const { spec, report } = importLibvirtDomain(out.xml, adlp);
    expect(spec.gpu).toEqual({ kind: 'none' });
    expect(spec.display).toEqual({ kind: 'none' });
    expect(report.find((n) => n.source.startsWith('<hostdev'))?.detail).toMatch(
      /no Intel GPU or VF at 0000:4d:00.1 on this host/,
    );
  });
  it.each([
    ['not XML', '<domain><name>x</domain', /not well-formed/],
    ['another root', '<network><name>x</name></network>', /root is <network>/],
    ['no memory', '<domain type="kvm"><name>x</name><vcpu>1</vcpu></domain>', /no memory size/],
    [
      'a hostdev without address',
      "<domain><name>x</name><memory unit='MiB'>512</memory><devices><hostdev mode='subsystem' type='mdev'><source/></hostdev></devices></domain>",
      /needs <source><address uuid=/,
    ],
  ])('refuses %s', (_name, xml, message) => {
    expect(() => importLibvirtDomain(xml, inventory)).toThrow(TesseraError);
    expect(() => importLibvirtDomain(xml, inventory)).toThrow(message);
  });
});
