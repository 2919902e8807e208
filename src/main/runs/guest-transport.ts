import type { RunTransport } from '../../shared/run-plan';
import type { OutputFile } from './output-file';

/** How one command ended in the guest. */
export type ExecEnd =
  { kind: 'exited'; exitCode: number } | { kind: 'timeout' } | { kind: 'lost'; reason: string };

/** Runs commands in the guest: over the serial console's shell or the QEMU guest agent. */
export interface GuestTransport {
  readonly kind: RunTransport;
  /** Resolves once the guest answers on this transport; rejects after `timeoutMs`. */
  ready(timeoutMs: number): Promise<void>;
  /** `command` runs with `sh -c`; its stdout and stderr go to the files as they arrive. */
  exec(command: string, timeoutMs: number, out: { stdout: OutputFile; stderr: OutputFile }): Promise<ExecEnd>;
  close(): void;
}
