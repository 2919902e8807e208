import { createStore, type StoreApi } from 'zustand';
import type { CallInput } from '../../../shared/contract';
import { consoleSocketUrl } from '../transport/desktop';
import type { Connection } from '../transport/connect';

export type ConsoleKind = CallInput<'console.open'>['kind'];
export type TerminalRequest = CallInput<'terminal.open'>;

export interface ConsoleStoreState {
  /**
   * A fresh one-time WebSocket URL for one console of a VM. The URL holds the token: callers hand
   * it straight to `new WebSocket` and never show, log or keep it.
   */
  openConsole(id: string, kind: ConsoleKind): Promise<string>;
  /** The same for a pseudo-terminal: the host's shell, or SSH into a VM. */
  openTerminal(request: TerminalRequest): Promise<string>;
}

export function createConsoleStore(connection: Connection): StoreApi<ConsoleStoreState> {
  return createStore<ConsoleStoreState>()(() => ({
    async openConsole(id, kind) {
      const grant = await connection.call('console.open', { id, kind });
      return consoleSocketUrl(grant.path);
    },
    async openTerminal(request) {
      const grant = await connection.call('terminal.open', request);
      return consoleSocketUrl(grant.path);
    },
  }));
}
