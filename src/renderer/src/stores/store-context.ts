import { createContext, useContext, type Context } from 'react';
import { useStore, type StoreApi } from 'zustand';
import type { Connection } from '../transport/connect';

/** A React context for one store and the hook that reads it (with a clear error without a provider). */
export function storeContext<S>(
  name: string,
): [Context<StoreApi<S> | null>, <T>(selector: (state: S) => T) => T] {
  const context = createContext<StoreApi<S> | null>(null);
  function useSelected<T>(selector: (state: S) => T): T {
    const store = useContext(context);
    if (!store) throw new Error(`${name} needs its provider`);
    return useStore(store, selector);
  }
  return [context, useSelected];
}

/** Events missed while disconnected are gone, so every (re)connection starts from a fresh read. */
export function refreshOnConnect(connection: Connection, refresh: () => Promise<void>): void {
  connection.onStatus((status) => {
    if (status === 'connected') void refresh();
  });
  if (connection.status === 'connected') void refresh();
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
