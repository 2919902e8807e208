import { parseArgs } from 'node:util';
import { KioskMode, type KioskSettings, type KioskStatus, type Monitor } from '../../shared/kiosk';
import { openBackendLink } from '../server/backend-link';
import { createClient } from '../../shared/client';
import { createMemoryTransportPair } from '../../shared/memory-transport';
import { serveTransport } from '../rpc/dispatcher';
import type { CliSession } from './cli-link';
import type { GlobalOptions } from './global-options';
import { UsageError } from './parse-options';
import { print } from './gpu-command';

const STOP_GRACE_MS = 1000;

export const KIOSK_USAGE = `  kiosk monitors [--json]     the monitors the X server reports, with their DRM connectors
  kiosk assign MONITOR VM [--mode qemu-window|tessera-window]    kiosk unassign MONITOR
  kiosk start [--wait S] [--json]   start the assigned VMs and keep each full-screen on its monitor
                              (runs in the foreground when no Tessera backend runs yet)
  kiosk stop [--stop-vms]     kiosk status [--json]     kiosk autostart on|off
`;

export function formatMonitors(monitors: Monitor[]): string {
  if (monitors.length === 0) return 'No monitors.\n';
  return (
    monitors
      .map(
        (m) =>
          `${m.name.padEnd(10)} ${`${m.width}x${m.height}+${m.x}+${m.y}`.padEnd(20)} ${m.primary ? 'primary ' : ''}` +
          `outputs ${m.outputs.join(',') || '-'}; connector ${m.connector ?? 'none matched'}${m.simulated ? ' (simulated host)' : ''}`,
      )
      .join('\n') + '\n'
  );
}

/** One line per assignment: `monitor vm mode state placed restarts problem`. */
export function formatStatus(status: KioskStatus): string {
  const head = [
    `kiosk: ${status.running ? 'running' : 'stopped'}${status.blanking ? ` (${status.blanking})` : ''}`,
    ...(status.problem ? [`problem: ${status.problem}`] : []),
    ...(status.server.message ? [status.server.message] : []),
  ];
  const rows = status.entries.flatMap((e) => [
    `${e.monitor.padEnd(10)} ${e.vm.padEnd(16)} ${e.mode.padEnd(14)} ${e.vmState.padEnd(8)} ` +
      `${e.placed ? 'placed' : 'not placed'}, restarts ${e.restarts}${e.problem ? `: ${e.problem}` : ''}`,
    // The seat's own input devices (issue 17), under its line.
    ...e.inputs.usb.map(
      (u) =>
        `${''.padEnd(11)}usb ${u.selector}: ${u.device ? `present, ${u.device.name} in ${u.device.portPath}${u.heldBy ? `, held by ${u.heldBy}` : ''}` : 'not plugged in now'}`,
    ),
    ...e.inputs.evdev.map(
      (d) => `${''.padEnd(11)}evdev ${d.path}: ${d.present ? 'present' : 'not on this host now'}`,
    ),
  ]);
  return (
    [...head, ...(rows.length ? rows : ['Nothing assigned: tessera kiosk assign MONITOR VM'])].join('\n') +
    '\n'
  );
}

function formatSettings(kiosk: KioskSettings): string {
  return (
    kiosk.assignments.map((a) => `${a.monitor} → ${a.vm} (${a.mode})`).join('\n') +
    (kiosk.assignments.length ? '\n' : 'Nothing assigned.\n')
  );
}

