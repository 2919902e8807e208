import type { AddressInfo } from 'node:net';
import { CONSOLE_BASE_CHANNEL } from '../../shared/desktop-bridge';
import type { IpcAnswer } from '../rpc/validated-ipc';
import type { BackendLink } from '../server/backend-link';
import { createFrontServer } from '../server/front-server';

/**
 * Console bridges for the Electron window. Its page lives on app://, where there is no server to
 * open `/console/<token>` on, so a consoles-only server listens on 127.0.0.1 and the window asks
 * for its address over IPC (`ipc` answers Tessera's own windows only).
 */
export async function serveConsoleBase(
  link: BackendLink,
  ipc: IpcAnswer,
  options: { origin: string },
): Promise<{ base: string; close(): Promise<void> }> {
  let port = 0;
  const front = createFrontServer({
    link,
    access: { kind: 'consoles', origin: options.origin, port: () => port },
  });
  await new Promise<void>((resolve, reject) => {
    front.server.once('error', reject);
    front.server.listen(0, '127.0.0.1', () => resolve());
  });
  port = (front.server.address() as AddressInfo).port;
  const base = `ws://127.0.0.1:${port}`;
  const stopAnswering = ipc.handle(CONSOLE_BASE_CHANNEL, () => base);
  return {
    base,
    async close() {
      stopAnswering();
      await front.close();
    },
  };
}
