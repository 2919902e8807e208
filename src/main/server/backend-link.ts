import fsp from 'node:fs/promises';
import path from 'node:path';
import type { CallMessage } from '../../shared/wire';
import { EventMessage, ResultMessage, type Envelope } from '../../shared/wire';
import type { EventName } from '../../shared/contract';
import { createBackend, type Backend, type BackendOptions } from '../backend';
import { defaultPaths } from '../paths';
import { UnsafeRuntimeDir, checkControlSocket, ensureRuntimeDir } from '../fsutil/private-dir';
import type { Dispatcher, EventSource, Listener } from '../rpc/dispatcher';
import { webSocketChannel } from './console-bridge';
import type { ConsoleChannel } from '../console';

/** What a front needs of a backend, whether it runs in this process or another. */
export interface BackendLink {
  readonly dispatcher: Dispatcher;
  readonly events: EventSource;
  /** A session with the console a token grants, or undefined when it is wrong, spent or expired. */
  openConsole(token: string): Promise<ConsoleChannel | undefined>;
  /** True when this process runs the backend and owns the control socket. */
  readonly owner: boolean;
  /** For a link to another process's backend: called once if that backend goes away unasked. */
  onLost?(handler: () => void): void;
  close(): Promise<void>;
}

export function controlSocketPath(runtimeDir: string): string {
  // VM names cannot start with a dot, so this never collides with a VM's runtime dir.
  return path.join(runtimeDir, '.control.sock');
}

export function localLink(backend: Backend, owner = false): BackendLink {
  return {
    dispatcher: backend.dispatcher,
    events: backend.events,
    owner,
    openConsole: (token) => backend.consoles.connect(token),
    close: () => backend.close(),
  };
}

/**
 * A link to the backend that owns the control socket. Throws when nobody answers there, and an
 * UnsafeRuntimeDir when the socket or its dir is not this user's own.
 *
 * Whoever answers on this socket gets every call, so its peer must be this user. Node has no
 * SO_PEERCRED (and matching /proc/net/unix inodes to /proc/<pid> needs other users' fd tables,
 * which only root can read); the file system gives the same guarantee instead: binding a socket
 * needs write permission in its dir (unix(7)), and the dir is lstat'ed right here as a real dir of
 * ours with mode 0700, as is the fallback above it (in sticky /tmp, where nobody else may rename
 * our entries) and the socket itself. So only this uid (or root) can have bound it, and nobody
 * else can swap it between this check and the connect.
 */
export async function connectRemoteLink(socketPath: string, timeoutMs = 3000): Promise<BackendLink> {
  if (!(await checkControlSocket(socketPath))) throw new Error(`no Tessera backend listens on ${socketPath}`);
  // Loaded only when there is a backend to talk to: a CLI command that runs its own never needs it.
  const { default: WebSocket } = await import('ws');
  const ws = new WebSocket(`ws+unix://${socketPath}:/rpc`);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no answer on ${socketPath}`));
    }, timeoutMs);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  let nextId = 1;
  const pending = new Map<number, (e: Envelope<unknown>) => void>();
  const listeners = new Set<Listener>();
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    let raw: unknown;
    try {
      raw = JSON.parse(data.toString());
    } catch {
      return;
    }
    const result = ResultMessage.safeParse(raw);
    if (result.success) {
      pending.get(result.data.id)?.(result.data.result as Envelope<unknown>);
      pending.delete(result.data.id);
      return;
    }
    const event = EventMessage.safeParse(raw);
    if (event.success) for (const l of listeners) l(event.data.name as EventName, event.data.payload);
  });
  let closing = false;
  const lostHandlers: (() => void)[] = [];
  ws.on('close', () => {
    if (!closing) for (const handler of lostHandlers.splice(0)) handler();
    for (const resolve of pending.values()) {
      resolve({ ok: false, error: { code: 'UNAVAILABLE', message: 'the Tessera backend went away' } });
    }
    pending.clear();
  });
  return {
    owner: false,
    dispatcher: {
      dispatch(method, params) {
        const id = nextId++;
        const message: CallMessage = { type: 'call', id, method: String(method), params };
        return new Promise((resolve) => {
          if (ws.readyState !== ws.OPEN) {
            resolve({ ok: false, error: { code: 'UNAVAILABLE', message: 'the Tessera backend went away' } });
            return;
          }
          pending.set(id, resolve);
          ws.send(JSON.stringify(message));
        });
      },
    },
    events: {
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    async openConsole(token) {
      const bridge = new WebSocket(`ws+unix://${socketPath}:/console/${encodeURIComponent(token)}`);
      return new Promise<ConsoleChannel | undefined>((resolve) => {
        bridge.once('open', () => {
          bridge.pause();
          resolve(webSocketChannel(bridge));
        });
        bridge.once('unexpected-response', () => resolve(undefined));
        bridge.once('error', () => resolve(undefined));
      });
    },
    onLost(handler) {
      lostHandlers.push(handler);
    },
    async close() {
      closing = true;
      ws.close();
    },
  };
}

export interface OpenLinkOptions extends BackendOptions {
  /** Only ever connect; never start a backend here (tests of the remote path). */
  connectOnly?: boolean;
}

/**
 * One backend per user (DESIGN.md): connect to the control socket's owner, or become the owner.
 * Binding the socket is the election; a socket file nobody answers on is stale and replaced.
 */
export async function openBackendLink(options: OpenLinkOptions = {}): Promise<BackendLink> {
  const paths = { ...defaultPaths(options.env ?? process.env), ...options.paths };
  const socketPath = controlSocketPath(paths.runtimeDir);
  // Made (or found) and checked before the socket in it is trusted or made: a dir someone else
  // made is refused, never fallen back from.
  if (!options.connectOnly) await ensureRuntimeDir(paths.runtimeDir);
  try {
    return await connectRemoteLink(socketPath);
  } catch (error) {
    if (options.connectOnly || error instanceof UnsafeRuntimeDir) throw error;
  }
  const backend = await createBackend({ ...options, paths });
  const link = localLink(backend, true);
  const { createFrontServer } = await import('./front-server');
  const front = createFrontServer({ link, access: { kind: 'unix' } });
  const { server } = front;
  for (let attempt = 0; ; attempt++) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(socketPath, () => {
          server.off('error', reject);
          resolve();
        });
      });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt > 0) {
        await backend.close();
        throw error;
      }
      try {
        const remote = await connectRemoteLink(socketPath);
        await backend.close();
        return remote;
      } catch (lost) {
        if (lost instanceof UnsafeRuntimeDir) {
          await backend.close();
          throw lost;
        }
        await fsp.rm(socketPath, { force: true });
      }
    }
  }
  await fsp.chmod(socketPath, 0o600);
  // The backend that owns the socket is Tessera starting: the saved GPU layouts are made again
  // now when the user asked for it, without holding up the start (a real host may prompt).
  void backend.gpu.reapplySavedLayouts();
  return {
    ...link,
    async close() {
      await front.close();
      await fsp.rm(socketPath, { force: true });
      await backend.close();
    },
  };
}
