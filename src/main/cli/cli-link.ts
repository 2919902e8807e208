import { createClient, type Client } from '../../shared/client';
import { createMemoryTransportPair } from '../../shared/memory-transport';
import { createBackend, type BackendOptions } from '../backend';
import { defaultPaths } from '../paths';
import { serveTransport } from '../rpc/dispatcher';
import { connectRemoteLink, controlSocketPath, localLink, type BackendLink } from '../server/backend-link';

export interface CliSession {
  client: Client;
  link: BackendLink;
  close(): Promise<void>;
}

/**
 * The CLI talks to the user's running backend when there is one, and otherwise runs a
 * short-lived backend in this process (DESIGN.md: one backend per user). Either way it
 * speaks the same contract through the same client.
 */
export async function openCliSession(options: BackendOptions = {}): Promise<CliSession> {
  const paths = { ...defaultPaths(options.env ?? process.env), ...options.paths };
  let link: BackendLink;
  try {
    link = await connectRemoteLink(controlSocketPath(paths.runtimeDir), 1500);
  } catch {
    link = localLink(await createBackend({ ...options, paths }));
  }
  const [clientSide, serverSide] = createMemoryTransportPair();
  serveTransport(serverSide, link.dispatcher, link.events);
  const client = createClient(clientSide);
  return {
    client,
    link,
    async close() {
      client.close();
      await link.close();
    },
  };
}
