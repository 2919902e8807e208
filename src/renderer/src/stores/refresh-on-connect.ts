import type { Connection } from '../transport/connect';

/** Events missed while disconnected are gone, so every (re)connection starts from a fresh read. */
export function refreshOnConnect(connection: Connection, refresh: () => Promise<void>): void {
  connection.onStatus((status) => {
    if (status === 'connected') void refresh();
  });
  if (connection.status === 'connected') void refresh();
}
