import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { qemuRunFiles, type VmRuntimeFiles } from '../src/main/paths';
import { isGone } from '../src/main/vm/qemu-process';
import { TESSERA_BIN } from '../tests/support/cli-process';
import { killVms, type TempHome } from '../tests/support/temp-home';

/** Children of timeChild still running: an interrupted bench kills them before cleaning up. */
const running = new Set<ChildProcess>();

export interface TimedResult {
  /** From just before spawn() until the process exited. */
  ms: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Run a child to completion and time it. The clock stops at 'exit' (the process is gone), not
 * at 'close' (our end of the pipes drained), so both sides of a comparison are cut at the same
 * point whatever they print.
 */
export function timeChild(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 180_000,
  input?: string,
): Promise<TimedResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, args, { env });
    child.stdin.end(input);
    running.add(child);
    let ended = 0;
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} ${args.join(' ')} took longer than ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', () => (ended = performance.now()));
    child.once('close', (code, signal) => {
      running.delete(child);
      clearTimeout(timer);
      resolve({ ms: (ended || performance.now()) - started, code, signal, stdout, stderr });
    });
  });
}

/** Run the built CLI and fail loudly unless it exits 0: a benchmark of a failing command measures nothing. */
export async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<TimedResult> {
  const result = await timeChild(process.execPath, [TESSERA_BIN, ...args], env);
  if (result.code !== 0) {
    throw new Error(
      `tessera ${args.join(' ')} exited with ${result.code ?? result.signal}: ${result.stderr.trim() || result.stdout.trim()}`,
    );
  }
  return result;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Wait until a pid is gone (zombies count as gone: PID 1 in a container may not reap orphans). */
export async function waitGone(pid: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await isGone(pid))) {
    if (Date.now() > deadline) throw new Error(`process ${pid} is still alive after ${timeoutMs / 1000} s`);
    await sleep(20);
  }
}

export function leftovers(files: VmRuntimeFiles): string[] {
  return qemuRunFiles(files).filter((f) => fs.existsSync(f));
}

/**
 * Wait (briefly) for a finished run's sockets and pidfile to disappear. Returns what was still
 * there and had to be removed by hand, so the caller can report it rather than hide it.
 */
export async function ensureRuntimeClean(files: VmRuntimeFiles, timeoutMs = 5000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  while (leftovers(files).length > 0 && Date.now() < deadline) await sleep(20);
  const left = leftovers(files);
  for (const f of left) fs.rmSync(f, { force: true });
  return left;
}

/**
 * Homes whose QEMUs must die if the bench is interrupted (Ctrl-C skips every `finally`). Each
 * benchmark registers a synchronous kill-and-clean-up function while it runs.
 */
const emergencyKills = new Set<() => void>();

export function onInterrupt(kill: () => void): () => void {
  emergencyKills.add(kill);
  return () => emergencyKills.delete(kill);
}

/** Remove a temp home even while a dying QEMU may still write into it (rmSync retries ENOTEMPTY). */
export function removeHome(root: string): void {
  fs.rmSync(root, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 });
}

/**
 * A benchmark's temp home while it runs: an interrupt kills the home's QEMUs and the processes
 * named (as they are then), and removes the home. `killAll` is the same killing, for the end of
 * a run; `forget` stops guarding.
 */
export function guardHome(
  home: TempHome,
  processes: () => (ChildProcess | undefined)[],
): { killAll(): void; forget(): void } {
  const killAll = () => {
    killVms(home.paths);
    for (const child of processes()) child?.kill('SIGKILL');
  };
  const forget = onInterrupt(() => {
    killAll();
    removeHome(home.root);
  });
  return { killAll, forget };
}

function runEmergencyKills(): void {
  // A CLI child mid-command would otherwise keep its in-process backend writing into the home.
  for (const child of running) child.kill('SIGKILL');
  for (const kill of emergencyKills) {
    try {
      kill();
    } catch {
      // best effort: the next one may still work
    }
  }
  emergencyKills.clear();
}

export function installInterruptHandler(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      runEmergencyKills();
      process.exit(130);
    });
  }
  // A benchmark still registered at exit never reached its `finally`: Node ran out of work
  // while it awaited something that could no longer happen. Its QEMUs must not outlive us.
  process.once('exit', () => {
    if (emergencyKills.size === 0) return;
    process.stderr.write('bench: ended in the middle of a benchmark; killing its VMs\n');
    runEmergencyKills();
    process.exitCode = 1;
  });
}
