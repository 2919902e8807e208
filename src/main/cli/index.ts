import { acceleratorNote } from '../../shared/accelerator-note';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { TesseraError } from '../../shared/errors';
import { capabilityNotes } from '../../shared/qemu-capabilities';
import { describeDisplay, describeGpu } from '../../shared/vm-describe';
import type { VmConfig, VmInfo } from '../../shared/vm-spec';
import { openCliSession, type CliSession } from './cli-link';
import { extractGlobalOptions } from './global-options';
import { GPU_USAGE, gpuCommand, gpuReadsOnly, print } from './gpu-command';
import { formatDoctor, hostLine } from './host-format';
import {
  createInputFromOptions,
  gpuOptionNeedsInventory,
  parseCreateOptions,
  requireName,
  UsageError,
} from './parse-options';
import { runSerialConsole } from './serial-command';
import { EXPORT_USAGE, exportCommand, importCommand } from './export-command';
import { RUN_USAGE, runCommand, runReadsOnly } from './run-command';
import { defaultPaths } from '../paths';
import { BOOTH_USAGE, boothCommand, boothVmCommand, imageCommand } from './booth-command';
import { KIOSK_USAGE, kioskCommand, runKioskStart } from './kiosk-command';
import { USB_USAGE, usbCommand, vmUsbCommand } from './usb-command';

const USAGE = `usage: tessera <command>

  vm create NAME [--cpus N] [--memory MiB] [--disk PATH]... [--cdrom ISO]
                 [--kernel K] [--initrd I] [--append ARGS] [--firmware bios|uefi|uefi-secure-boot]
                 [--forward [udp:]HOSTPORT:GUESTPORT]... [--network user|none]
                 [--gpu none|std|virtio|virtio-gl|vf:ADDRESS|mdev:GPU:TYPE|passthrough:ADDRESS]
                 [--display vnc|spice|none|local[:CONNECTOR] [--windowed] [--show-fps]]
                 [--hugepages] [--pin-cpus 2,3] [--windows11] [--guest-agent] [--restart never|on-crash|always]
                 [--usb PORTPATH|VID:PID[:SERIAL]]... [--evdev /dev/input/by-id/...]... [--no-host-input]
                 vf:ADDRESS of a GPU = any free VF of it (picked at start), of a VF = that VF;
                 --windows11 = UEFI Secure Boot, TPM, Hyper-V, SATA disks, e1000e NIC
  vm edit NAME [the options of create]   replace what is given, keep the rest (--usb replaces the list)
  vm list [--json]            vm show NAME [--json]
  vm start NAME [--wait-serial TEXT] [--timeout SECONDS]
  vm stop NAME [--timeout SECONDS]
  vm kill|reset|pause|resume|delete NAME
  vm args NAME [--json]       vm log NAME [--lines N]
  vm screenshot NAME OUT.png  vm serial NAME   (Ctrl-] leaves the console)
${EXPORT_USAGE}
  host [--json]               serve [--port N]
  serve --link [--port N]     a new one-time link to the running serve; --revoke-sessions [--port N] ends its sessions
  doctor [--json]             can this host split its Intel GPU? exit 1 when a check fails
${GPU_USAGE}${BOOTH_USAGE}${KIOSK_USAGE}
${RUN_USAGE}
${USB_USAGE}
  Every command: --host-root DIR (or TESSERA_HOST_ROOT) reads another host's sys/, proc/, dev/;
  --simulate NAME uses a simulated host (adl-p, adl-p-maxvfs0, flex170, bmg, cml, iommu-off, no-intel-gpu).
`;

/** What this QEMU does differently from what the VM asks for (the editor shows the same). */
async function notesFor(session: CliSession, vm: VmInfo): Promise<string> {
  try {
    const capabilities = await session.client.call('host.qemuCapabilities', {});
    return capabilityNotes(capabilities, vm.spec)
      .map((n) => `note: ${n.message}\n`)
      .join('');
  } catch {
    return ''; // without QEMU there is nothing to compare with; starting says what is missing
  }
}