/** Every `tessera kiosk` subcommand but start (runKioskStart), through the CLI session. */
export async function kioskCommand(session: CliSession, args: string[]): Promise<number> {
  const { client } = session;
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, mode: { type: 'string' }, 'stop-vms': { type: 'boolean' } },
  });
  const json = values.json === true;
  switch (sub) {
    case 'monitors': {
      const result = await client.call('kiosk.monitors', {});
      print(
        json,
        result,
        () => (result.server.message ? `${result.server.message}\n` : '') + formatMonitors(result.monitors),
      );
      return 0;
    }
    case 'assign': {
      const [monitor, vm] = positionals;
      if (monitor === undefined || vm === undefined || positionals.length > 2)
        throw new UsageError('usage: tessera kiosk assign MONITOR VM [--mode qemu-window|tessera-window]');
      const mode = KioskMode.safeParse(values.mode ?? 'qemu-window');
      if (!mode.success)
        throw new UsageError(`--mode ${values.mode}: expected qemu-window or tessera-window`);
      const kiosk = await client.call('kiosk.assign', { monitor, vm, mode: mode.data });
      print(json, kiosk, () => formatSettings(kiosk));
      return 0;
    }
    case 'unassign': {
      const [monitor] = positionals;
      if (monitor === undefined || positionals.length > 1)
        throw new UsageError('usage: tessera kiosk unassign MONITOR');
      const kiosk = await client.call('kiosk.unassign', { monitor });
      print(json, kiosk, () => formatSettings(kiosk));
      return 0;
    }
    case 'stop': {
      const status = await client.call('kiosk.stop', { stopVms: values['stop-vms'] === true });
      print(json, status, () => formatStatus(status));
      return 0;
    }
    case 'status': {
      const status = await client.call('kiosk.status', {});
      print(json, status, () => formatStatus(status));
      return 0;
    }
    case 'autostart': {
      const [setting] = positionals;
      if (setting !== 'on' && setting !== 'off')
        throw new UsageError('usage: tessera kiosk autostart on|off');
      const result = await client.call('kiosk.autostart', { enabled: setting === 'on' });
      print(json, result, () => `${result.unitFile}\n${result.desktopEntry}\n${result.next}\n`);
      return 0;
    }
    default:
      throw new UsageError(sub ? `unknown command 'kiosk ${sub}'\n${KIOSK_USAGE}` : KIOSK_USAGE);
  }
}

/**
 * `tessera kiosk start`: asks the running backend to start the kiosk and returns; when none
 * runs, this process becomes the backend and stays in the foreground (the autostart unit's
 * ExecStart) until SIGINT/SIGTERM or until the kiosk stops, so the watchdog lives as long as
 * the kiosk. It exits non-zero when the kiosk stopped on a problem (the X server went away),
 * so systemd's Restart=on-failure brings it back.
 */
export async function runKioskStart(args: string[], host: GlobalOptions = {}): Promise<number> {
  const { values } = parseArgs({ args, options: { wait: { type: 'string' }, json: { type: 'boolean' } } });
  const waitSeconds = values.wait === undefined ? 0 : Number(values.wait);
  if (!Number.isFinite(waitSeconds) || waitSeconds < 0 || waitSeconds > 600)
    throw new UsageError(`--wait ${values.wait}: expected 0 to 600 seconds`);
  const link = await openBackendLink(host);
  const [clientSide, serverSide] = createMemoryTransportPair();
  serveTransport(serverSide, link.dispatcher, link.events);
  const client = createClient(clientSide);
  try {
    const status = await client.call('kiosk.start', { waitSeconds });
    print(values.json === true, status, () => formatStatus(status));
    if (!link.owner) return 0;
    process.stderr.write('tessera: this process runs the kiosk; Ctrl-C stops it (VMs keep running)\n');
    const ended = await new Promise<KioskStatus | null>((resolve) => {
      const signal = () => resolve(null);
      process.once('SIGINT', signal);
      process.once('SIGTERM', signal);
      client.on('kiosk.changed', ({ status: now }) => {
        // The front that stopped the kiosk gets its answer after this event: give it a moment.
        if (!now.running) setTimeout(() => resolve(now), STOP_GRACE_MS);
      });
    });
    if (ended === null) {
      await client.call('kiosk.stop', { stopVms: false });
      return 0;
    }
    if (ended.problem) process.stderr.write(`tessera: ${ended.problem}\n`);
    return ended.problem ? 1 : 0;
  } finally {
    client.close();
    await link.close();
  }
}
