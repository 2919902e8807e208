import fs from 'node:fs';
import path from 'node:path';
import { ConsoleControlMessage } from '../../shared/console-messages';
import { TesseraError } from '../../shared/errors';
import type { VmSpec } from '../../shared/vm-spec';
import { CONSOLE_CLOSED, type ChannelSink, type ConsoleChannel } from './console-channel';

/** A program to run in a pseudo-terminal. */
export interface TerminalCommand {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

export function findExecutable(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const candidates = name.includes('/')
    ? [name]
    : (env.PATH ?? '')
        .split(path.delimiter)
        .filter((dir) => path.isAbsolute(dir))
        .map((dir) => path.join(dir, name));
  return candidates.find((file) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

function terminalEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  // What xterm.js understands.
  out.TERM = 'xterm-256color';
  out.COLORTERM = 'truecolor';
  return out;
}

/** The user's own shell ($SHELL, else bash, else sh) in their home directory. */
export function hostShellCommand(env: NodeJS.ProcessEnv, home: string): TerminalCommand {
  const shell = [env.SHELL, '/bin/bash', '/bin/sh']
    .filter((s): s is string => s !== undefined && path.isAbsolute(s))
    .find((s) => findExecutable(s, env) !== undefined);
  if (!shell)
    throw new TesseraError('UNAVAILABLE', 'no shell found: neither $SHELL, /bin/bash nor /bin/sh runs');
  return { file: shell, args: [], cwd: home, env: terminalEnv(env) };
}

/** The host port that reaches the guest's SSH server (guest TCP port 22), if the VM forwards one. */
export function sshHostPort(spec: VmSpec): number | undefined {
  if (spec.network.mode !== 'user') return undefined;
  return spec.network.forwards.find((f) => f.protocol === 'tcp' && f.guestPort === 22)?.hostPort;
}

/**
 * `ssh` into a guest through its forwarded port. Its host key goes to a known_hosts file of
 * the VM's own (first use trusted, a later change refused): every guest is 127.0.0.1 to ssh,
 * and the user's own known_hosts should not fill with them. Keep-alives end the session
 * when the guest goes away.
 */
export function sshCommand(
  spec: VmSpec,
  options: {
    user: string;
    ssh: string | undefined;
    knownHosts: string;
    env: NodeJS.ProcessEnv;
    home: string;
  },
): TerminalCommand {
  const port = sshHostPort(spec);
  if (port === undefined) {
    throw new TesseraError(
      'INVALID_STATE',
      `VM '${spec.name}' forwards no host port to its SSH port (guest tcp/22): add a forward such as 2222 → 22 in its network settings, then restart it`,
    );
  }
  if (options.ssh === undefined) {
    throw new TesseraError('UNAVAILABLE', 'ssh is not installed: install the Debian package openssh-client');
  }
  return {
    file: options.ssh,
    args: [
      '-p',
      String(port),
      '-o',
      'StrictHostKeyChecking=accept-new',
      '-o',
      `UserKnownHostsFile=${options.knownHosts}`,
      '-o',
      'ConnectTimeout=10',
      '-o',
      'ServerAliveInterval=10',
      '-o',
      'ServerAliveCountMax=3',
      '-o',
      'LogLevel=ERROR',
      `${options.user}@127.0.0.1`,
    ],
    cwd: options.home,
    env: terminalEnv(options.env),
  };
}

/** A pseudo-terminal running `command`, as a console channel; the program dies with the session. */
export async function openTerminal(command: TerminalCommand): Promise<ConsoleChannel> {
  const { spawn } = await import('node-pty');
  const pty = spawn(command.file, command.args, {
    name: 'xterm-256color',
    cols: 80,
    rows: 24,
    cwd: command.cwd,
    env: command.env,
  });
  let sink: ChannelSink | undefined;
  let early: Buffer[] = [];
  const program = path.basename(command.file);
  let exited = false;
  /** Why the session ended, once it has. */
  let endReason: string | undefined;
  const finish = (reason: string) => {
    if (endReason !== undefined) return;
    endReason = reason;
    sink?.end(reason);
  };
  pty.onData((text) => {
    const chunk = Buffer.from(text, 'utf8');
    if (sink) sink.data(chunk);
    else early.push(chunk);
  });
  pty.onExit(({ exitCode, signal }) => {
    exited = true;
    finish(signal ? `${program} ended by signal ${signal}` : `${program} exited with code ${exitCode}`);
  });
  return {
    start(s) {
      sink = s;
      for (const chunk of early) s.data(chunk);
      early = [];
      if (endReason !== undefined) s.end(endReason);
    },
    write(data, isText) {
      if (endReason !== undefined) return true;
      if (!isText) {
        pty.write(data);
        return true;
      }
      let json: unknown;
      try {
        json = JSON.parse(data.toString('utf8'));
      } catch {
        return true;
      }
      const message = ConsoleControlMessage.safeParse(json);
      if (message.success && message.data.type === 'resize') pty.resize(message.data.cols, message.data.rows);
      return true;
    },
    pause: () => pty.pause(),
    resume: () => pty.resume(),
    close(reason = CONSOLE_CLOSED) {
      finish(reason);
      if (!exited) pty.kill('SIGHUP');
    },
  };
}
