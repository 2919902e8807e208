import { describe, expect, it } from 'vitest';
import { VmConfig, VmSpec } from '../../../../shared/vm-spec';
import { emptyForm, formFromSpec, issuesToErrors, validateForm, type VmForm } from './form-model';

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
  network: { mode: 'user', forwards: [{ hostPort: 2222, guestPort: 22 }] },
  vga: 'virtio',
  display: 'spice',
  restartPolicy: 'on-crash',
});

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
      disks: [{ path: ' ', format: 'qcow2', readOnly: false }],
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
    expect(result.ok && result.config.network).toEqual({ mode: 'none', forwards: [] });
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
});
