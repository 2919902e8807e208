import fsp from 'node:fs/promises';
import { EventEmitter } from 'node:events';
import { TesseraError } from '../../shared/errors';
import type { VmState } from '../../shared/vm-spec';
import { isDown, isUp } from '../../shared/vm-actions';
import { qemuRunFiles, type VmRuntimeFiles } from '../paths';
import { UnsafeRuntimeDir, checkVmSocket, ensureVmRuntimeDir } from '../fsutil/private-dir';
import { QmpClient, type QmpEvent } from './qmp-client';
import { isGone, spawnDetachedQemu, tailFile } from './qemu-process';

/** How a run ended; what the restart rule (restart-rule.ts) decides from. */
export interface RunEnd {
  /** The guest or the user ended the run (SHUTDOWN seen, or we asked QEMU to quit). */
  clean: boolean;
  /** The user asked for the stop; never restarted. */
  requested: boolean;
  message: string;
  logTail: string[];
}

/** The QEMU process a run started, as the runner watches it (a ChildProcess in real life). */
export interface QemuChild {
  readonly pid?: number | undefined;
  once(event: 'error', listener: (error: Error) => void): unknown;
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  kill(signal: NodeJS.Signals): unknown;
  removeAllListeners(): unknown;
}

/** A QMP connection as the runner uses it (a QmpClient in real life, qmp-client.ts). */
export interface QmpLink {
  readonly isClosed: boolean;
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T>;
  on(event: 'event', listener: (event: QmpEvent) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  close(): void;
  removeAllListeners(): unknown;
}

/**
 * The edges of a run the state machine talks through: starting QEMU, its QMP socket and the
 * process table. `realQemu` by default; unit tests give fakes, so every transition is tested
 * without QEMU (vm-runner.test.ts), and the integration tests run the real ones.
 */
export interface QemuSeam {
  spawn(binary: string, argv: string[], logFile: string): QemuChild;
  connectQmp(socketPath: string): Promise<QmpLink>;
  isGone(pid: number): Promise<boolean>;
  kill(pid: number, signal: NodeJS.Signals): void;
}

export const realQemu: QemuSeam = {
  spawn: spawnDetachedQemu,
  async connectQmp(socketPath) {
    // Looked at again at every connect: the dir may have been swapped since the start.
    await checkVmSocket(socketPath);
    return QmpClient.connect(socketPath, 5000);
  },
  isGone,
  kill: (pid, signal) => process.kill(pid, signal),
};

const LOG_TAIL_LINES = 20;

/**
 * One QEMU process of one VM: spawn or re-attach, QMP, and the state machine
 * stopped → starting → running ⇄ paused → stopping → stopped, or → crashed.
 * Restart policy lives one level up (VmService); this class only reports how a run ended.
 */
export class VmRunner extends EventEmitter<{ change: []; end: [RunEnd] }> {
  state: VmState = 'starting';
  since = new Date().toISOString();
  pid: number | undefined;
  private qmp: QmpLink | undefined;
  private child: QemuChild | undefined;
  private shutdownSeen = false;
  private stopRequested = false;
  private ended: Promise<RunEnd> | undefined;
  private markEnded: ((end: RunEnd) => void) | undefined;

  constructor(
    readonly id: string,
    private readonly files: VmRuntimeFiles,
    private readonly qemu: QemuSeam = realQemu,
  ) {
    super();
    this.ended = new Promise((resolve) => (this.markEnded = resolve));
  }

  /** Resolves once QEMU is gone, however that happened. */
  whenEnded(): Promise<RunEnd> {
    return this.ended as Promise<RunEnd>;
  }

  async start(binary: string, argv: string[], timeoutMs = 30_000): Promise<void> {
    await ensureVmRuntimeDir(this.files.dir);
    await Promise.all(qemuRunFiles(this.files).map((f) => fsp.rm(f, { force: true })));
    await fsp.appendFile(
      this.files.log,
      `--- ${new Date().toISOString()} tessera starts: ${[binary, ...argv].join(' ')}\n`,
      { mode: 0o600 },
    );
    const child = this.qemu.spawn(binary, argv, this.files.log);
    this.child = child;
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    child.once('exit', (code, signal) => void this.onGone(code, signal));
    if (child.pid === undefined) {
      const error = await spawnError;
      void this.finish(false, `could not run ${binary}: ${error.message}`);
      throw new TesseraError('QEMU_FAILED', `could not run ${binary}: ${error.message}`);
    }
    this.pid = child.pid;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.state !== 'starting') break;
      try {
        await this.attachQmp();
        break;
      } catch (error) {
        if (error instanceof UnsafeRuntimeDir) {
          child.kill('SIGKILL');
          throw error;
        }
        if (Date.now() > deadline) {
          child.kill('SIGKILL');
          throw new TesseraError('TIMEOUT', `QEMU did not open its QMP socket within ${timeoutMs / 1000} s`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    if (this.state === 'starting' || isDown(this.state)) {
      const end = await Promise.race([
        this.whenEnded(),
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 0)),
      ]);
      if (end) {
        // QEMU's own complaint is the last line it printed, e.g. "Could not open 'x.qcow2'".
        const reason = end.logTail.filter((l) => l.trim() && !l.startsWith('--- ')).at(-1);
        throw new TesseraError('QEMU_FAILED', `QEMU failed to start: ${reason ?? end.message}`, {
          logTail: end.logTail,
        });
      }
    }
  }

