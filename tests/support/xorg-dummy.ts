import { execFile, spawn } from 'node:child_process';
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

/** `layout`: the dummy's outputs DUMMY0, DUMMY1… in order, each at its mode and position. */
export async function startXorgDummy(layout: readonly MonitorRect[] = MONITOR_LAYOUT): Promise<XorgDummy> {
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
  const openbox = spawn('openbox', [], { env: { ...process.env, DISPLAY: display }, stdio: 'ignore' });
  // The window manager is up once it answers EWMH's _NET_SUPPORTING_WM_CHECK (what wmctrl -m reads).
  for (let i = 0; ; i++) {
    try {
      await x('wmctrl', ['-m']);
      break;
    } catch (error) {
      if (i > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    display,
    x,
    async stop() {
      await stopProcess(openbox);
      await stopProcess(xorg);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
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
