import type { VmInfo } from '../../../shared/vm-spec';

/** A VM as vm.list reports it, for tests: defaults everywhere but identity, state and creation time. */
export function vmInfo(id: string, state: VmInfo['state'], createdAt = '2025-01-01T00:00:00.000Z'): VmInfo {
  return {
    id,
    state,
    since: createdAt,
    restarts: 0,
    spec: {
      name: id,
      uuid: '3f1c2a4e-8d7b-4c1a-9e2f-0a1b2c3d4e5f',
      createdAt,
      cpus: 1,
      memoryMiB: 512,
      firmware: 'bios',
      disks: [],
      network: { mode: 'user', forwards: [] },
      vga: 'std',
      display: 'vnc',
      restartPolicy: 'never',
    },
  };
}
