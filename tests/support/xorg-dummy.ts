import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stopProcess } from './cli-process';
import { displayFromFd } from './xvfb';

/**
 * A real X server with two monitors side by side of different sizes, and a window manager that
 * does EWMH full-screen: Xorg's dummy driver (Debian xserver-xorg-video-dummy; Xvfb cannot make
 * side-by-side RandR monitors) and openbox. Xorg runs as the test's user, which is root on the
 * CI machines (the dummy driver opens no device).
 */
export interface XorgDummy {
  display: string;
  /** Run an X tool on this display; resolves with its stdout. */
  x(tool: string, args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export interface MonitorRect {
  name: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export const MONITOR_LAYOUT = [
  { name: 'DUMMY0', x: 0, y: 0, width: 1920, height: 1080 },
  { name: 'DUMMY1', x: 1920, y: 0, width: 1280, height: 1024 },
] as const;

const XORG_CONF = `Section "Device"
  Identifier "dummy"
  Driver "dummy"
  VideoRam 256000
EndSection
Section "Monitor"
  Identifier "monitor"
  HorizSync 5.0 - 1000.0
  VertRefresh 5.0 - 200.0
EndSection
Section "Screen"
  Identifier "screen"
  Device "dummy"
  Monitor "monitor"
  DefaultDepth 24
  SubSection "Display"
    Depth 24
    Virtual 8192 2048
  EndSubSection
EndSection
`;

function run(tool: string, args: string[], display: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      tool,
      args,
      { env: { ...process.env, DISPLAY: display }, timeout: 20_000 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${tool} ${args.join(' ')}: ${stderr || error.message}`)) : resolve(stdout),
    ),
  );
}

/**
 * Window managers from Debian that do EWMH full-screen, as the kiosk tests run them: openbox (the
 * kiosk session of resources/kiosk), xfwm4 (Xfce's; it reads its settings through xfconf, which
 * needs a session bus, hence dbus-run-session; NO_AT_BRIDGE keeps GTK from starting the
 * accessibility bus, which would outlive the test). `none`: a bare X server, as a display
 * manager or startx hands it to the session, which starts its own.
 */
export const WINDOW_MANAGERS = {
  openbox: { command: ['openbox'], programs: ['openbox'] },
  xfwm4: {
    command: ['dbus-run-session', '--', 'xfwm4', '--compositor=off'],
    programs: ['dbus-run-session', 'xfwm4'],
  },
} as const;
export type WindowManager = keyof typeof WINDOW_MANAGERS;

/** The window managers installed here (their programs on PATH); openbox is required. */
export function installedWindowManagers(): WindowManager[] {
  const onPath = (program: string) =>
    (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && fs.existsSync(path.join(dir, program)));
  return (Object.keys(WINDOW_MANAGERS) as WindowManager[]).filter(
    (wm) => wm === 'openbox' || WINDOW_MANAGERS[wm].programs.every(onPath),
  );
}

/** Wait until a window manager answers EWMH's _NET_SUPPORTING_WM_CHECK (what wmctrl -m reads). */
export async function waitForWindowManager(x: XorgDummy['x']): Promise<string> {
  for (let i = 0; ; i++) {
    try {
      return await x('wmctrl', ['-m']);
    } catch (error) {
      if (i > 300) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * `layout`: the dummy's outputs DUMMY0, DUMMY1… in order, each at its mode and position;
 * `windowManager`: the one to run on it, or `none`.
 */
export async function startXorgDummy(
  layout: readonly MonitorRect[] = MONITOR_LAYOUT,
  windowManager: WindowManager | 'none' = 'openbox',
): Promise<XorgDummy> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-xorg-'));
  const conf = path.join(dir, 'xorg.conf');
  fs.writeFileSync(conf, XORG_CONF);
  const xorg = spawn(
    'Xorg',
    [
      '-displayfd',
      '3',
      '-config',
      conf,
      '-noreset',
      '-nolisten',
      'tcp',
      '-logfile',
      path.join(dir, 'xorg.log'),
    ],
    { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] },
  );
  const display = await displayFromFd(xorg, 'Xorg', ' (install xserver-xorg-core xserver-xorg-video-dummy)');
  const x = (tool: string, args: string[]) => run(tool, args, display);
  for (const [i, m] of layout.entries()) {
    // DUMMY0 has the driver's modes; the others get theirs added first.
    if (i > 0) await x('xrandr', ['--addmode', m.name, `${m.width}x${m.height}`]);
    await x('xrandr', ['--output', m.name, '--mode', `${m.width}x${m.height}`, '--pos', `${m.x}x${m.y}`]);
  }
  let wm: ChildProcess | undefined;
  if (windowManager !== 'none') {
    const [program = '', ...args] = WINDOW_MANAGERS[windowManager].command;
    // Its own process group, so stop() ends what it started too (dbus-run-session's bus).
    wm = spawn(program, args, {
      env: { ...process.env, DISPLAY: display, NO_AT_BRIDGE: '1' },
      stdio: 'ignore',
      detached: true,
    });
    await waitForWindowManager(x);
  }
  return {
    display,
    x,
    async stop() {
      if (wm) await stopGroup(wm);
      await stopProcess(xorg);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The window a process owns (`_NET_WM_PID`), as wmctrl sees it: `id x y width height`. */
export async function windowOf(xorg: XorgDummy, pid: number) {
  for (const line of (await xorg.x('wmctrl', ['-l', '-p', '-G'])).split('\n')) {
    const [id, , owner, x, y, width, height] = line.trim().split(/\s+/);
    if (Number(owner) === pid)
      return { id, x: Number(x), y: Number(y), width: Number(width), height: Number(height) };
  }
  return undefined;
}

/** The process's window covers `monitor` exactly and is full-screen (`_NET_WM_STATE_FULLSCREEN`). */
export async function placedOn(xorg: XorgDummy, pid: number, monitor: MonitorRect): Promise<boolean> {
  const window = await windowOf(xorg, pid);
  if (!window?.id) return false;
  const state = await xorg.x('xprop', ['-id', window.id, '_NET_WM_STATE']);
  return (
    state.includes('_NET_WM_STATE_FULLSCREEN') &&
    window.x === monitor.x &&
    window.y === monitor.y &&
    window.width === monitor.width &&
    window.height === monitor.height
  );
}

/** SIGTERM to a child's whole process group (spawned detached), resolved once the child is gone. */
export function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined)
    return Promise.resolve();
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // The group is gone already.
  }
  return gone;
}

/** The average colour of a rectangle of the screen, from ImageMagick's capture of the root window. */
export async function averageColour(
  xorg: XorgDummy,
  rect: { x: number; y: number; width: number; height: number },
  /** Keep the capture here (to look at it); by default it is thrown away. */
  keep?: string,
): Promise<{ r: number; g: number; b: number }> {
  const file = keep ?? path.join(os.tmpdir(), `tessera-capture-${process.pid}-${Date.now()}.png`);
  if (keep) fs.mkdirSync(path.dirname(keep), { recursive: true });
  try {
    await xorg.x('import', [
      '-window',
      'root',
      '-crop',
      `${rect.width}x${rect.height}+${rect.x}+${rect.y}`,
      '+repage',
      file,
    ]);
    const text = await xorg.x('convert', [file, '-resize', '1x1!', '-depth', '8', 'txt:-']);
    const m = /\((\d+(?:\.\d+)?),(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)/.exec(text.split('\n')[1] ?? '');
    if (!m) throw new Error(`cannot read the colour from: ${text}`);
    return { r: Number(m[1]), g: Number(m[2]), b: Number(m[3]) };
  } finally {
    if (!keep) fs.rmSync(file, { force: true });
  }
}
