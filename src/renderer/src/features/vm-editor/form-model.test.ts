import { describe, expect, it } from 'vitest';
import { VmConfig, VmSpec } from '../../../../shared/vm-spec';
import {
  displaysFor,
  duplicateForm,
  emptyForm,
  formFromSpec,
  issuesToErrors,
  newDiskRow,
  validateForm,
  withWindows11Profile,
  type VmForm,
} from './form-model';

const spec = VmSpec.parse({
  name: 'kiosk-1',
  uuid: '3f1c2a4e-8d7b-4c1a-9e2f-0a1b2c3d4e5f',
  createdAt: '2025-01-01T00:00:00.000Z',
  cpus: 2,
  memoryMiB: 2048,
  firmware: 'uefi',
  disks: [{ path: '/vm/root.qcow2' }, { path: '/vm/data.img', format: 'raw', readOnly: true }],
  cdrom: '/iso/install.iso',
  kernel: { path: '/boot/vmlinuz', initrd: '/boot/initrd', append: 'console=ttyS0' },
  network: { mode: 'user', model: 'e1000e', forwards: [{ hostPort: 2222, guestPort: 22 }] },
  cpuPinning: [2, 3],
  memoryBacking: { hugepages: '1G', shared: true },
  machine: { kernelIrqchip: 'split' },
  tpm: true,
  hyperv: true,
  gpu: { kind: 'virtio', gl: true },
  display: { kind: 'spice' },
  restartPolicy: 'on-crash',
});

const ADLP = '0000:00:02.0';

function edit(form: VmForm, change: Partial<VmForm>): VmForm {
  return { ...form, ...change };
}

