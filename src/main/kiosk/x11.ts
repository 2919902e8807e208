/**
 * The X server, through the Debian tools every X11 desktop has (`xrandr`, `wmctrl`, `xprop`,
 * `xset`), spawned as the user with the user's DISPLAY. Chosen over an npm X11 client because
 * the tools already speak RandR 1.5 (monitors) and EWMH (window manager requests) correctly,
 * are maintained with the X server, and add no native code to the backend; the cost is a spawn
 * per query, a few milliseconds, against a watchdog that looks twice a second.
 *
 * EWMH ("Extended Window Manager Hints", freedesktop.org wm-spec): a client asks the window
 * manager to move another client's window (`_NET_MOVERESIZE_WINDOW`, wmctrl -e) and to make it
 * full-screen (`_NET_WM_STATE_FULLSCREEN`, wmctrl -b). A full-screen window covers the monitor
 * that holds it (openbox, xfwm4, mutter, KWin), so the window is moved into its monitor first.
 */
import { execFile } from 'node:child_process';
import { TesseraError } from '../../shared/errors';
import type { DisplayServer, Rectangle } from '../../shared/kiosk';

export interface XMonitor extends Rectangle {
  name: string;
  primary: boolean;
  outputs: string[];
}

/** A window the window manager manages (`_NET_CLIENT_LIST`), with its frame-less geometry. */
export interface XWindow extends Rectangle {
  id: string;
  /** `_NET_WM_PID`, null when the client does not set it. */
  pid: number | null;
  title: string;
}

export interface WindowState {
  fullscreen: boolean;
  hidden: boolean;
}

/** What the kiosk asks of the X server; the tools implement it, unit tests fake it. */
export interface X11 {
  readonly display: string;
  monitors(): Promise<XMonitor[]>;
  windows(): Promise<XWindow[]>;
  windowState(id: string): Promise<WindowState>;
  /** Move the window (now in `state`) into `rect` and make it full-screen there. */
  place(id: string, rect: Rectangle, state: WindowState): Promise<void>;
  /** Screen saver and DPMS off; returns what was done, in words. */
  blankingOff(): Promise<string>;
  /** Screen saver and DPMS back to the server's defaults. */
  blankingOn(): Promise<void>;
}

/**
 * Which display server this environment has: X11 when DISPLAY is set (also Xwayland, whose
 * windows the Wayland compositor still places), Wayland when only WAYLAND_DISPLAY is.
 */
export function displayServerOf(env: NodeJS.ProcessEnv): DisplayServer {
  const display = env.DISPLAY || null;
  const wayland = Boolean(env.WAYLAND_DISPLAY) || env.XDG_SESSION_TYPE === 'wayland';
  if (display !== null && !wayland) return { kind: 'x11', display, message: null };
  if (wayland) {
    return {
      kind: 'wayland',
      display,
      message:
        'This is a Wayland session: no client may put a window on a chosen monitor there (the compositor alone decides), so QEMU windows cannot be placed. Tessera\'s own kiosk window works full-screen on the one monitor the compositor picks; for several monitors log in to an X11 session (e.g. "GNOME on Xorg", or the openbox kiosk session in resources/kiosk).',
    };
  }
  return {
    kind: 'none',
    display: null,
    message:
      'No display server: DISPLAY is not set, so there are no monitors to show VMs on. Start the kiosk inside an X11 session (the autostart entry that `tessera kiosk autostart on` writes does), or set DISPLAY.',
  };
}

/**
 * `xrandr --listmonitors` (RandR 1.5 monitors):
 * ` 0: +*DUMMY0 1920/508x1080/286+0+0  DUMMY0` — `+` automatic, `*` primary, width/mm x height/mm
 * +x+y, then the outputs.
 */
