import type { GiveUpLimit } from '../../shared/kiosk';
import type { RestartPolicy } from '../../shared/vm-spec';

/**
 * A run that stayed up this long was stable: the back-off starts again from 1 s (pm2's
 * `min_uptime`, its "Restart strategies" documentation).
 */
export const STABLE_RUN_MS = 60_000;
export const FIRST_BACKOFF_MS = 1000;
export const MAX_BACKOFF_MS = 30_000;

/** How a run ended, as far as the restart rule cares (vm-runner.ts `RunEnd`). */
export interface EndedRun {
  /** The guest powered off or QEMU was asked to quit: not a crash. */
  clean: boolean;
  /** The user asked Tessera for the stop: never restarted. */
  requested: boolean;
  /** When the run started and ended (ms since the epoch). */
  startedAt: number;
  endedAt: number;
}

/** What the VM's record keeps between runs for the rule. */
export interface RestartHistory {
  /** When earlier runs ended that the policy restarted after (ms since the epoch). */
  endings: number[];
  /** Restarts in a row after quick ends: the back-off's exponent. */
  restarts: number;
}

export type RestartDecision =
  | { kind: 'leave-off' }
  | { kind: 'give-up'; endings: number[]; message: string }
  | { kind: 'restart'; endings: number[]; attempt: number; delayMs: number };

/**
 * Whether, and when, a VM whose run ended is started again; one rule for a VM's own
 * `restartPolicy` and for the kiosk, which restarts every VM it shows as `always` with the
 * give-up limit of its settings (kiosk-service.ts, `VmService.setKioskRun`).
 * - `never`, or a stop the user asked for: left off.
 * - `on-crash`: restarted after an end that was not clean (a crash, a kill from outside).
 * - `always`: restarted after every end the user did not ask for, the guest powering itself off
 *   included: a kiosk or a service VM has nobody at the keyboard to start it again.
 * The back-off doubles for each restart after a run shorter than STABLE_RUN_MS (1 s, 2 s, 4 s …
 * up to MAX_BACKOFF_MS) and starts again after a stable run. After `limit.crashes` restarting
 * ends within `limit.windowMinutes` the VM is given up on (pm2's `max_restarts`) until someone
 * starts it by hand.
 */
export function decideRestart(
  policy: RestartPolicy,
  run: EndedRun,
  history: RestartHistory,
  limit: GiveUpLimit,
): RestartDecision {
  if (run.requested) return { kind: 'leave-off' };
  if (policy === 'never' || (policy === 'on-crash' && run.clean)) return { kind: 'leave-off' };
  const now = run.endedAt;
  const endings = [...history.endings, now].filter((t) => now - t < limit.windowMinutes * 60_000);
  if (endings.length >= limit.crashes) {
    const ends = `${endings.length} ${endings.length === 1 ? 'end' : 'ends'}`;
    return {
      kind: 'give-up',
      endings,
      message: `gave up after ${ends} within ${limit.windowMinutes} min`,
    };
  }
  const quick = now - run.startedAt < STABLE_RUN_MS;
  const attempt = quick ? history.restarts + 1 : 1;
  const delayMs = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (attempt - 1));
  return { kind: 'restart', endings, attempt, delayMs };
}
