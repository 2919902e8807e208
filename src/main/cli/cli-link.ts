import path from 'node:path';
import { createClient, type Client } from '../../shared/client';
import { TesseraError } from '../../shared/errors';
import { createMemoryTransportPair } from '../../shared/memory-transport';
import { createBackend, type BackendOptions } from '../backend';
import { findSimulatedHost } from '../gpu';
import { defaultPaths } from '../paths';
import { UnsafeRuntimeDir } from '../fsutil/private-dir';
import { createDirectClient } from '../rpc/direct-client';
import { serveTransport } from '../rpc/dispatcher';
import { connectRemoteLink, controlSocketPath, localLink, type BackendLink } from '../server/backend-link';

export interface CliSession {
  client: Client;
  link: BackendLink;
  close(): Promise<void>;
}

export interface CliSessionOptions extends BackendOptions {
  /** The command only reads (doctor, gpu list): it may run its own backend beside a running one. */
  readOnly?: boolean;
}

/** The host root the options ask for, as the backend would name it; undefined when none is asked. */
export function askedHostRoot(options: BackendOptions, dataDir: string): string | undefined {
  const env = options.env ?? process.env;
  if (options.simulate !== undefined)
    return path.join(dataDir, 'simulated', findSimulatedHost(options.simulate).name);
  const given = options.hostRoot ?? (env.TESSERA_HOST_ROOT || undefined);
  return given === undefined ? undefined : path.resolve(given);
}

/**
 * The CLI talks to the user's running backend when there is one, and otherwise runs a
 * short-lived backend in this process (DESIGN.md: one backend per user). Either way it
 * speaks the same contract through the same client. When the command asks for another host
 * root than the running backend reads, a read-only command runs its own backend for that host;
 * any other command is refused, because VMs belong to the backend that runs.
 */
export async function openCliSession(options: CliSessionOptions = {}): Promise<CliSession> {
  const paths = { ...defaultPaths(options.env ?? process.env), ...options.paths };
  const asked = askedHostRoot(options, paths.dataDir);
  let link: BackendLink | undefined;
  let besideRunning = false;
  try {
    link = await connectRemoteLink(controlSocketPath(paths.runtimeDir), 1500);
  } catch (error) {
    // Someone else's socket or dir is refused; running a backend of our own beside it would
    // only hide that from the user.
    if (error instanceof UnsafeRuntimeDir) throw error;
    link = undefined;
  }
  if (link && asked !== undefined) {
    const info = await link.dispatcher.dispatch('host.info', {});
    // A backend from before host roots has no `host` in host.info: it reads `/`.
    const running = info.ok ? ((info.value as { host?: { root: string } }).host?.root ?? '/') : undefined;
    if (running !== asked) {
      await link.close();
      link = undefined;
      besideRunning = true;
      if (!options.readOnly) {
        throw new TesseraError(
          'CONFLICT',
          `the running Tessera backend reads the host at ${running ?? 'an unknown root'}, not ${asked}: stop it (or drop --host-root/--simulate) first`,
        );
      }
    }
  }
  let client: Client;
  if (link) {
    // Another process's answers: checked against the contract as they arrive.
    const [clientSide, serverSide] = createMemoryTransportPair();
    serveTransport(serverSide, link.dispatcher, link.events);
    client = createClient(clientSide);
  } else {
    // Beside a running backend, this one must not take over its VMs.
    link = localLink(
      await createBackend({ ...options, paths, ...(besideRunning ? { skipReattach: true } : {}) }),
    );
    client = createDirectClient(link.dispatcher, link.events);
  }
  const opened = link;
  return {
    client,
    link: opened,
    async close() {
      client.close();
      await opened.close();
    },
  };
}
