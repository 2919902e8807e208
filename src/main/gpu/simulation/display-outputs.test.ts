import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHostReader } from '../../fsutil/host-reader';
import { createHostRoot } from '../../fsutil/host-root';
import { readDrmConnectors } from '../../host/drm-connectors';
import { findSimulatedHost } from './simulated-hosts';
import { buildHostTree } from './host-tree-builder';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-outputs-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function build(name: string) {
  const tree = path.join(dir, name);
  buildHostTree(findSimulatedHost(name), tree);
  return {
    at: (hostPath: string) => path.join(tree, hostPath),
    reader: createHostReader(createHostRoot(tree)),
  };
}

describe('simulated monitors and kvm parameters', () => {
  it('gives the Alder Lake-P laptop its panel and an external monitor, as DRM shows connectors', () => {
    const { at, reader } = build('adl-p');
    const card = '/sys/devices/pci0000:00/0000:00:02.0/drm/card0';
    expect(fs.readFileSync(at(`${card}/card0-HDMI-A-1/status`), 'utf8')).toBe('connected\n');
    expect(fs.readlinkSync(at('/sys/class/drm/card0-HDMI-A-1'))).toBe(
      '../../devices/pci0000:00/0000:00:02.0/drm/card0/card0-HDMI-A-1',
    );
    expect(readDrmConnectors(reader)).toEqual([
      {
        card: 'card0',
        name: 'DP-1',
        status: 'disconnected',
        enabled: false,
        modes: [],
        device: '0000:00:02.0',
      },
      {
        card: 'card0',
        name: 'DP-2',
        status: 'disconnected',
        enabled: false,
        modes: [],
        device: '0000:00:02.0',
      },
      {
        card: 'card0',
        name: 'HDMI-A-1',
        status: 'connected',
        enabled: true,
        modes: ['3840x2160', '2560x1440', '1920x1080'],
        device: '0000:00:02.0',
      },
      {
        card: 'card0',
        name: 'eDP-1',
        status: 'connected',
        enabled: true,
        modes: ['1920x1200', '1920x1080', '1280x800'],
        device: '0000:00:02.0',
      },
    ]);
    expect(reader.unreadable).toEqual([]);
    expect(fs.readFileSync(at('/sys/module/kvm/parameters/ignore_msrs'), 'utf8')).toBe('Y\n');
  });

  it('leaves a card without outputs without connectors, and kvm at its default', () => {
    expect(readDrmConnectors(build('flex170').reader)).toEqual([]);
    const { at } = build('adl-p-maxvfs0');
    expect(fs.readFileSync(at('/sys/module/kvm/parameters/ignore_msrs'), 'utf8')).toBe('N\n');
  });
});
