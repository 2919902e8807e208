import fsp from 'node:fs/promises';
import os from 'node:os';
import { TesseraError } from '../../shared/errors';
import type { VmInfo } from '../../shared/vm-spec';
import { vmDataFiles, vmRuntimeFiles, type TesseraPaths } from '../paths';
import { checkVmSocket } from '../fsutil/private-dir';
import type { EventBus } from '../rpc/dispatcher';
import type { VmService } from '../vm';
import {
  CONSOLE_CLOSED,
  connectSocketChannel,
  VM_STOPPED,
  type ChannelSink,
  type ConsoleChannel,
} from './console-channel';
import { ConsoleHub, type HubSource } from './console-hub';
import { findExecutable, hostShellCommand, openTerminal, sshCommand, type TerminalCommand } from './terminal';
import { TokenBook } from './token-book';
import { RfbInputScanner } from './rfb-input';

export type ConsoleKind = 'vnc' | 'spice' | 'serial' | 'monitor';

/** What a token opens; fixed when the token is handed out, so it can never name another VM. */
export type ConsoleTarget =
  | { kind: 'vnc' | 'spice'; id: string; socketPath: string }
  | { kind: 'serial' | 'monitor'; id: string; source: HubSource }
  | { kind: 'terminal'; id?: string; command: TerminalCommand };

export type TerminalRequest = { kind: 'host' } | { kind: 'ssh'; id: string; user: string };

/** An unused token dies quickly: it only has to survive the page opening its WebSocket. */
export const CONSOLE_TOKEN_TTL_MS = 10_000;
/**
 * spice-html5 opens one WebSocket per SPICE channel (main, display, inputs, cursor, playback,
 * record, ...), all on the URL it was given, the others once the main channel has listed them.
 */
export const SPICE_CHANNELS_MAX = 8;
export const SPICE_CHANNEL_WINDOW_MS = 5_000;
/** How long a session QEMU closed waits to learn whether its VM stopped. */
const STOP_NOTICE_MS = 2_000;

export interface ConsoleServiceOptions {
  paths: TesseraPaths;
  vms: Pick<VmService, 'get'>;
  /** vm.changed events tell when a VM stops, which ends its sessions. */
  bus?: EventBus;
  env?: NodeJS.ProcessEnv;
  now?: () => number;
  /** Told when keyboard or mouse input from a VNC or serial viewer reaches a VM (idle resets). */
  onInput?: (id: string) => void;
}

/**
 * Console bytes skip the RPC (DESIGN.md): a call hands out a token, and the bridge trades it
 * for a channel to one console of one VM (or a terminal). A token is spent once used (SPICE:
 * once its session's few channels are open) or expired; every session of a VM ends when it
 * stops.
 */
export class ConsoleService {
  private readonly tokens: TokenBook<ConsoleTarget>;
  private readonly hubs = new Map<string, ConsoleHub>();
  /** Open sessions by VM id ('' for host terminals). */
  private readonly sessions = new Map<string, Set<ConsoleChannel>>();
  private readonly unsubscribe: () => void;
  private readonly env: NodeJS.ProcessEnv;

  constructor(private readonly options: ConsoleServiceOptions) {
    this.tokens = new TokenBook(options.now);
    this.env = options.env ?? process.env;
    this.unsubscribe =
      options.bus?.subscribe((name, payload) => {
        if (name === 'vm.changed') {
          const { vm } = payload as { vm: VmInfo };
          if (vm.state === 'stopped' || vm.state === 'crashed') this.endVm(vm.id);
        } else if (name === 'vm.removed') {
          this.endVm((payload as { id: string }).id);
        }
      }) ?? (() => undefined);
  }

  async open(id: string, kind: ConsoleKind): Promise<{ token: string; path: string }> {
    const vm = await this.runningVm(id);
    const files = vmRuntimeFiles(this.options.paths.runtimeDir, id);
    const display = vm.spec.display.kind;
    if ((kind === 'vnc' || kind === 'spice') && display !== kind) {
      throw new TesseraError(
        'INVALID_STATE',
        display === 'none'
          ? `VM '${id}' has no graphical display (display is 'none'): use its serial console`
          : display === 'local'
            ? `VM '${id}' shows its screen in QEMU's own window on this host's monitor, not over ${kind.toUpperCase()} (display is 'local')`
            : `VM '${id}' shows its screen over ${display.toUpperCase()}, not ${kind.toUpperCase()} (display is '${display}')`,
      );
    }
    let target: ConsoleTarget;
    if (kind === 'vnc') target = { kind, id, socketPath: files.vnc };
    else if (kind === 'spice') target = { kind, id, socketPath: files.spice };
    else if (kind === 'serial')
      target = { kind, id, source: { socketPath: files.serial, logFile: files.serialLog } };
    else target = { kind, id, source: { socketPath: files.monitor, logFile: files.monitorLog } };
    return this.grant(target);
  }

  async openTerminal(request: TerminalRequest): Promise<{ token: string; path: string }> {
    const home = this.env.HOME ?? os.homedir();
    if (request.kind === 'host') {
      return this.grant({ kind: 'terminal', command: hostShellCommand(this.env, home) });
    }
    const vm = await this.runningVm(request.id);
    const { dir, knownHosts } = vmDataFiles(this.options.paths.dataDir, vm.id);
    const command = sshCommand(vm.spec, {
      user: request.user,
      ssh: findExecutable('ssh', this.env),
      knownHosts,
      env: this.env,
      home,
    });
    // ssh writes the file but makes no folders; without one it would not remember the key.
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    return this.grant({ kind: 'terminal', id: vm.id, command });
  }

  /** What a token opens, spending it; undefined when it is wrong, spent or expired. */
  redeem(token: string): ConsoleTarget | undefined {
    return this.tokens.redeem(token);
  }

