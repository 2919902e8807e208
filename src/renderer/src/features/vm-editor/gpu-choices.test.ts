import { describe, expect, it } from 'vitest';
import { VirtualFunction, type Gpu, type GpuInventory } from '../../../../shared/gpu-inventory';
import type { DrmConnector } from '../../../../shared/host-displays';
import type { QemuCapabilities } from '../../../../shared/qemu-capabilities';
import { gpuFixture } from '../gpu/gpu-fixture';
import { displayChoices, gpuKindChoices, mdevTypeChoices, monitorChoices, vfChoices } from './gpu-choices';

/** A VF of the fixture's PF, as gpu.list reports it (the schema keeps only a VF's fields). */
function vf(index: number, driver: string | null, usedBy: string | null): VirtualFunction {
  const address = `0000:00:02.${index}`;
  return VirtualFunction.parse({
    ...gpuFixture({}),
    address,
    driver,
    index,
    usedBy,
    drmCard: null,
    drmRender: null,
  });
}

/** The Alder Lake-P PF of docs/sriov-sysfs.md#alder-lake-p-with-two-vfs with two VFs, one on vfio-pci and held by a VM. */
const ADLP: Gpu = gpuFixture({
  sriov: { totalVfs: 7, numVfs: 2, autoprobe: true, vfDeviceId: '46a6', offset: 1, stride: 1 },
  sriovInterface: 'i915-prelim_iov',
  vfs: [vf(1, 'vfio-pci', 'kiosk-1'), vf(2, 'i915', null)],
});

const inventory = (gpus: Gpu[]): GpuInventory => ({
  host: { root: '/', simulated: null },
  gpus,
  otherDisplays: [],
  unreadable: [],
});

describe('GPU choices', () => {
  it('offers every kind and says why a kind this host lacks cannot be chosen', () => {
    const choices = gpuKindChoices(inventory([ADLP]), 'std');
    expect(choices.map((c) => c.value)).toEqual(['none', 'std', 'virtio', 'vf', 'mdev', 'passthrough']);
    expect(choices.find((c) => c.value === 'vf')?.disabled).toBeUndefined();
    expect(choices.find((c) => c.value === 'mdev')?.disabled).toBe('no GVT-g GPU on this host');
    const none = gpuKindChoices(inventory([]), 'vf');
    expect(none.find((c) => c.value === 'passthrough')?.disabled).toBe('no Intel GPU on this host');
    // A stored VM keeps its kind selectable even where the host has none.
    expect(none.find((c) => c.value === 'vf')?.disabled).toBeUndefined();
  });

  it('puts "any free VF" first and names who holds each VF', () => {
    expect(vfChoices(ADLP)).toEqual([
      { value: '', label: 'Any free VF, picked at start (1 free now)' },
      { value: '0000:00:02.1', label: 'VF1 at 0000:00:02.1 (vfio-pci, used by kiosk-1)' },
      { value: '0000:00:02.2', label: 'VF2 at 0000:00:02.2 (i915)' },
    ]);
  });

  it('gives GVT-g types their resolution and free count, and disables full ones', () => {
    const parent: Gpu = {
      ...ADLP,
      mdevTypes: [
        {
          id: 'i915-GVTg_V5_4',
          name: null,
          description: null,
          availableInstances: 0,
          deviceApi: null,
          instances: [],
          resources: { lowGmSizeMiB: 128, highGmSizeMiB: 512, fence: 4, resolution: '1920x1200', weight: 4 },
        },
        {
          id: 'i915-GVTg_V5_8',
          name: null,
          description: null,
          availableInstances: 2,
          deviceApi: null,
          instances: [],
          resources: null,
        },
      ],
    };
    expect(mdevTypeChoices(parent, '')).toEqual([
      { value: 'i915-GVTg_V5_4', label: 'i915-GVTg_V5_4, up to 1920x1200, 0 free', disabled: 'none free' },
      { value: 'i915-GVTg_V5_8', label: 'i915-GVTg_V5_8, 2 free' },
    ]);
    expect(mdevTypeChoices(parent, 'i915-GVTg_V5_4')[0]?.disabled).toBeUndefined();
  });
});

describe('display choices', () => {
  const gtk = { displays: ['none', 'gtk', 'egl-headless'] } as QemuCapabilities;
  const monitor = (name: string, status: DrmConnector['status'], card = 'card0'): DrmConnector => ({
    card,
    name,
    status,
    enabled: status === 'connected',
    modes: status === 'connected' ? ['1920x1080'] : [],
    device: '0000:00:02.0',
  });

  it('offers what the GPU can feed, and a local window only with GTK and a monitor', () => {
    expect(displayChoices('none', gtk, []).map((c) => c.value)).toEqual(['none']);
    const withMonitor = displayChoices('vf', gtk, [monitor('HDMI-A-1', 'connected')]);
    expect(withMonitor.map((c) => c.value)).toEqual(['vnc', 'spice', 'local', 'none']);
    expect(withMonitor.find((c) => c.value === 'local')?.disabled).toBeUndefined();
    const dark = displayChoices('vf', gtk, [monitor('HDMI-A-1', 'disconnected')]);
    expect(dark.find((c) => c.value === 'local')?.disabled).toBe('no monitor connected');
    const noGtk = displayChoices('std', { displays: ['none'] } as QemuCapabilities, null);
    expect(noGtk.find((c) => c.value === 'local')?.disabled).toBe('QEMU has no GTK window here');
  });

  it('lists monitors by connector, cards named only where names repeat', () => {
    const choices = monitorChoices([
      monitor('eDP-1', 'connected'),
      monitor('DP-1', 'disconnected'),
      monitor('DP-1', 'connected', 'card1'),
    ]);
    expect(choices).toEqual([
      { value: '', label: 'Wherever the window manager puts it' },
      { value: 'eDP-1', label: 'eDP-1 (card0, 1920x1080)' },
      { value: 'card0-DP-1', label: 'card0-DP-1 (card0)', disabled: 'nothing connected' },
      { value: 'card1-DP-1', label: 'card1-DP-1 (card1, 1920x1080)' },
    ]);
  });
});
