import fsp from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { acceleratorNote } from '../../shared/accelerator-note';
import { capabilityNotes } from '../../shared/qemu-capabilities';
import type { VmConfig, VmInfo } from '../../shared/vm-spec';
import { boothVmCommand } from './booth-command';
import type { CliSession } from './cli-link';
import { exportCommand, importCommand } from './export-command';
import { print } from './gpu-command';
import {
  createInputFromOptions,
  gpuOptionNeedsInventory,
  parseCreateOptions,
  requireName,
  UsageError,
} from './parse-options';
import { runSerialConsole } from './serial-command';
import { vmUsbCommand } from './usb-command';
import { describeVm, formatVmList, vmListJson, vmSummary } from './vm-format';

export const VM_USAGE = `  vm create NAME [--cpus N] [--memory MiB] [--disk PATH]... [--cdrom ISO]
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

/** `vm SUB NAME [--json]`: the VM's name and whether --json was given. */
function nameAndJson(rest: string[], sub: string): { id: string; json: boolean } {
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { json: { type: 'boolean' } },
  });
  return { id: requireName(positionals, sub), json: values.json === true };
}

export async function vmCommand(session: CliSession, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { client } = session;
  switch (sub) {
    case 'create': {
      const { values, positionals } = parseCreateOptions(rest);
      const name = requireName(positionals, 'create');
      const inventory = gpuOptionNeedsInventory(values.gpu) ? await client.call('gpu.list', {}) : undefined;
      const vm = await client.call('vm.create', createInputFromOptions(name, values, inventory));
      const notes = values.json === true ? '' : await notesFor(session, vm);
      print(values.json === true, vmSummary(vm), () => `created VM '${vm.id}'\n${notes}`);
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
      print(values.json === true, vmSummary(vm), () => `changed VM '${vm.id}'\n${notes}`);
      return 0;
    }
    case 'usb':
      return vmUsbCommand(session, rest);
    case 'list': {
      const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' } } });
      const { vms, invalid } = await client.call('vm.list', {});
      print(values.json === true, vmListJson(vms, invalid), () => formatVmList(vms, invalid));
      return 0;
    }
    case 'show': {
      const { id, json } = nameAndJson(rest, 'show');
      const vm = await client.call('vm.get', { id });
      print(json, vmSummary(vm), () => describeVm(vm));
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
        vmSummary(vm),
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
      print(values.json === true, vmSummary(vm), () => `VM '${id}' is ${vm.state}\n`);
      return 0;
    }
    case 'kill':
    case 'reset':
    case 'pause':
    case 'resume': {
      const { id, json } = nameAndJson(rest, sub);
      const vm = await client.call(`vm.${sub}`, { id });
      print(json, vmSummary(vm), () => `VM '${id}' is ${vm.state}\n`);
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
      const { id, json } = nameAndJson(rest, 'args');
      const { argv } = await client.call('vm.args', { id });
      print(json, argv, () => argv.join('\n') + '\n');
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
      throw new UsageError(sub ? `unknown command 'vm ${sub}'\nusage:\n${VM_USAGE}` : `usage:\n${VM_USAGE}`);
    }
  }
}