  /** Trade a token for a live channel; undefined (a 403 at the bridge) when it buys nothing. */
  async connect(token: string): Promise<ConsoleChannel | undefined> {
    const target = this.redeem(token);
    if (!target) return undefined;
    let channel: ConsoleChannel;
    try {
      channel = await this.openTarget(target);
    } catch {
      return undefined;
    }
    return this.track(target.id ?? '', channel, this.inputDetector(target));
  }

  /**
   * The VM's serial console for another domain (validation runs type commands on it): one more
   * session on the shared hub, so viewers keep seeing the console while a run uses it.
   */
  async serialChannel(id: string): Promise<ConsoleChannel> {
    await this.runningVm(id);
    const files = vmRuntimeFiles(this.options.paths.runtimeDir, id);
    const channel = await this.hub(id, 'serial', {
      socketPath: files.serial,
      logFile: files.serialLog,
    }).attach();
    return this.track(id, channel);
  }

  /** End every session and forget every token (the backend is closing). */
  close(): void {
    this.unsubscribe();
    this.tokens.clear();
    for (const id of [...this.sessions.keys()]) this.endSessions(id, 'Tessera backend closed');
    for (const hub of this.hubs.values()) hub.end('Tessera backend closed');
  }

  private async runningVm(id: string): Promise<VmInfo> {
    const vm = await this.options.vms.get(id);
    if (vm.state === 'stopped' || vm.state === 'crashed') {
      throw new TesseraError('INVALID_STATE', `VM '${id}' is not running`);
    }
    return vm;
  }

  private grant(target: ConsoleTarget): { token: string; path: string } {
    const token = this.tokens.issue(
      target,
      target.kind === 'spice'
        ? { ttlMs: CONSOLE_TOKEN_TTL_MS, uses: SPICE_CHANNELS_MAX, windowMs: SPICE_CHANNEL_WINDOW_MS }
        : { ttlMs: CONSOLE_TOKEN_TTL_MS },
    );
    return { token, path: `/console/${token}` };
  }

  private async openTarget(target: ConsoleTarget): Promise<ConsoleChannel> {
    // Socket paths are looked up at every open, so the dir and socket are checked right before
    // each: a dir swapped for a link to someone else's socket while the VM runs is refused.
    switch (target.kind) {
      case 'vnc':
      case 'spice':
        await checkVmSocket(target.socketPath);
        return connectSocketChannel(target.socketPath);
      case 'serial':
      case 'monitor':
        await checkVmSocket(target.source.socketPath);
        return this.hub(target.id, target.kind, target.source).attach();
      case 'terminal':
        return openTerminal(target.command);
    }
  }

  private hub(id: string, kind: 'serial' | 'monitor', source: HubSource): ConsoleHub {
    const key = `${id}/${kind}`;
    let hub = this.hubs.get(key);
    if (!hub) {
      const created = new ConsoleHub(source, () => {
        if (this.hubs.get(key) === created) this.hubs.delete(key);
      });
      this.hubs.set(key, (hub = created));
    }
    return hub;
  }

  /**
   * Remember a session so a stopping VM can end it; forget it once it ends. QEMU closes a
   * console's socket as it exits, a moment before the VM is known to have stopped: a session
   * that QEMU closed waits that moment, so the viewer learns "VM stopped" rather than only
   * "console closed".
   */
  /** How a session's writes are told apart as a person's input; none for terminals and the monitor. */
  private inputDetector(target: ConsoleTarget): ((data: Buffer) => boolean) | undefined {
    if (target.kind === 'serial') return (data) => data.length > 0;
    if (target.kind === 'vnc') {
      const scanner = new RfbInputScanner();
      return (data) => scanner.scan(data);
    }
    return undefined;
  }

  private track(id: string, channel: ConsoleChannel, isInput?: (data: Buffer) => boolean): ConsoleChannel {
    let set = this.sessions.get(id);
    if (!set) this.sessions.set(id, (set = new Set()));
    const sessions = set;
    let sink: ChannelSink | undefined;
    let closing = false;
    let ended = false;
    let held: NodeJS.Timeout | undefined;
    const finish = (reason: string) => {
      if (ended) return;
      ended = true;
      clearTimeout(held);
      sessions.delete(session);
      if (sessions.size === 0 && this.sessions.get(id) === sessions) this.sessions.delete(id);
      sink?.end(reason);
    };
    const session: ConsoleChannel = {
      start(s) {
        sink = s;
        channel.start({
          data: (chunk, release) => s.data(chunk, release),
          drain: () => s.drain(),
          end: (reason) => {
            if (closing || reason !== CONSOLE_CLOSED || id === '') return finish(reason);
            held = setTimeout(() => finish(reason), STOP_NOTICE_MS);
          },
        });
      },
      write: (data, isText) => {
        if (!isText && isInput?.(data)) this.options.onInput?.(id);
        return channel.write(data, isText);
      },
      pause: () => channel.pause(),
      resume: () => channel.resume(),
      close(reason = CONSOLE_CLOSED) {
        closing = true;
        if (held) return finish(reason);
        channel.close(reason);
        if (!sink) finish(reason);
      },
    };
    sessions.add(session);
    return session;
  }

  private endVm(id: string): void {
    this.tokens.revoke((target) => target.id === id);
    this.endSessions(id, VM_STOPPED);
    for (const kind of ['serial', 'monitor']) this.hubs.get(`${id}/${kind}`)?.end(VM_STOPPED);
  }

  private endSessions(id: string, reason: string): void {
    const sessions = this.sessions.get(id);
    if (!sessions) return;
    this.sessions.delete(id);
    for (const channel of sessions) channel.close(reason);
  }
}