export function parseListMonitors(text: string): XMonitor[] {
  const monitors: XMonitor[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*\d+:\s+\+?(\*?)(\S+)\s+(\d+)\/\d+x(\d+)\/\d+([+-]\d+)([+-]\d+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const [, star = '', name = '', w = '0', h = '0', x = '0', y = '0', outputs = ''] = m;
    monitors.push({
      name,
      primary: star === '*',
      width: Number(w),
      height: Number(h),
      x: Number(x),
      y: Number(y),
      outputs: outputs.split(/\s+/).filter(Boolean),
    });
  }
  return monitors;
}

/** `wmctrl -l -p -G`: `0x00400009  0 23108  1920 0    1280 1024 host QEMU (kA)`. */
export function parseWindowList(text: string): XWindow[] {
  const windows: XWindow[] = [];
  for (const line of text.split('\n')) {
    const m = /^(0x[0-9a-f]+)\s+-?\d+\s+(\d+)\s+(-?\d+)\s+(-?\d+)\s+(\d+)\s+(\d+)\s+\S+\s?(.*)$/i.exec(line);
    if (!m) continue;
    const [, id = '', pid = '0', x = '0', y = '0', w = '0', h = '0', title = ''] = m;
    if (Number(w) <= 0 || Number(h) <= 0) continue;
    windows.push({
      id,
      pid: Number(pid) > 0 ? Number(pid) : null,
      x: Number(x),
      y: Number(y),
      width: Number(w),
      height: Number(h),
      title,
    });
  }
  return windows;
}

/** `xprop -id W _NET_WM_STATE`: `_NET_WM_STATE(ATOM) = _NET_WM_STATE_FULLSCREEN, ...`. */
export function parseWindowState(text: string): WindowState {
  return {
    fullscreen: text.includes('_NET_WM_STATE_FULLSCREEN'),
    hidden: text.includes('_NET_WM_STATE_HIDDEN'),
  };
}

const TOOL_TIMEOUT_MS = 5000;
/** wmctrl's words when the root window has no `_NET_CLIENT_LIST` (wmctrl.c, get_client_list). */
const NO_CLIENT_LIST = 'Cannot get client list properties';

/** The Debian package each tool comes in, for the message when one is missing. */
const PACKAGES: Record<string, string> = {
  xrandr: 'x11-xserver-utils',
  xset: 'x11-xserver-utils',
  xprop: 'x11-utils',
  wmctrl: 'wmctrl',
};

/** The tools on `display`; every failure is a TesseraError that says what to do. */
export function x11Tools(display: string, env: NodeJS.ProcessEnv): X11 {
  const run = (tool: string, args: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile(
        tool,
        args,
        { env: { ...env, DISPLAY: display }, timeout: TOOL_TIMEOUT_MS, encoding: 'utf8' },
        (error, stdout, stderr) => {
          if (!error) return resolve(stdout);
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
            return reject(
              new TesseraError(
                'UNAVAILABLE',
                `${tool} is not installed: install the Debian package ${PACKAGES[tool]}`,
              ),
            );
          }
          const said = stderr.trim().split('\n')[0] ?? '';
          reject(
            new TesseraError(
              'UNAVAILABLE',
              `${tool} ${args.join(' ')} failed on ${display}: ${said || error.message}`,
            ),
          );
        },
      );
    });
  const wmctrl = (id: string, ...args: string[]) => run('wmctrl', ['-i', '-r', id, ...args]);
  return {
    display,
    monitors: async () => parseListMonitors(await run('xrandr', ['--listmonitors'])),
    async windows() {
      try {
        return parseWindowList(await run('wmctrl', ['-l', '-p', '-G']));
      } catch (error) {
        // xfwm4 sets no _NET_CLIENT_LIST before it manages a window, and wmctrl says so: no windows
        // yet (the X server answers), not an X server gone.
        if (String(error).includes(NO_CLIENT_LIST)) return [];
        throw error;
      }
    },
    windowState: async (id) => parseWindowState(await run('xprop', ['-id', id, '_NET_WM_STATE'])),
    async place(id, rect, state) {
      // Each request is a tool spawn (tens of ms on a loaded machine): only what the state needs.
      // A full-screen window is pinned to its monitor; it has to be a normal one to move.
      if (state.fullscreen) await wmctrl(id, '-b', 'remove,fullscreen');
      // Un-minimises (there is no EWMH request to clear HIDDEN).
      if (state.hidden) await run('wmctrl', ['-i', '-a', id]);
      await wmctrl(id, '-e', `0,${rect.x},${rect.y},-1,-1`);
      await wmctrl(id, '-b', 'add,fullscreen');
    },
    async blankingOff() {
      await run('xset', ['s', 'off', 's', 'noblank']);
      try {
        await run('xset', ['-dpms']);
        return 'screen saver, blanking and DPMS off';
      } catch {
        // Xorg's dummy driver and some VNC servers have no DPMS extension; nothing to turn off.
        return 'screen saver and blanking off (this X server has no DPMS)';
      }
    },
    async blankingOn() {
      await run('xset', ['s', 'default']);
      await run('xset', ['+dpms']).catch(() => undefined);
    },
  };
}
