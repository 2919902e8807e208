import type { z } from 'zod';
import { VmSpec, type VmInfo } from '../../src/shared/vm-spec';

/** The UUID the unit tests give their VMs (and the QEMU argv goldens show). */
export const TEST_VM_UUID = '0b5f3c1e-6a2d-4c8e-9f47-3d21a8b6e5c0';

const TEST_TIME = '2025-01-02T03:04:05.000Z';

export interface TestVmOptions {
  /** Settings of the spec besides its identity, as `VmSpec` parses them (defaults fill the rest). */
  spec?: Omit<Partial<z.input<typeof VmSpec>>, 'name' | 'uuid' | 'createdAt'>;
  state?: VmInfo['state'];
  /** When the spec was made and the state began; one fixed instant by default. */
  createdAt?: string;
  since?: string;
}

/** A VM's spec named `name`, with the test UUID and the settings given (defaults fill the rest). */
export function testVmSpec(
  name: string,
  settings: TestVmOptions['spec'] = {},
  createdAt = TEST_TIME,
): VmSpec {
  return VmSpec.parse({ ...settings, name, uuid: TEST_VM_UUID, createdAt });
}

/** A `VmInfo` as the backend reports it, for a VM named `id` that never ran. */
export function testVmInfo(id: string, options: TestVmOptions = {}): VmInfo {
  return {
    id,
    spec: testVmSpec(id, options.spec, options.createdAt),
    state: options.state ?? 'stopped',
    since: options.since ?? TEST_TIME,
    restarts: 0,
  };
}
