import { describe, expect, it } from 'vitest';
import { consoleTabs, hasGraphics, noGraphicsReason, sshForward } from './console-tabs';

type Spec = Parameters<typeof consoleTabs>[0];
const base: Spec = {
  gpu: { kind: 'std' },
  display: { kind: 'vnc' },
  network: { mode: 'user', model: 'virtio', forwards: [] },
};
const tabs = (spec: Spec) => consoleTabs(spec).map((t) => t.tab);

describe('console tabs', () => {
  it('puts the graphical console of the VM display first', () => {
    expect(tabs(base)).toEqual(['vnc', 'serial', 'monitor', 'host']);
    expect(tabs({ ...base, display: { kind: 'spice' } })).toEqual(['spice', 'serial', 'monitor', 'host']);
    const vf = { kind: 'vf', pf: '0000:00:02.0' } as const;
    expect(tabs({ ...base, gpu: vf })).toEqual(['vnc', 'serial', 'monitor', 'host']);
  });

  it('shows no graphical tab, and says why, without an adapter, a shared picture or a display', () => {
    const local = {
      kind: 'local',
      monitor: null,
      fullScreen: true,
      showFps: false,
      hostInput: true,
    } as const;
    for (const [spec, reason] of [
      [{ ...base, gpu: { kind: 'none' }, display: { kind: 'none' } }, /no graphics adapter/],
      [{ ...base, display: { kind: 'none' } }, /no display server/],
      [{ ...base, display: local }, /QEMU’s own window/],
    ] satisfies [Spec, RegExp][]) {
      expect(hasGraphics(spec)).toBe(false);
      expect(tabs(spec)).toEqual(['serial', 'monitor', 'host']);
      expect(noGraphicsReason(spec)).toMatch(reason);
    }
    expect(noGraphicsReason(base)).toBeNull();
  });

  it('offers SSH only with a TCP forward to guest port 22 on user networking', () => {
    const forward = { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 2222, guestPort: 22 } as const;
    const network = (mode: 'user' | 'none', f: typeof forward | { protocol: 'udp' }) => ({
      mode,
      model: 'virtio' as const,
      forwards: [{ ...forward, ...f }],
    });
    expect(sshForward({ network: network('user', forward) })).toBe(2222);
    expect(tabs({ ...base, network: network('user', forward) })).toContain('ssh');
    expect(sshForward({ network: network('user', { protocol: 'udp' }) })).toBeNull();
    expect(sshForward({ network: network('none', forward) })).toBeNull();
  });
});
