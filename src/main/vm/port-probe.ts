import net from 'node:net';
import { TesseraError } from '../../shared/errors';
import type { VmSpec } from '../../shared/vm-spec';

/** Can this user listen on the address and port right now? (Listened on and closed at once.) */
function isTcpPortFree(host: string, port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * Another program may hold a forwarded port; QEMU's own message for that is cryptic, so each TCP
 * forward of user networking is tried before the start (UDP forwards cannot be told apart so).
 */
export async function checkForwardPortsFree(spec: VmSpec): Promise<void> {
  for (const f of spec.network.mode === 'user' ? spec.network.forwards : []) {
    if (f.protocol !== 'tcp') continue;
    if (!(await isTcpPortFree(f.hostAddress, f.hostPort))) {
      throw new TesseraError(
        'CONFLICT',
        `host port tcp/${f.hostPort} is already in use by another program: pick another port for the forward to guest port ${f.guestPort}`,
      );
    }
  }
}
