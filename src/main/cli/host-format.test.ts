import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { readSimulatedHost } from '../../../tests/support/simulated-host';
import { formatDoctor, formatGpuList, hostLine } from './host-format';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function read(name: string, options: Parameters<typeof readSimulatedHost>[1] = {}) {
  const run = readSimulatedHost(name, options);
  cleanups.push(run.cleanup);
  return run;
}

describe('human output', () => {
  it.each(['adl-p-i915-sriov', 'adl-p-i915-maxvfs0', 'cml-gvtg', 'no-intel-gpu'])(
    'doctor on %s',
    async (name) => {
      await expect(formatDoctor(read(name).report)).toMatchFileSnapshot(`./__golden__/doctor-${name}.txt`);
    },
  );

  it.each(['adl-p-i915-sriov', 'flex170-backports', 'bmg-xe', 'cml-gvtg', 'no-intel-gpu'])(
    'gpu list on %s',
    async (name) => {
      await expect(formatGpuList(read(name).inventory)).toMatchFileSnapshot(
        `./__golden__/gpu-list-${name}.txt`,
      );
    },
  );

  it('lists what could not be read', () => {
    const { inventory } = read('adl-p', {
      change: (at) => fs.rmSync(at('/sys/devices/pci0000:00/0000:00:02.2'), { recursive: true }),
    });
    expect(formatGpuList(inventory)).toContain(
      '\n\nCould not read 2 things:\n' +
        '  /sys/devices/pci0000:00/0000:00:02.0/virtfn1 -> ../0000:00:02.2 points to nothing\n' +
        '  /sys/bus/pci/devices/0000:00:02.2 -> ../../../devices/pci0000:00/0000:00:02.2 points to nothing\n',
    );
  });

  it('names the host on the first line', () => {
    expect(hostLine({ root: '/', simulated: null })).toBe('Host: this machine');
    expect(hostLine({ root: '/srv/copy', simulated: null })).toBe('Host root: /srv/copy');
    expect(hostLine({ root: '/x', simulated: { name: 'bmg-xe', title: 'Battlemage' } })).toBe(
      'SIMULATED HOST bmg-xe: Battlemage',
    );
  });
});