function summary(vm: VmInfo) {
  const { spec } = vm;
  return {
    id: vm.id,
    name: spec.name,
    state: vm.state,
    cpus: spec.cpus,
    memoryMiB: spec.memoryMiB,
    since: vm.since,
    ...(vm.pid !== undefined ? { pid: vm.pid } : {}),
    restarts: vm.restarts,
    ...(vm.lastError ? { lastError: vm.lastError } : {}),
    ...(vm.accelerator ? { accelerator: vm.accelerator } : {}),
    ...(vm.warning !== undefined ? { warning: vm.warning } : {}),
    spec,
  };
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

function describe(vm: VmInfo): string {
  const s = vm.spec;
  const lines = [
    `${s.name}: ${vm.state}${vm.pid !== undefined ? ` (pid ${vm.pid})` : ''} since ${vm.since}`,
    `  uuid ${s.uuid}`,
    `  ${s.cpus} vCPU${s.cpuPinning.length > 0 ? ` on host CPUs ${s.cpuPinning.join(',')}` : ''}, ${s.memoryMiB} MiB${s.memoryBacking.hugepages === 'off' ? '' : ` on ${s.memoryBacking.hugepages} hugepages`}, firmware ${s.firmware}${s.tpm ? ', TPM' : ''}${s.hyperv ? ', Hyper-V' : ''}, restart ${s.restartPolicy}`,
    `  GPU: ${describeGpu(s.gpu)}; display: ${describeDisplay(s.display)}`,
    ...s.disks.map((d) => `  disk ${d.path} (${d.format}${d.readOnly ? ', read-only' : ''})`),
    ...(s.cdrom ? [`  cdrom ${s.cdrom}`] : []),
    ...(s.kernel
      ? [
          `  kernel ${s.kernel.path}${s.kernel.initrd ? ` initrd ${s.kernel.initrd}` : ''}${s.kernel.append ? ` append "${s.kernel.append}"` : ''}`,
        ]
      : []),
    ...(s.usb.length > 0
      ? [
          `  usb ${s.usb.join(' ')}${vm.usbAttached ? ` (attached now: ${vm.usbAttached.join(' ') || 'none'})` : ''}`,
        ]
      : []),
    ...(s.evdev.length > 0 ? [`  evdev ${s.evdev.join(' ')}`] : []),
    `  network ${s.network.mode}${s.network.forwards.map((f) => ` ${f.protocol}:${f.hostAddress}:${f.hostPort}->${f.guestPort}`).join('')}`,
  ];
  if (vm.accelerator) lines.push(`  accelerator ${vm.accelerator.accelerator}: ${vm.accelerator.reason}`);
  if (vm.warning !== undefined) lines.push(`  warning: ${vm.warning}`);
  if (vm.lastError)
    lines.push(`  last error: ${vm.lastError.message}`, ...vm.lastError.logTail.map((l) => `    | ${l}`));
  return lines.join('\n') + '\n';
}

async function vmCommand(session: CliSession, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { client } = session;
  switch (sub) {
    case 'create': {
      const { values, positionals } = parseCreateOptions(rest);
      const name = requireName(positionals, 'create');
      const inventory = gpuOptionNeedsInventory(values.gpu) ? await client.call('gpu.list', {}) : undefined;
      const vm = await client.call('vm.create', createInputFromOptions(name, values, inventory));
      const notes = values.json === true ? '' : await notesFor(session, vm);
      print(values.json === true, summary(vm), () => `created VM '${vm.id}'\n${notes}`);
      return 0;
    }
    case 'edit': {
      const { values, positionals } = parseCreateOptions(rest);
      const id = requireName(positionals, 'edit');
      const current = await client.call('vm.get', { id });
      const inventory = gpuOptionNeedsInventory(values.gpu) ? await client.call('gpu.list', {}) : undefined;
      // What is given replaces what the VM has; its identity is not a setting, so it is not sent.
      const config: Record<string, unknown> = {
        ...current.spec,
        ...createInputFromOptions(id, values, inventory),
      };
      delete config.name;
      delete config.uuid;
      delete config.createdAt;
      const vm = await client.call('vm.update', { id, config: config as VmConfig });
      const notes = values.json === true ? '' : await notesFor(session, vm);
      print(values.json === true, summary(vm), () => `changed VM '${vm.id}'\n${notes}`);
      return 0;
    }
    case 'usb':
      return vmUsbCommand(session, rest);
    case 'list': {
      const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' } } });
      const { vms, invalid } = await client.call('vm.list', {});
      print(values.json === true, { vms: vms.map(summary), invalid }, () => {
        const out = vms.length
          ? table([
              ['NAME', 'STATE', 'VCPUS', 'MEMORY'],
              ...vms.map((v) => [v.id, v.state, String(v.spec.cpus), `${v.spec.memoryMiB} MiB`]),
            ])
          : 'no VMs yet: create one with `tessera vm create NAME ...`\n';
        const warnings = vms.flatMap((v) =>
          v.warning === undefined ? [] : [`warning: ${v.id}: ${v.warning}\n`],
        );
        return (
          out +
          warnings.join('') +
          invalid.map((i) => `warning: ${i.file} was not loaded: ${i.reason}\n`).join('')
        );
      });
      return 0;
    }
    case 'show': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { json: { type: 'boolean' } },
      });
      const vm = await client.call('vm.get', { id: requireName(positionals, 'show') });
      print(values.json === true, summary(vm), () => describe(vm));
      return 0;
    }
    case 'start': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          'wait-serial': { type: 'string' },
          timeout: { type: 'string' },
          json: { type: 'boolean' },
        },
      });
      const id = requireName(positionals, 'start');
      const timeoutSeconds = values.timeout === undefined ? 60 : Number(values.timeout);
      const vm = await client.call('vm.start', { id });
      if (values['wait-serial'] !== undefined) {
        await client.call('vm.waitSerial', { id, text: values['wait-serial'], timeoutSeconds });
      }
      const note = vm.accelerator ? acceleratorNote(vm.accelerator) : null;
      print(
        values.json === true,
        summary(vm),
        () => `started VM '${id}' (pid ${vm.pid ?? '?'})\n${note === null ? '' : `note: ${note}\n`}`,
      );
      return 0;
    }
    case 'stop': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { timeout: { type: 'string' }, json: { type: 'boolean' } },
      });
      const id = requireName(positionals, 'stop');
      const vm = await client.call('vm.stop', {
        id,
        ...(values.timeout !== undefined ? { timeoutSeconds: Number(values.timeout) } : {}),
      });
      print(values.json === true, summary(vm), () => `VM '${id}' is ${vm.state}\n`);
      return 0;
    }
    case 'kill':
    case 'reset':
    case 'pause':
    case 'resume': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { json: { type: 'boolean' } },
      });
      const id = requireName(positionals, sub);
      const vm = await client.call(`vm.${sub}`, { id });
      print(values.json === true, summary(vm), () => `VM '${id}' is ${vm.state}\n`);
      return 0;
    }
    case 'delete': {
      const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {} });
      const id = requireName(positionals, 'delete');
      await client.call('vm.delete', { id });
      process.stdout.write(`deleted VM '${id}' (its disks were kept)\n`);
      return 0;
    }
    case 'args': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { json: { type: 'boolean' } },
      });
      const { argv } = await client.call('vm.args', { id: requireName(positionals, 'args') });
      print(values.json === true, argv, () => argv.join('\n') + '\n');
      return 0;
    }
    case 'log': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { lines: { type: 'string' } },
      });
      const { lines } = await client.call('vm.log', {
        id: requireName(positionals, 'log'),
        ...(values.lines !== undefined ? { lines: Number(values.lines) } : {}),
      });
      process.stdout.write(lines.map((l) => l + '\n').join(''));
      return 0;
    }
    case 'screenshot': {
      const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {} });
      const [id, out] = positionals;
      if (!id || !out) throw new UsageError('usage: tessera vm screenshot NAME OUT.png');
      const shot = await client.call('vm.screenshot', { id });
      await fsp.writeFile(path.resolve(out), Buffer.from(shot.pngBase64, 'base64'));
      process.stdout.write(`wrote ${out} (${shot.width}x${shot.height})\n`);
      return 0;
    }
    case 'serial': {
      const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {} });
      return runSerialConsole(session, requireName(positionals, 'serial'));
    }
    case 'export':
      return exportCommand(session, rest);
    case 'import':
      return importCommand(session, rest);
    default: {
      const handled = await boothVmCommand(session, sub, rest);
      if (handled !== undefined) return handled;
      throw new UsageError(sub ? `unknown command 'vm ${sub}'\n${USAGE}` : USAGE);
    }
  }
}

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
    if (error instanceof UsageError) {
      process.stderr.write(`tessera: ${error.message}\n`);
      return 2;
    }
    const message =
      error instanceof TesseraError ||
      (error instanceof Error && 'code' in error && error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
        ? error.message
        : error instanceof Error
          ? error.message
          : String(error);
    process.stderr.write(`tessera: ${message.split('\n')[0]}\n`);
    return 1;
  }
}
