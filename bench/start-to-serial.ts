import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { waitForTextInFile } from '../src/main/fsutil/wait-for-text';
import { qemuRunFiles, vmRuntimeFiles } from '../src/main/paths';
import { readPidFile, spawnDetachedQemu } from '../src/main/vm/qemu-process';
import { killVms, makeTempHome } from '../tests/support/temp-home';
import { GUEST_READY_MARKER, tinyGuestCreateOptions, type TinyGuest } from '../tests/support/tiny-guest';
import { cli, removeHome, ensureRuntimeClean, onInterrupt, sleep, waitGone } from './proc';
import { interleave, type Comparison } from './stats';

const NAME = 'bench-start';
const TIMEOUT_S = 120;
/** Lets the previous QEMU's teardown finish before the next clock starts, on both sides alike. */
const SETTLE_MS = 300;

export interface StartToSerialResult extends Comparison {
  /** Sockets or pidfiles that were still there after a run had ended and had to be removed by hand. */
  leftovers: string[];
}

/** The serial logfile QEMU is told to write: `logfile=` inside the serial chardev (`,,` is an escaped comma). */
export function serialLogFromArgv(argv: readonly string[]): string {
  for (const arg of argv) {
    const match = /(?:^|,)logfile=((?:[^,]|,,)+)/.exec(arg);
    if (match?.[1]) return match[1].replaceAll(',,', ',');
  }
  throw new Error('the QEMU argv names no serial logfile');
}

/**
 * `tessera vm start NAME --wait-serial MARKER` (a fresh CLI process that runs the backend in
 * itself) against the bare QEMU command it runs, started by hand in the same runtime dir and
 * watched with the same waitForTextInFile the backend uses.
 */
export async function benchStartToSerial(options: {
  guest: TinyGuest;
  runs: number;
  warmup: number;
  log: (line: string) => void;
}): Promise<StartToSerialResult> {
  const { guest } = options;
  const home = makeTempHome('tessera-bench-start-');
  const files = vmRuntimeFiles(home.paths.runtimeDir, NAME);
  const leftovers: string[] = [];
  let direct: { pid: number; alive: () => boolean } | undefined;
  const killAll = () => {
    killVms(home.paths);
    if (direct?.alive()) process.kill(direct.pid, 'SIGKILL');
  };
  const forget = onInterrupt(() => {
    killAll();
    removeHome(home.root);
  });
  try {
    await cli(['vm', 'create', NAME, ...tinyGuestCreateOptions(guest, 256)], home.env);
    const argv = JSON.parse((await cli(['vm', 'args', NAME, '--json'], home.env)).stdout) as string[];
    const [binary, ...qemuArgs] = argv;
    if (binary === undefined) throw new Error('`tessera vm args` printed an empty argv');
    const serialLog = serialLogFromArgv(qemuArgs);
    if (serialLog !== files.serialLog)
      throw new Error(`the argv logs serial to ${serialLog}, not ${files.serialLog}`);

    const viaCli = async (): Promise<number> => {
      const result = await cli(
        ['vm', 'start', NAME, '--wait-serial', GUEST_READY_MARKER, '--timeout', String(TIMEOUT_S)],
        home.env,
      );
      const pid = await readPidFile(files.pid);
      if (pid === undefined) throw new Error('the VM has no pidfile after `tessera vm start`');
      await cli(['vm', 'kill', NAME], home.env);
      await waitGone(pid);
      leftovers.push(...(await ensureRuntimeClean(files)));
      await sleep(SETTLE_MS);
      return result.ms;
    };

    const bare = async (): Promise<number> => {
      leftovers.push(...(await ensureRuntimeClean(files, 0)));
      fs.mkdirSync(files.dir, { recursive: true, mode: 0o700 });
      // Empty, not absent: the backend truncates the log before a run too, and an existing file
      // lets waitForTextInFile use inotify instead of its 50 ms poll.
      fs.writeFileSync(files.serialLog, '', { mode: 0o600 });
      const started = performance.now();
      const child = spawnDetachedQemu(binary, qemuArgs, files.log);
      const pid = child.pid;
      if (pid === undefined) throw new Error(`could not run ${binary}`);
      // spawnDetachedQemu unrefs the child for the backend's sake; we wait for its exit, and an
      // unref'd child would let Node end this process while we wait.
      child.ref();
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const alive = () => child.exitCode === null && child.signalCode === null;
      direct = { pid, alive };
      try {
        await waitForTextInFile(files.serialLog, GUEST_READY_MARKER, {
          timeoutMs: TIMEOUT_S * 1000,
          isAlive: alive,
        });
        return performance.now() - started;
      } finally {
        if (alive()) process.kill(pid, 'SIGKILL');
        await exited;
        direct = undefined;
        // QEMU cannot remove its sockets and pidfile after SIGKILL; the backend would on its side.
        for (const f of qemuRunFiles(files)) fs.rmSync(f, { force: true });
        await sleep(SETTLE_MS);
      }
    };

    return {
      ...(await interleave({
        runs: options.runs,
        warmup: options.warmup,
        a: { label: 'tessera vm start --wait-serial', run: viaCli },
        b: { label: 'bare QEMU + serial log watch', run: bare },
        onSample: (side, i, ms) =>
          options.log(`  run ${i + 1} ${side === 'a' ? 'tessera' : 'bare   '} ${ms.toFixed(0)} ms`),
      })),
      leftovers,
    };
  } finally {
    try {
      // The polite way first (QMP quit through a backend), then SIGKILL whatever still has a pidfile.
      if (fs.existsSync(files.pid)) await cli(['vm', 'kill', NAME], home.env).catch(() => undefined);
    } finally {
      killAll();
      forget();
      removeHome(home.root);
    }
  }
}
