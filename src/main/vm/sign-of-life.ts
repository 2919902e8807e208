import { createHash } from 'node:crypto';
import fsp from 'node:fs/promises';

/**
 * A started guest that never shows anything (a KVM that creates vCPUs but does not run them, a
 * disk with nothing to boot) looks exactly like a slow one, so the user would wait in silence.
 * Watch for what any guest does while it boots: bytes on its serial console, or a screen that keeps
 * changing. None within `afterMs` gives the VM a warning naming the likely cause; a sign of life
 * later clears it.
 *
 * One screen change is not enough: on a cloud VM whose KVM crawls (no vmx), SeaBIOS still draws
 * its banner and "Booting from ROM..." within seconds and then hangs with a blinking cursor, so
 * the screen alternates between a handful of pictures. A booting system draws many more.
 */
export const DISTINCT_SCREENS_FOR_LIFE = 10;

export interface SignOfLifeProbe {
  /** Bytes the guest has written to its serial console so far. */
  serialBytes(): Promise<number>;
  /** A picture of the screen, or null for a VM without one (or when it cannot be taken now). */
  screen(): Promise<Buffer | null>;
}

export interface SignOfLifeOptions {
  afterMs: number;
  /** How often to look at the serial log and the screen. */
  pollMs?: number;
  onWarning(warning: string | null): void;
}

export interface Acceleration {
  accelerator: 'kvm' | 'tcg';
  /** The CPU shows no vmx/svm flag (accelerator.ts): KVM here cannot run guests at full speed, if at all. */
  cpuWithoutVirtualization?: boolean;
}

/** The warning, naming the likeliest cause first. */
export function noSignOfLifeWarning(afterMs: number, acceleration: Acceleration, hasScreen: boolean): string {
  const seen = hasScreen
    ? 'no serial output, no change on its screen'
    : 'no serial output, and it has no screen';
  const head = `No sign of life from the guest after ${Math.round(afterMs / 1000)} s (${seen})`;
  if (acceleration.accelerator === 'kvm') {
    const kvm = acceleration.cpuWithoutVirtualization
      ? 'KVM on this host cannot run guests: the CPU shows no vmx or svm flag'
      : 'KVM on this host may not run guests';
    return `${head}: ${kvm} (see tessera doctor); stop it and start it with TESSERA_ACCEL=tcg, or check that it has something to boot.`;
  }
  return `${head}: it may have nothing to boot, or its console is not on ttyS0 and it has no display.`;
}

export class SignOfLifeWatch {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly screens = new Set<string>();
  private warned = false;

  constructor(
    private readonly probe: SignOfLifeProbe,
    private readonly options: SignOfLifeOptions & { warning: string },
  ) {}

  start(): void {
    const started = Date.now();
    const poll = this.options.pollMs ?? 1000;
    const look = async (): Promise<void> => {
      if (this.stopped) return;
      const alive = (await this.probe.serialBytes().catch(() => 0)) > 0 || (await this.screenKeepsChanging());
      if (this.stopped) return;
      if (alive) {
        if (this.warned) this.options.onWarning(null);
        this.stop();
        return;
      }
      if (Date.now() - started >= this.options.afterMs && !this.warned) {
        this.warned = true;
        this.options.onWarning(this.options.warning);
      }
      this.timer = setTimeout(() => void look(), poll);
    };
    void look();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async screenKeepsChanging(): Promise<boolean> {
    const picture = await this.probe.screen().catch(() => null);
    if (picture !== null) this.screens.add(createHash('sha256').update(picture).digest('hex'));
    return this.screens.size >= DISTINCT_SCREENS_FOR_LIFE;
  }
}

/** A minute: the tiny guest under TCG on a busy 2-core machine speaks within seconds. */
const SIGN_OF_LIFE_MS = 60_000;

/** `TESSERA_SIGN_OF_LIFE_SECONDS` when set to a positive number, else the default. */
export function signOfLifeMs(env: NodeJS.ProcessEnv): number {
  const seconds = Number(env.TESSERA_SIGN_OF_LIFE_SECONDS);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : SIGN_OF_LIFE_MS;
}

/**
 * A started watch over one run: its serial log's size and, for a VM with a screen, the pictures
 * `screen` takes; `afterMs` is the default when not given.
 */
export function watchRun(run: {
  serialLog: string;
  screen: (() => Promise<Buffer | null>) | null;
  acceleration: Acceleration;
  afterMs: number | undefined;
  onWarning(warning: string | null): void;
}): SignOfLifeWatch {
  const afterMs = run.afterMs ?? SIGN_OF_LIFE_MS;
  const { screen } = run;
  const watch = new SignOfLifeWatch(
    {
      serialBytes: () => fsp.stat(run.serialLog).then((st) => st.size),
      screen: screen ?? (() => Promise.resolve(null)),
    },
    {
      afterMs,
      warning: noSignOfLifeWarning(afterMs, run.acceleration, screen !== null),
      onWarning: run.onWarning,
    },
  );
  watch.start();
  return watch;
}
