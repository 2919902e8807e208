import { createClient, type Client } from '../../src/shared/client';
import { createMemoryTransportPair } from '../../src/shared/memory-transport';
import { serveTransport } from '../../src/main/rpc/dispatcher';
import { createBackend, type Backend, type BackendOptions } from '../../src/main/backend';

/** A whole backend under TCG, checked against the contract, and a client over the in-memory pair. */
export async function connectBackend(options: BackendOptions): Promise<{ backend: Backend; client: Client }> {
  const backend = await createBackend({ accelerator: 'tcg', validateOutputs: true, ...options });
  const [a, b] = createMemoryTransportPair();
  serveTransport(b, backend.dispatcher, backend.events);
  return { backend, client: createClient(a) };
}
