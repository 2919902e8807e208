import { describe, expect, it } from 'vitest';
import { displayServerOf, parseListMonitors, parseWindowList, parseWindowState } from './x11';

describe('what the X tools print', () => {
  it('reads RandR 1.5 monitors with geometry, primary and outputs', () => {
    const text =
      'Monitors: 2\n 0: +*DUMMY0 1920/508x1080/286+0+0  DUMMY0\n 1: +DUMMY1 1280/339x1024/271+1920+0  DUMMY1\n';
    expect(parseListMonitors(text)).toEqual([
      { name: 'DUMMY0', primary: true, width: 1920, height: 1080, x: 0, y: 0, outputs: ['DUMMY0'] },
      { name: 'DUMMY1', primary: false, width: 1280, height: 1024, x: 1920, y: 0, outputs: ['DUMMY1'] },
    ]);
  });

  it('reads a monitor made of two outputs (xrandr --setmonitor) and negative positions', () => {
    const text = 'Monitors: 1\n 0: Wall 3840/1016x1080/286-1920+0  HDMI-1 DP-2\n';
    expect(parseListMonitors(text)).toEqual([
      {
        name: 'Wall',
        primary: false,
        width: 3840,
        height: 1080,
        x: -1920,
        y: 0,
        outputs: ['HDMI-1', 'DP-2'],
      },
    ]);
  });

  it("reads wmctrl's window list with pids and titles (spaces kept), skipping windows without a pid", () => {
    const text =
      '0x00400009  0 23108  1920 0    1280 1024 host QEMU (kiosk-a)\n0x00600003 -1 0      0    0    10   10   host panel\n';
    expect(parseWindowList(text)).toEqual([
      { id: '0x00400009', pid: 23108, x: 1920, y: 0, width: 1280, height: 1024, title: 'QEMU (kiosk-a)' },
      { id: '0x00600003', pid: null, x: 0, y: 0, width: 10, height: 10, title: 'panel' },
    ]);
  });

  it('reads _NET_WM_STATE', () => {
    expect(parseWindowState('_NET_WM_STATE(ATOM) = _NET_WM_STATE_FULLSCREEN')).toEqual({
      fullscreen: true,
      hidden: false,
    });
    expect(parseWindowState('_NET_WM_STATE(ATOM) = _NET_WM_STATE_HIDDEN')).toEqual({
      fullscreen: false,
      hidden: true,
    });
    expect(parseWindowState('_NET_WM_STATE:  not found.')).toEqual({ fullscreen: false, hidden: false });
  });

  it('says what works without X11', () => {
    expect(displayServerOf({ DISPLAY: ':0' })).toEqual({ kind: 'x11', display: ':0', message: null });
    expect(displayServerOf({ WAYLAND_DISPLAY: 'wayland-0', DISPLAY: ':0' }).kind).toBe('wayland');
    expect(displayServerOf({ WAYLAND_DISPLAY: 'wayland-0' }).message).toMatch(/no client may put a window/);
    expect(displayServerOf({}).message).toMatch(/DISPLAY is not set/);
  });
});
