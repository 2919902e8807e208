import fs from 'node:fs';
import { EventEmitter } from 'node:events';
import { TesseraError } from '../../src/shared/errors';
import type { QmpEvent } from '../../src/main/vm/qmp-client';
import type { QemuChild, QemuSeam, QmpLink } from '../../src/main/vm/vm-runner';

/** How the next QEMU a FakeQemu spawns behaves. */
export interface FakeRun {
  /** The binary cannot be run at all (spawn's 'error', no pid). */
  spawnError?: string;
  /** QEMU prints this line to its log and exits with code 1 before it opens QMP. */
  refuses?: string;
  /** QMP opens only once `openQmp()` is called (a slow start), instead of at once. */
  holdQmp?: boolean;
  /** The guest ignores the ACPI power button. */
  ignoresAcpi?: boolean;
  /** QEMU started with -S: the vCPUs wait for `cont`. */
  paused?: boolean;
  /** QMP gives no answer to `quit` (a wedged QEMU only SIGKILL ends). */
  wedged?: boolean;
}

/**
 * One fake QEMU process, with the QMP behaviour the runner relies on (QEMU's qapi/run-state.json
 * events): STOP and RESUME for `stop`/`cont`, SHUTDOWN (guest true) then exit 0 when the guest
 * powers off, SHUTDOWN (guest false) then exit 0 for `quit`.
 */
export class FakeQemuProcess extends EventEmitter implements QemuChild {
  paused: boolean;
  exited = false;
  qmp: FakeQmp | undefined;
  qmpOpen: boolean;

  constructor(
    readonly pid: number,
    readonly argv: string[],
    readonly logFile: string,
    readonly run: FakeRun,
    private readonly onExit: (p: FakeQemuProcess) => void,
  ) {
    super();
    this.paused = run.paused === true;
    this.qmpOpen = run.holdQmp !== true && run.refuses === undefined;
  }

  /** The QMP socket starts listening (for a start held with `holdQmp`). */
  openQmp(): void {
    this.qmpOpen = true;
  }

  kill(signal: NodeJS.Signals): boolean {
    this.exit(null, signal);
    return true;
  }

  /** The guest shuts itself down: QEMU says SHUTDOWN (guest) and exits 0. */
  guestPowersOff(): void {
    this.qmp?.send({ event: 'SHUTDOWN', data: { guest: true, reason: 'guest-shutdown' } });
    this.exit(0, null);
  }

  /** QEMU dies without a word (a segfault, a kill from outside): its last words go to its log. */
  crash(signal: NodeJS.Signals = 'SIGSEGV', lastWords = 'qemu: fatal: something broke'): void {
    fs.appendFileSync(this.logFile, `${lastWords}\n`);
    this.exit(null, signal);
  }

  exit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exited) return;
    this.exited = true;
    this.onExit(this);
    this.qmp?.drop();
    setImmediate(() => this.emit('exit', code, signal));
  }
}

/** The QMP connection to one fake QEMU. */
export class FakeQmp extends EventEmitter<{ event: [QmpEvent]; close: [] }> implements QmpLink {
  isClosed = false;
  readonly commands: string[] = [];

  constructor(private readonly qemu: FakeQemuProcess) {
    super();
  }

  send(event: QmpEvent): void {
    if (!this.isClosed) this.emit('event', event);
  }

  async execute<T = unknown>(command: string): Promise<T> {
    if (this.isClosed) throw new TesseraError('QEMU_FAILED', 'QMP connection closed');
    this.commands.push(command);
    const qemu = this.qemu;
    const later = (fn: () => void) => setImmediate(fn);
    switch (command) {
      case 'query-status':
        return { status: qemu.paused ? 'prelaunch' : 'running', running: !qemu.paused } as T;
      case 'stop':
        qemu.paused = true;
        later(() => this.send({ event: 'STOP' }));
        break;
      case 'cont':
        qemu.paused = false;
        later(() => this.send({ event: 'RESUME' }));
        break;
      case 'system_powerdown':
        if (!qemu.run.ignoresAcpi) later(() => qemu.guestPowersOff());
        break;
      case 'quit':
        if (qemu.run.wedged) return new Promise<T>(() => undefined);
        later(() => {
          this.send({ event: 'SHUTDOWN', data: { guest: false, reason: 'host-qmp-quit' } });
          qemu.exit(0, null);
        });
        break;
      default:
        break;
    }
    return {} as T;
  }

  close(): void {
    this.drop();
  }

  /** The socket closes (QEMU exited, or the client let go). */
  drop(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    setImmediate(() => this.emit('close'));
  }
}

/**
 * The process table and QMP sockets of fake QEMUs, as the runner's seam (vm-runner.ts
 * `QemuSeam`): each spawn behaves as the FakeRun queued for it (`next`), or starts well.
 */
export class FakeQemu implements QemuSeam {
  readonly processes: FakeQemuProcess[] = [];
  private readonly queued: FakeRun[] = [];
  private readonly alive = new Map<number, FakeQemuProcess>();
  private nextPid = 40_000;

  /** How the next spawns go, in order. */
  next(...runs: FakeRun[]): void {
    this.queued.push(...runs);
  }

  /** The QEMU spawned last. */
  get last(): FakeQemuProcess {
    const last = this.processes.at(-1);
    if (!last) throw new Error('no QEMU was spawned');
    return last;
  }

  /** A QEMU that some earlier backend started and that still runs, for re-attach. */
  running(qmpSocket: string, run: FakeRun = {}): FakeQemuProcess {
    const qemu = new FakeQemuProcess(this.nextPid++, [qmpSocket], '/dev/null', run, (p) =>
      this.alive.delete(p.pid),
    );
    this.alive.set(qemu.pid, qemu);
    this.processes.push(qemu);
    return qemu;
  }

  spawn(_binary: string, argv: string[], logFile: string): QemuChild {
    const run = this.queued.shift() ?? {};
    if (run.spawnError !== undefined) {
      const failed = new EventEmitter() as EventEmitter & QemuChild;
      failed.kill = () => false;
      setImmediate(() => failed.emit('error', new Error(run.spawnError)));
      return failed;
    }
    const qemu = new FakeQemuProcess(this.nextPid++, argv, logFile, run, (p) => this.alive.delete(p.pid));
    this.alive.set(qemu.pid, qemu);
    this.processes.push(qemu);
    if (run.refuses !== undefined) {
      fs.appendFileSync(logFile, `qemu-system-x86_64: ${run.refuses}\n`);
      setImmediate(() => qemu.exit(1, null));
    }
    return qemu;
  }

  /** The QEMU whose argv names this socket, as its `-qmp` option does (qemu-args.ts). */
  async connectQmp(socketPath: string): Promise<QmpLink> {
    const qemu = [...this.alive.values()].find((p) => p.argv.some((a) => a.includes(socketPath)));
    if (!qemu || !qemu.qmpOpen) throw new TesseraError('UNAVAILABLE', 'qmp.sock does not exist (yet)');
    qemu.qmp = new FakeQmp(qemu);
    return qemu.qmp;
  }

  async isGone(pid: number): Promise<boolean> {
    return !this.alive.has(pid);
  }

  kill(pid: number, signal: NodeJS.Signals): void {
    const qemu = this.alive.get(pid);
    if (!qemu) throw Object.assign(new Error('kill ESRCH'), { code: 'ESRCH' });
    qemu.kill(signal);
  }
}
