// Kiosk: from `tessera kiosk start` to every window full-screen on its monitor, against the same
// QEMU command lines started by hand plus an xdotool/wmctrl placement script, side by side on one
// real X server (Xorg's dummy driver + openbox, as in tests/integration/kiosk.test.ts); and from
// kill -9 of a kiosk QEMU to its new window back in place.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { qemuRunFiles, vmRuntimeFiles } from '../src/main/paths';
import { spawnDetachedQemu } from '../src/main/vm/qemu-process';
import { TESSERA_BIN, stopProcess } from '../tests/support/cli-process';
import { killVms, makeTempHome, type TempHome } from '../tests/support/temp-home';
import { tinyGuestCreateOptions, type TinyGuest } from '../tests/support/tiny-guest';
import { startXorgDummy, type MonitorRect, type XorgDummy } from '../tests/support/xorg-dummy';
import { cli, onInterrupt, removeHome, sleep, timeChild, waitGone } from './proc';
import { interleave, median, round1, type Comparison } from './stats';

const SIMULATED = ['--simulate', 'adl-p']; // connected DRM connectors for display local (see the test)
const POLL_MS = 25;

/**
 * 1280x1024 monitors side by side: QEMU's GTK window does not shrink below 1152x768 for the tiny
 * guest's screen (seen on 1024x768 monitors, where full-screen leaves it wider than the monitor).
 */
function layoutOf(count: number): MonitorRect[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `DUMMY${i}`,
    x: i * 1280,
    y: 0,
    width: 1280,
    height: 1024,
  }));
}

/** Every QEMU (by pid) has a managed window covering its monitor, full-screen: checked from outside. */
async function allPlaced(xorg: XorgDummy, pids: number[], layout: MonitorRect[]): Promise<boolean> {
  const list = await xorg.x('wmctrl', ['-l', '-p', '-G']);
  const windows = list
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 7);
  for (const [i, pid] of pids.entries()) {
    const m = layout[i] as MonitorRect;
    const w = windows.find((f) => Number(f[2]) === pid);
    if (!w || [3, 4, 5, 6].some((k, j) => Number(w[k]) !== [m.x, m.y, m.width, m.height][j])) return false;
    if (!(await xorg.x('xprop', ['-id', w[0] ?? '', '_NET_WM_STATE'])).includes('FULLSCREEN')) return false;
  }
  return true;
}

async function pidsOf(home: TempHome, names: string[]): Promise<number[]> {
  return names.map((n) =>
    Number(fs.readFileSync(vmRuntimeFiles(home.paths.runtimeDir, n).pid, 'utf8').trim()),
  );
}

async function stopAll(home: TempHome, names: string[]): Promise<void> {
  const pids = await pidsOf(home, names).catch(() => []);
  killVms(home.paths);
  await Promise.all(pids.map((p) => waitGone(p).catch(() => undefined)));
  await sleep(300);
}

/** `tessera kiosk start --wait` until it prints a status with every window placed. */
function kioskStart(env: NodeJS.ProcessEnv): Promise<{ ms: number; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [TESSERA_BIN, 'kiosk', 'start', '--wait', '120', '--json', ...SIMULATED],
      {
        env,
      },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      try {
        const status = JSON.parse(out) as { entries: { placed: boolean }[] };
        const ms = performance.now() - started;
        if (status.entries.every((e) => e.placed)) resolve({ ms, child });
        else reject(new Error(`kiosk start returned before every window was placed: ${out}`));
      } catch {
        // not all of the JSON yet
      }
    });
    child.once('exit', (code) => reject(new Error(`kiosk start exited with ${code}: ${out}`)));
  });
}

/** What a user without Tessera would write: wait for each QEMU's window, move it, full-screen it. */
function placementScript(pids: number[], layout: MonitorRect[]): string {
  return pids
    .map((pid, i) => {
      const m = layout[i] as MonitorRect;
      return `w=$(xdotool search --sync --onlyvisible --pid ${pid} | head -n1); wmctrl -i -r "$w" -e 0,${m.x},${m.y},-1,-1; wmctrl -i -r "$w" -b add,fullscreen`;
    })
    .join('\n');
}

export interface KioskBenchResult {
  start: Record<number, Comparison>;
  /**
   * Beside each count: a fresh `tessera --help` process (Node's start and the CLI bundle's load,
   * which `kiosk start` pays before its first request and the baseline's shell does not), median
   * of 3, and the 1-minute load average when the count's runs ended.
   */
  floor: Record<number, { cliProcessMs: number; loadAverage: number }>;
  /** kill -9 of one kiosk QEMU to its new window in place (ms), first crash (1 s back-off). */
  restoreMs: number;
}

