import { parseArgs } from 'node:util';
import { openCliSession, type CliSession } from './cli-link';
import { extractGlobalOptions } from './global-options';
import { GPU_USAGE, gpuCommand, gpuReadsOnly, print } from './gpu-command';
import { formatDoctor, hostLine } from './host-format';
import { UsageError } from './parse-options';
import { EXPORT_USAGE } from './export-command';
import { RUN_USAGE, runCommand, runReadsOnly } from './run-command';
import { defaultPaths } from '../paths';
import { BOOTH_USAGE, boothCommand, imageCommand } from './booth-command';
import { KIOSK_USAGE, kioskCommand, runKioskStart } from './kiosk-command';
import { USB_USAGE, usbCommand } from './usb-command';
import { VM_USAGE, vmCommand } from './vm-command';

const USAGE = `usage: tessera <command>

${VM_USAGE}${EXPORT_USAGE}
  host [--json]               serve [--port N]
  serve --link [--port N]     a new one-time link to the running serve; --revoke-sessions [--port N] ends its sessions
  doctor [--json]             can this host split its Intel GPU? exit 1 when a check fails
${GPU_USAGE}${BOOTH_USAGE}${KIOSK_USAGE}
${RUN_USAGE}
${USB_USAGE}
  Every command: --host-root DIR (or TESSERA_HOST_ROOT) reads another host's sys/, proc/, dev/;
  --simulate NAME uses a simulated host (adl-p, adl-p-maxvfs0, flex170, bmg, cml, iommu-off, no-intel-gpu).
`;

async function hostCommand(session: CliSession, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
  const info = await session.client.call('host.info', {});
  print(
    values.json === true,
    info,
    () =>
      [
        hostLine(info.host),
        `accelerator: ${info.accelerator}: ${info.acceleratorReason}`,
        'error' in info.qemu ? `qemu: ${info.qemu.error}` : `qemu: ${info.qemu.path} (${info.qemu.version})`,
        `config: ${info.configDir}`,
        `runtime: ${info.runtimeDir}`,
        `data: ${info.dataDir}`,
        `backend pid: ${info.backendPid}`,
      ].join('\n') + '\n',
  );
  return 0;
}

async function doctorCommand(session: CliSession, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
  const report = await session.client.call('host.doctor', {});
  print(values.json === true, report, () => formatDoctor(report));
  return report.checks.some((c) => c.status === 'fail') ? 1 : 0;
}

const COMMANDS = {
  vm: vmCommand,
  host: hostCommand,
  doctor: doctorCommand,
  gpu: gpuCommand,
  run: (session: CliSession, args: string[]) => runCommand(session, args, defaultPaths().dataDir),
  image: imageCommand,
  booth: boothCommand,
  kiosk: kioskCommand,
  usb: usbCommand,
} as const;

/** Commands that change nothing may run their own backend beside one of another host. */
function readsOnly(command: string, rest: string[]): boolean {
  if (command === 'gpu') return gpuReadsOnly(rest[0], rest.slice(1));
  if (command === 'run') return runReadsOnly(rest[0]);
  return command === 'host' || command === 'doctor' || command === 'usb';
}

function isParseArgsError(error: unknown): error is Error {
  return error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS_');
}

export async function main(argv: string[]): Promise<number> {
  try {
    const { options, rest: args } = extractGlobalOptions(argv);
    const [command, ...rest] = args;
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    }
    // Only serve needs the HTTP and WebSocket server: loaded for it alone (bench/list-200.ts).
    if (command === 'serve') return await (await import('./serve-command')).runServe(rest, options);
    if (command === 'kiosk' && rest[0] === 'start') return await runKioskStart(rest.slice(1), options);
    if (!Object.hasOwn(COMMANDS, command)) throw new UsageError(`unknown command '${command}'\n${USAGE}`);
    const session = await openCliSession({ ...options, readOnly: readsOnly(command, rest) });
    try {
      return await COMMANDS[command as keyof typeof COMMANDS](session, rest);
    } finally {
      await session.close();
    }
  } catch (error) {
    // Exit codes (README "A first VM from the command line"): 2 for a command line that is not
    // one (unknown command or option, a value missing or of the wrong kind: node's parseArgs
    // says ERR_PARSE_ARGS_*), 1 for a command that failed.
    if (error instanceof UsageError || isParseArgsError(error)) {
      process.stderr.write(
        `tessera: ${error instanceof UsageError ? error.message : error.message.split('\n')[0]}\n`,
      );
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`tessera: ${message.split('\n')[0]}\n`);
    return 1;
  }
}