  /** Re-attach to a QEMU that an earlier backend started. */
  async attach(pid: number): Promise<void> {
    this.pid = pid;
    await this.attachQmp();
  }

  private async attachQmp(): Promise<void> {
    const qmp = await this.qemu.connectQmp(this.files.qmp);
    this.qmp = qmp;
    qmp.on('event', (e) => this.onEvent(e));
    qmp.on('close', () => void this.onQmpClosed());
    const status = await qmp.execute<{ status: string; running: boolean }>('query-status');
    this.setState(status.running ? 'running' : status.status === 'shutdown' ? 'stopping' : 'paused');
  }

  private onEvent(event: QmpEvent): void {
    switch (event.event) {
      case 'STOP':
        if (this.state === 'running') this.setState('paused');
        break;
      case 'RESUME':
        if (this.state === 'paused' || this.state === 'starting') this.setState('running');
        break;
      case 'SHUTDOWN':
        this.shutdownSeen = true;
        if (isUp(this.state)) this.setState('stopping');
        break;
      default:
        break;
    }
  }

  private async onQmpClosed(): Promise<void> {
    this.qmp = undefined;
    if (this.child) return; // our own child: its 'exit' event tells how it ended
    const pid = this.pid;
    for (let i = 0; pid !== undefined && i < 200 && !(await this.qemu.isGone(pid)); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.onGone(null, null);
  }

  private async onGone(code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    if (isDown(this.state)) return;
    this.qmp?.close();
    const clean = this.shutdownSeen || this.stopRequested || code === 0;
    const how = signal ? `was killed by ${signal}` : code !== null ? `exited with code ${code}` : 'exited';
    const message = clean ? `QEMU ${how}` : `QEMU ${how} unexpectedly`;
    await this.finish(clean, message);
  }

  private async finish(clean: boolean, message: string): Promise<void> {
    const logTail = clean ? [] : await tailFile(this.files.log, LOG_TAIL_LINES);
    if (isDown(this.state)) return;
    await Promise.all(qemuRunFiles(this.files).map((f) => fsp.rm(f, { force: true })));
    this.setState(clean ? 'stopped' : 'crashed');
    const end: RunEnd = { clean, requested: this.stopRequested, message, logTail };
    this.markEnded?.(end);
    this.emit('end', end);
  }

  private setState(state: VmState): void {
    if (state === this.state) return;
    this.state = state;
    this.since = new Date().toISOString();
    this.emit('change');
  }

  private requireQmp(): QmpLink {
    if (!this.qmp || this.qmp.isClosed) {
      throw new TesseraError(
        'INVALID_STATE',
        `VM '${this.id}' is not answering on QMP (state ${this.state})`,
      );
    }
    return this.qmp;
  }

  async command<T = unknown>(name: string, args?: Record<string, unknown>): Promise<T> {
    return this.requireQmp().execute<T>(name, args);
  }

  /** ACPI power button, then force off if the guest ignores it. */
  async stop(timeoutMs: number): Promise<RunEnd> {
    this.stopRequested = true;
    this.setState('stopping');
    try {
      await this.command('system_powerdown');
    } catch {
      // No QMP: fall through to the forced path.
    }
    const end = await Promise.race([
      this.whenEnded(),
      new Promise<undefined>((r) => setTimeout(() => r(undefined), timeoutMs).unref()),
    ]);
    return end ?? this.kill();
  }

  /** Pull the plug: QMP quit (QEMU exits at once), SIGKILL if even that does not work. */
  async kill(): Promise<RunEnd> {
    this.stopRequested = true;
    if (isUp(this.state)) this.setState('stopping');
    try {
      await Promise.race([this.command('quit'), new Promise((r) => setTimeout(r, 2000))]);
    } catch {
      // Already gone or not answering.
    }
    const end = await Promise.race([
      this.whenEnded(),
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 3000).unref()),
    ]);
    if (end) return end;
    if (this.pid !== undefined) {
      try {
        this.qemu.kill(this.pid, 'SIGKILL');
      } catch {
        // Gone between the check and the kill.
      }
    }
    if (!this.child) void this.onQmpClosed();
    return this.whenEnded();
  }

  /** Let go of QEMU without stopping it (the backend is closing; the VM keeps running). */
  detach(): void {
    this.removeAllListeners();
    this.child?.removeAllListeners();
    this.qmp?.removeAllListeners();
    this.qmp?.close();
  }
}