export async function benchKiosk(options: {
  guest: TinyGuest;
  counts: number[];
  runs: number;
  warmup: number;
  log: (line: string) => void;
}): Promise<KioskBenchResult> {
  const start: Record<number, Comparison> = {};
  const floor: KioskBenchResult['floor'] = {};
  let restoreMs = NaN;
  for (const count of options.counts) {
    const layout = layoutOf(count);
    const xorg = await startXorgDummy(layout);
    const home = makeTempHome('tessera-bench-kiosk-');
    const env = { ...home.env, DISPLAY: xorg.display, WAYLAND_DISPLAY: '', XDG_SESSION_TYPE: 'x11' };
    const names = layout.map((_, i) => `kiosk${i}`);
    // The hand-started QEMUs inherit this process's environment (spawnDetachedQemu), as from a shell.
    process.env.DISPLAY = xorg.display;
    let kiosk: ChildProcess | undefined;
    const forget = onInterrupt(() => {
      kiosk?.kill('SIGKILL');
      killVms(home.paths);
    });
    try {
      for (const [i, name] of names.entries()) {
        await cli(
          [
            'vm',
            'create',
            name,
            ...tinyGuestCreateOptions(options.guest, 128),
            '--display',
            'local',
            ...SIMULATED,
          ],
          env,
        );
        await cli(['kiosk', 'assign', `DUMMY${i}`, name, ...SIMULATED], env);
      }
      const argvs = await Promise.all(
        names.map(
          async (n) =>
            JSON.parse((await cli(['vm', 'args', n, '--json', ...SIMULATED], env)).stdout) as string[],
        ),
      );
      // The same lockdown options the kiosk gives QEMU (golden std-local-kiosk.args): zoom-to-fit
      // lets the window shrink to a monitor smaller than the guest's screen.
      for (const argv of argvs) {
        const at = argv.indexOf('-display') + 1;
        argv[at] = `${argv[at]},window-close=off,show-menubar=off,zoom-to-fit=on,grab-on-hover=on`;
      }
      start[count] = await interleave({
        runs: options.runs,
        warmup: options.warmup,
        a: {
          label: `tessera kiosk start, ${count} VMs`,
          run: async () => {
            const run = await kioskStart(env);
            kiosk = run.child;
            if (!(await allPlaced(xorg, await pidsOf(home, names), layout)))
              throw new Error('kiosk start said placed, the X server disagrees');
            await stopProcess(run.child);
            await stopAll(home, names);
            return run.ms;
          },
        },
        b: {
          label: `${count} QEMUs by hand + xdotool/wmctrl script`,
          run: async () => {
            const t0 = performance.now();
            const pids = argvs.map(([binary = '', ...argv], i) => {
              const files = vmRuntimeFiles(home.paths.runtimeDir, names[i] as string);
              fs.mkdirSync(files.dir, { recursive: true, mode: 0o700 });
              // As VmRunner.start does: sockets and pidfile of the last run go first.
              for (const f of qemuRunFiles(files)) fs.rmSync(f, { force: true });
              return spawnDetachedQemu(binary, argv, files.log).pid ?? 0;
            });
            await xorg.x('bash', ['-c', placementScript(pids, layout)]);
            while (!(await allPlaced(xorg, pids, layout))) await sleep(POLL_MS);
            const ms = performance.now() - t0;
            for (const p of pids) process.kill(p, 'SIGKILL');
            await Promise.all(pids.map((p) => waitGone(p)));
            await sleep(300);
            return ms;
          },
        },
        onSample: (side, i, ms) => options.log(`  kiosk ${count} VMs ${side}[${i}] ${round1(ms)} ms`),
      });
      const cliRuns: number[] = [];
      for (let i = 0; i < 3; i++)
        cliRuns.push((await timeChild(process.execPath, [TESSERA_BIN, '--help'], env)).ms);
      floor[count] = { cliProcessMs: round1(median(cliRuns)), loadAverage: round1(os.loadavg()[0] ?? NaN) };
      options.log(
        `  kiosk ${count} VMs: fresh tessera --help ${floor[count].cliProcessMs} ms, load ${floor[count].loadAverage}`,
      );
      if (count === options.counts[0]) {
        const run = await kioskStart(env);
        kiosk = run.child;
        const [victim, ...others] = await pidsOf(home, names);
        const t0 = performance.now();
        process.kill(victim ?? 0, 'SIGKILL');
        for (;;) {
          const pids = await pidsOf(home, names).catch(() => []);
          if (pids[0] !== undefined && pids[0] !== victim && (await allPlaced(xorg, pids, layout))) break;
          if (performance.now() - t0 > 60_000)
            throw new Error('the killed QEMU was not back in place within 60 s');
          await sleep(POLL_MS);
        }
        restoreMs = performance.now() - t0;
        options.log(
          `  kill -9 to back in place: ${round1(restoreMs)} ms (others ${others.join(',')} untouched)`,
        );
        await stopProcess(run.child);
        await stopAll(home, names);
      }
    } finally {
      forget();
      kiosk?.kill('SIGKILL');
      killVms(home.paths);
      await xorg.stop();
      removeHome(home.root);
    }
  }
  return { start, floor, restoreMs: round1(restoreMs) };
}

export const KIOSK_COUNTS = [2, 4];
