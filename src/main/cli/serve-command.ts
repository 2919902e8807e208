import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { openFailoverLink } from '../server/failover-link';
import { createFrontServer } from '../server/front-server';
import { rendererDir } from '../server/package-root';
import type { HostIdentity } from '../../shared/gpu-inventory';
import { defaultPaths } from '../paths';
import { askedHostRoot } from './cli-link';
import type { GlobalOptions } from './global-options';
import { hostLine } from './host-format';
import { UsageError } from './parse-options';

/**
 * `tessera serve`: the same UI as the Electron window, for any browser on this machine.
 * It owns the backend when none runs yet, or fronts the one that does.
 */
export async function runServe(args: string[], host: GlobalOptions = {}): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string' } } });
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port ${values.port}: expected 0 to 65535`);
  const link = await openFailoverLink(host);
  const info = await link.dispatcher.dispatch('host.info', {});
  const running = info.ok ? (info.value as { host: HostIdentity }).host : undefined;
  const asked = askedHostRoot(host, defaultPaths().dataDir);
  if (asked !== undefined && running?.root !== asked) {
    // One backend per user: the running one keeps its host, so serving it would show another.
    await link.close();
    throw new UsageError(
      `a Tessera backend already runs for ${running ? hostLine(running) : 'another host'}: stop it to serve ${asked}`,
    );
  }
  const launchToken = randomBytes(24).toString('base64url');
  let boundPort = port;
  const front = createFrontServer({
    link,
    access: { kind: 'loopback', launchToken, port: () => boundPort },
    staticDir: rendererDir(),
  });
  const { server } = front;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new UsageError(`port ${port} on 127.0.0.1 is in use: pick another with --port`)
          : error,
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address && typeof address === 'object') boundPort = address.port;
  process.stdout.write(
    `Tessera is serving on http://127.0.0.1:${boundPort}/?token=${launchToken}\n` +
      `(${link.owner ? 'this process runs the backend' : 'using the backend that already runs'}; the link works once; Ctrl-C stops serving, VMs keep running)\n` +
      (running ? `${hostLine(running)}\n` : ''),
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await front.close();
  await link.close();
  return 0;
}