describe('the VM form', () => {
  it('turns a VM back into the same config, every field', () => {
    const result = validateForm(formFromSpec(spec), 'edit', []);
    expect(result).toEqual({ ok: true, name: 'kiosk-1', config: VmConfig.parse(spec) });
  });

  it('starts a new VM from the contract defaults and needs only a valid, free name', () => {
    const form = emptyForm();
    expect(form.cpus).toBe('1');
    expect(validateForm(form, 'create', [])).toMatchObject({
      ok: false,
      errors: { name: expect.any(String) },
    });
    expect(validateForm(edit(form, { name: 'web' }), 'create', ['web'])).toEqual({
      ok: false,
      errors: { name: "a VM named 'web' already exists" },
    });
    expect(validateForm(edit(form, { name: ' web ' }), 'create', ['db'])).toMatchObject({
      ok: true,
      name: 'web',
    });
  });

  it("puts the contract's messages at the field that is wrong", () => {
    const form = edit(formFromSpec(spec), {
      cpus: '',
      memoryMiB: '32',
      disks: [{ path: ' ', format: 'qcow2', readOnly: false, bus: 'virtio' }],
      forwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: '70000', guestPort: '22' }],
    });
    const result = validateForm(form, 'edit', []);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors['cpus']).toBe('vCPUs must be a whole number');
    expect(result.errors['memoryMiB']).toBe('memory must be at least 64 MiB');
    expect(result.errors['disks.0.path']).toBe('a disk needs a path');
    expect(result.errors['network.forwards.0.hostPort']).toBeDefined();
  });

  it('sends no kernel when its fields are blank, and asks for the kernel when only an initrd is given', () => {
    const blank = edit(formFromSpec(spec), { kernel: '', initrd: ' ', append: '' });
    const ok = validateForm(blank, 'edit', []);
    expect(ok.ok && ok.config.kernel).toBe(undefined);
    const orphan = validateForm(edit(blank, { initrd: '/boot/initrd' }), 'edit', []);
    expect(orphan.ok).toBe(false);
    if (!orphan.ok) expect(orphan.errors['kernel.path']).toBeDefined();
  });

  it('drops forwards with networking off, keeping the rows in the form', () => {
    const form = edit(formFromSpec(spec), { networkMode: 'none' });
    const result = validateForm(form, 'edit', []);
    expect(result.ok && result.config.network).toEqual({ mode: 'none', model: 'e1000e', forwards: [] });
    expect(form.forwards).toHaveLength(1);
  });

  it('maps server issues to fields, dropping the call-specific prefix', () => {
    expect(
      issuesToErrors(
        [
          { path: ['config', 'disks', 0, 'path'], message: 'no such file' },
          { path: ['config', 'disks', 0, 'path'], message: 'second problem' },
          { path: ['cdrom'], message: 'not readable' },
        ],
        'config',
      ),
    ).toEqual({ 'disks.0.path': 'no such file', cdrom: 'not readable' });
  });

  it('round-trips every kind of GPU and display, "any free VF" as an empty VF', () => {
    const gpus = [
      { kind: 'none' },
      { kind: 'std' },
      { kind: 'vf', pf: ADLP },
      { kind: 'vf', pf: ADLP, vf: '0000:00:02.1' },
      { kind: 'mdev', parent: ADLP, type: 'i915-GVTg_V5_4' },
      { kind: 'passthrough', device: ADLP },
    ] as const;
    for (const gpu of gpus) {
      const display = displaysFor(gpu.kind).includes('local')
        ? { kind: 'local', monitor: 'HDMI-A-1', fullScreen: false, showFps: true, hostInput: true }
        : { kind: 'none' };
      const vm = VmSpec.parse({ ...spec, gpu, display });
      const form = formFromSpec(vm);
      if (gpu.kind === 'vf') expect(form.gpu.vf).toBe('vf' in gpu ? gpu.vf : '');
      expect(validateForm(form, 'edit', [])).toEqual({
        ok: true,
        name: 'kiosk-1',
        config: VmConfig.parse(vm),
      });
    }
  });

  it('keeps what each GPU kind had while another is chosen', () => {
    const form = formFromSpec(VmSpec.parse({ ...spec, gpu: { kind: 'vf', pf: ADLP, vf: '0000:00:02.1' } }));
    const back = { ...form, gpu: { ...form.gpu, kind: 'std' as const } };
    expect(validateForm({ ...back, gpu: { ...back.gpu, kind: 'vf' } }, 'edit', [])).toMatchObject({
      ok: true,
      config: { gpu: { kind: 'vf', pf: ADLP, vf: '0000:00:02.1' } },
    });
  });

  it('offers only the displays a GPU can feed, and says so at the field when they do not fit', () => {
    expect(displaysFor('none')).toEqual(['none']);
    expect(displaysFor('passthrough')).toEqual(['vnc', 'spice', 'local', 'none']);
    expect(displaysFor('vf')).toEqual(['vnc', 'spice', 'local', 'none']);
    const form = edit(formFromSpec(spec), { gpu: { ...formFromSpec(spec).gpu, kind: 'none' } });
    expect(validateForm(form, 'edit', [])).toMatchObject({
      ok: false,
      errors: { display: expect.stringMatching(/no screen/) },
    });
    const badVf = edit(formFromSpec(spec), { gpu: { ...formFromSpec(spec).gpu, kind: 'vf', pf: '00:02.0' } });
    expect(validateForm(badVf, 'edit', [])).toMatchObject({
      ok: false,
      errors: { 'gpu.pf': expect.stringMatching(/0000:00:02.1/) },
    });
  });

  it('says which vCPU pinning entry is wrong', () => {
    expect(validateForm(edit(formFromSpec(spec), { cpuPinning: '2' }), 'edit', [])).toMatchObject({
      ok: false,
      errors: { cpuPinning: expect.stringMatching(/pin every vCPU or none/) },
    });
    expect(validateForm(edit(formFromSpec(spec), { cpuPinning: '2, x' }), 'edit', [])).toMatchObject({
      ok: false,
      errors: { 'cpuPinning.1': expect.any(String) },
    });
    expect(validateForm(edit(formFromSpec(spec), { cpuPinning: ' ' }), 'edit', [])).toMatchObject({
      ok: true,
      config: { cpuPinning: [] },
    });
  });

  it('applies the Windows 11 profile, keeping larger sizes', () => {
    const form = withWindows11Profile(
      edit(emptyForm(), {
        name: 'win',
        memoryMiB: '8192',
        disks: [newDiskRow(emptyForm(), { path: '/vm/w.qcow2', format: 'qcow2' })],
      }),
    );
    expect(form).toMatchObject({
      cpus: '2',
      memoryMiB: '8192',
      firmware: 'uefi-secure-boot',
      tpm: true,
      hyperv: true,
      nicModel: 'e1000e',
    });
    expect(form.disks.map((d) => d.bus)).toEqual(['sata']);
    expect(newDiskRow(form, { path: '/vm/d.qcow2', format: 'qcow2' }).bus).toBe('sata');
  });
});

describe('duplicateForm', () => {
  const source = VmSpec.parse({
    name: 'booth-1',
    uuid: '11111111-2222-4333-8444-555555555555',
    createdAt: '2025-01-01T00:00:00.000Z',
    kernel: { path: '/k', initrd: '/i', append: 'console=ttyS0' },
    disks: [{ path: '/d.qcow2' }],
    gpu: { kind: 'vf', pf: '0000:00:02.0', vf: '0000:00:02.1' },
    network: { mode: 'user', forwards: [{ hostPort: 2222, guestPort: 22 }] },
  });

  it('copies what four similar VMs share, names the copy, and leaves out what they cannot share', () => {
    const form = duplicateForm(source, new Set(['booth-1', 'booth-2']));
    expect(form).toMatchObject({ name: 'booth-3', kernel: '/k', initrd: '/i', append: 'console=ttyS0' });
    expect(form.gpu).toMatchObject({ kind: 'vf', pf: '0000:00:02.0', vf: '' });
    expect(form.disks).toEqual([]);
    expect(form.forwards).toEqual([]);
    expect(validateForm(form, 'create', ['booth-1', 'booth-2'])).toMatchObject({ ok: true, name: 'booth-3' });
  });
});
