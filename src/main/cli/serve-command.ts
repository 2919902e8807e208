import { parseArgs } from 'node:util';
import { LAUNCH_FRAGMENT_KEY } from '../../shared/web-session';
import { openFailoverLink } from '../server/failover-link';
import { createFrontServer } from '../server/front-server';
import { rendererDir } from '../fsutil/package-root';
import { askForLink, askToRevoke, listenServeControl, servePorts } from '../server/serve-control';
import { WebSessions } from '../server/web-sessions';
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
  const { values } = parseArgs({
    args,
    options: { port: { type: 'string' }, link: { type: 'boolean' }, 'revoke-sessions': { type: 'boolean' } },
  });
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port ${values.port}: expected 0 to 65535`);
  if (values.link && values['revoke-sessions'])
    throw new UsageError('--link and --revoke-sessions: pick one (revoking also spends every unused link)');
  if (values.link || values['revoke-sessions'])
    return askRunningServe(values.link ? 'link' : 'revoke', values.port === undefined ? undefined : port);
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
  const sessions = new WebSessions();
  let boundPort = port;
  const front = createFrontServer({
    link,
    access: { kind: 'loopback', sessions, port: () => boundPort },
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
  const launchLink = () => `http://127.0.0.1:${boundPort}/#${LAUNCH_FRAGMENT_KEY}=${sessions.issueLaunch()}`;
  const control = await listenServeControl(defaultPaths().runtimeDir, boundPort, {
    link: launchLink,
    revoke: () => sessions.revokeAll(),
  }).catch(async (error: unknown) => {
    await front.close();
    await link.close();
    throw error;
  });
  process.stdout.write(
    `Tessera is serving on ${launchLink()}\n` +
      `(${link.owner ? 'this process runs the backend' : 'using the backend that already runs'}; the link works once, within ${sessions.limits.launchTtlMs / 60_000} minutes; ` +
      `a new tab gets in from an open one, or with \`tessera serve --link\`; Ctrl-C stops serving, VMs keep running)\n` +
      (running ? `${hostLine(running)}\n` : ''),
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await control.close();
  await front.close();
  await link.close();
  return 0;
}

/** `--link` / `--revoke-sessions`: ask the running instance on `port`, or each one when none is named. */
async function askRunningServe(op: 'link' | 'revoke', port: number | undefined): Promise<number> {
  const runtimeDir = defaultPaths().runtimeDir;
  const running = await servePorts(runtimeDir);
  const ports = port === undefined ? running : running.filter((p) => p === port);
  if (ports.length === 0) {
    throw new UsageError(
      port === undefined
        ? 'no tessera serve runs for this user: start one with `tessera serve`'
        : `no tessera serve of this user runs on port ${port}${running.length ? ` (running: ${running.join(', ')})` : ''}`,
    );
  }
  if (op === 'link') {
    if (ports.length > 1)
      throw new UsageError(`tessera serve runs on ports ${ports.join(', ')}: pick one with --port`);
    process.stdout.write(`${await askForLink(runtimeDir, ports[0] as number)}\n(the link works once)\n`);
    return 0;
  }
  for (const p of ports) {
    const revoked = await askToRevoke(runtimeDir, p);
    process.stdout.write(
      `http://127.0.0.1:${p}: ended ${revoked} session${revoked === 1 ? '' : 's'}; unused links no longer work\n`,
    );
  }
  return 0;
}
