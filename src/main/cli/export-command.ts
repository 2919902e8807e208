/** `tessera vm export` and `tessera vm import` (issue 13): the CLI side of vm.export and vm.import. */
import fsp from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { ExportFormat, KubevirtDiskSource, type ImportResult } from '../../shared/vm-export';
import { describeDisplay, describeGpu } from '../../shared/vm-describe';
import { writeFileAtomic } from '../fsutil/atomic-write';
import type { CliSession } from './cli-link';
import { UsageError } from './parse-options';

export const EXPORT_USAGE = `  vm export NAME|--all --format script|libvirt|kubevirt [--out PATH] [--sudo]
            [--with-cluster-config] [--disk-source pvc|datavolume|containerdisk]
  vm import --qemu-cmdline "..." | --qemu-cmdline-file F | --libvirt FILE [--name N] [--yes] [--dry-run] [--json]
            shows the VM and what was mapped, changed and dropped; creates it when you accept`;

export async function exportCommand(session: CliSession, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      out: { type: 'string' },
      all: { type: 'boolean' },
      'with-cluster-config': { type: 'boolean' },
      'disk-source': { type: 'string' },
      sudo: { type: 'boolean' },
    },
  });
  const format = ExportFormat.safeParse(values.format);
  if (!format.success) throw new UsageError(`--format is script, libvirt or kubevirt\n${EXPORT_USAGE}`);
  const diskSource = KubevirtDiskSource.safeParse(values['disk-source'] ?? 'pvc');
  if (!diskSource.success) throw new UsageError('--disk-source is pvc, datavolume or containerdisk');
  const [id] = positionals;
  if ((id === undefined) === (values.all !== true))
    throw new UsageError(`name one VM or say --all\n${EXPORT_USAGE}`);
  const result = await session.client.call('vm.export', {
    format: format.data,
    ...(id !== undefined ? { id } : {}),
    all: values.all === true,
    withClusterConfig: values['with-cluster-config'] === true,
    diskSource: diskSource.data,
    sudo: values.sudo === true,
  });
  if (values.out === undefined) {
    process.stdout.write(result.text);
  } else {
    const out = path.resolve(values.out);
    await writeFileAtomic(out, result.text);
    if (format.data === 'script') await fsp.chmod(out, 0o755);
    process.stderr.write(`wrote ${out}\n`);
  }
  for (const n of result.notExpressed) process.stderr.write(`note: ${n}\n`);
  return 0;
}

/** The import as a person reads it: the VM, then each part of the input and what became of it. */
export function formatImport(result: ImportResult): string {
  const { spec, report } = result;
  const lines = [
    `VM '${spec.name}': ${spec.cpus} vCPU, ${spec.memoryMiB} MiB${spec.memoryBacking.hugepages === 'off' ? '' : ` on ${spec.memoryBacking.hugepages} hugepages`}, firmware ${spec.firmware}`,
    `  GPU: ${describeGpu(spec.gpu)}; display: ${describeDisplay(spec.display)}`,
    ...spec.disks.map((d) => `  disk ${d.path} (${d.format}, ${d.bus}${d.readOnly ? ', read-only' : ''})`),
    ...(spec.cdrom ? [`  cdrom ${spec.cdrom}`] : []),
    ...(spec.kernel ? [`  kernel ${spec.kernel.path}`] : []),
    `  network ${spec.network.mode}${spec.network.forwards.map((f) => ` ${f.protocol}:${f.hostAddress}:${f.hostPort}->${f.guestPort}`).join('')}`,
    '',
    ...report.map((n) => `${n.kind.padEnd(10)} ${n.source}\n           ${n.detail}`),
  ];
  return lines.join('\n') + '\n';
}

export async function importCommand(session: CliSession, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'qemu-cmdline': { type: 'string' },
      'qemu-cmdline-file': { type: 'string' },
      libvirt: { type: 'string' },
      name: { type: 'string' },
      yes: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  const given = [values['qemu-cmdline'], values['qemu-cmdline-file'], values.libvirt].filter(
    (v) => v !== undefined,
  );
  if (given.length !== 1)
    throw new UsageError(`give one of --qemu-cmdline, --qemu-cmdline-file, --libvirt\n${EXPORT_USAGE}`);
  const read = (file: string) =>
    fsp.readFile(path.resolve(file), 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new UsageError(`cannot read ${file}: ${error.code ?? error.message}`);
    });
  const source =
    values.libvirt !== undefined
      ? { kind: 'libvirt' as const, xml: await read(values.libvirt) }
      : {
          kind: 'qemu-cmdline' as const,
          text: values['qemu-cmdline'] ?? (await read(values['qemu-cmdline-file'] ?? '')),
        };
  const result = await session.client.call('vm.import', {
    source,
    ...(values.name !== undefined ? { name: values.name } : {}),
  });
  process.stdout.write(values.json === true ? JSON.stringify(result, null, 2) + '\n' : formatImport(result));
  if (values['dry-run'] === true) return 0;
  if (values.yes !== true) {
    if (!process.stdin.isTTY)
      throw new UsageError('nothing created: say --yes to create it, or --dry-run to only look');
    const prompt = readline.createInterface({ input: process.stdin, output: process.stderr });
    const answer = await prompt.question(`create VM '${result.spec.name}'? [y/N] `);
    prompt.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      process.stderr.write('nothing created\n');
      return 1;
    }
  }
  const vm = await session.client.call('vm.create', result.spec);
  process.stderr.write(`created VM '${vm.id}'\n`);
  return 0;
}
