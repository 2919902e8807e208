import type { AddressInfo } from 'node:net';
import { CONSOLE_BASE_CHANNEL } from '../../shared/desktop-bridge';
import type { IpcEventLike } from '../rpc/ipc-transport';
import type { BackendLink } from '../server/backend-link';
import { createFrontServer } from '../server/front-server';

/** The part of Electron's ipcMain this needs, so it runs in tests without Electron. */
export interface IpcHandleLike {
  handle(channel: string, listener: (event: IpcEventLike) => unknown): void;
  removeHandler(channel: string): void;
}

/**
 * Console bridges for the Electron window. Its page lives on app://, where there is no server to
 * open `/console/<token>` on, so a consoles-only server listens on 127.0.0.1 and the window asks
 * for its address over IPC (only frames showing our own UI get an answer).
 */
export async function serveConsoleBase(
  link: BackendLink,
  ipcMain: IpcHandleLike,
  options: { origin: string; isAppUrl: (url: string) => boolean },
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
  ipcMain.handle(CONSOLE_BASE_CHANNEL, (event) => {
    const url = event.senderFrame?.url;
    if (url === undefined || !options.isAppUrl(url)) throw new Error('not asked by the Tessera window');
    return base;
  });
  return {
    base,
    async close() {
      ipcMain.removeHandler(CONSOLE_BASE_CHANNEL);
      await front.close();
    },
  };
}
