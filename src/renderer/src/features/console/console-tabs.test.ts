import { describe, expect, it } from 'vitest';
import { consoleTabs, hasGraphics, noGraphicsReason, sshForward } from './console-tabs';

type Spec = Parameters<typeof consoleTabs>[0];
const base: Spec = { vga: 'std', display: 'vnc', network: { mode: 'user', forwards: [] } };
const tabs = (spec: Spec) => consoleTabs(spec).map((t) => t.tab);

describe('console tabs', () => {
  it('puts the graphical console of the VM display first', () => {
    expect(tabs(base)).toEqual(['vnc', 'serial', 'monitor', 'host']);
    expect(tabs({ ...base, display: 'spice' })).toEqual(['spice', 'serial', 'monitor', 'host']);
  });

  it('shows no graphical tab, and says why, without an adapter or a display', () => {
    for (const spec of [
      { ...base, vga: 'none' },
      { ...base, display: 'none' },
    ] satisfies Spec[]) {
      expect(hasGraphics(spec)).toBe(false);
      expect(tabs(spec)).toEqual(['serial', 'monitor', 'host']);
      expect(noGraphicsReason(spec)).toMatch(/no (graphics adapter|display server)/);
    }
    expect(noGraphicsReason(base)).toBeNull();
  });

  it('offers SSH only with a TCP forward to guest port 22 on user networking', () => {
    const forward = { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 2222, guestPort: 22 } as const;
    expect(sshForward({ network: { mode: 'user', forwards: [forward] } })).toBe(2222);
    expect(tabs({ ...base, network: { mode: 'user', forwards: [forward] } })).toContain('ssh');
    expect(sshForward({ network: { mode: 'user', forwards: [{ ...forward, protocol: 'udp' }] } })).toBeNull();
    expect(sshForward({ network: { mode: 'none', forwards: [forward] } })).toBeNull();
  });
});
