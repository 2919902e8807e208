import { parseArgs } from 'node:util';
import type { GpuIntent, PlanPreview } from '../../shared/gpu-plan';
import type { ChangeLogEntry } from '../../shared/gpu-plan';
import type { CliSession } from './cli-link';
import { formatGpuList } from './host-format';
import { UsageError } from './parse-options';
import { presetShares } from '../../shared/gpu-shares';

export const GPU_USAGE = `  gpu list [--json]           PFs, VFs, drivers, IOMMU groups, vGPU types, GuC/HuC
  gpu vfs PF COUNT [--bind vfio|host] [--preset fair|one-big] [--scheduling keep|unlimited|video-60fps]
  gpu provision DEVICE KEY=VALUE...   kernel names: exec_quantum_ms preempt_timeout_us ggtt_quota
                              lmem_quota contexts_quota doorbells_quota (VF); *_spare, sched_priority (PF)
  gpu bind DEVICE vfio|host [--take-host-display]
  gpu mdev create PF TYPE [--uuid UUID]     gpu mdev remove UUID
  gpu passthrough PF --take-host-display    the whole GPU for one VM
  gpu log [--json]            gpu boot [on|off]   (re-make the layout at start, or print sysfs.conf lines)
  Changing commands take --dry-run (print the plan, change nothing) and --json.
`;

/** Subcommands that change nothing may run beside a backend of another host. */
export function gpuReadsOnly(sub: string | undefined, rest: string[]): boolean {
  return sub === 'list' || sub === 'log' || (sub === 'boot' && rest.every((a) => a.startsWith('--')));
}

export function print(json: boolean, value: unknown, text: () => string): void {
  process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : text());
}

/** The reviewed diff, one aligned line per change. */
export function formatPreview(preview: PlanPreview): string {
  const rows = preview.changes.map((c) => [c.target, c.what, `${c.from} → ${c.to}`]);
  const widths = [0, 1].map((i) => Math.max(0, ...rows.map((r) => (r[i] ?? '').length)));
  const lines = rows.map(
    (r) => `  ${(r[0] ?? '').padEnd(widths[0] ?? 0)}  ${(r[1] ?? '').padEnd(widths[1] ?? 0)}  ${r[2]}`,
  );
  return [preview.summary, ...lines].join('\n') + '\n';
}

function formatEntry(e: ChangeLogEntry): string {
  const error = e.error ? `\n    ${e.error}` : '';
  return `${e.at}  ${e.result.padEnd(18)} ${e.origin.padEnd(8)} ${e.user}  ${e.summary}${error}`;
}

const CHANGE_OPTIONS = { 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } } as const;

/** `KEY=VALUE` with the kernel's attribute names; numbers stay numbers (xe's sched_priority is a word). */
export function parseAttributes(pairs: string[]): Record<string, number | string> {
  if (pairs.length === 0) throw new UsageError('name at least one KEY=VALUE, e.g. ggtt_quota=536870912');
  const attributes: Record<string, number | string> = {};
  for (const pair of pairs) {
    const match = pair.match(/^([a-z_]+)=(.+)$/);
    if (!match?.[1] || match[2] === undefined)
      throw new UsageError(`${pair}: expected KEY=VALUE, e.g. exec_quantum_ms=10`);
    const value = match[2];
    attributes[match[1]] = /^\d+$/.test(value)
      ? Number(value)
      : /^0x[0-9a-f]+$/i.test(value)
        ? Number(value)
        : value;
  }
  return attributes;
}

function oneOf<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  flag: string,
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${flag} ${value}: expected ${allowed.join(' or ')}`);
}

async function intentFor(
  session: CliSession,
  sub: string,
  args: string[],
): Promise<{ intent: GpuIntent; flags: { dryRun: boolean; json: boolean } }> {
  const flagsOf = (values: { 'dry-run'?: boolean; json?: boolean }) => ({
    dryRun: values['dry-run'] === true,
    json: values.json === true,
  });
  switch (sub) {
    case 'vfs': {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: {
          ...CHANGE_OPTIONS,
          bind: { type: 'string' },
          preset: { type: 'string' },
          scheduling: { type: 'string' },
        },
      });
      const [pf, count] = positionals;
      if (!pf || count === undefined || !/^\d+$/.test(count) || positionals.length > 2)
        throw new UsageError('usage: tessera gpu vfs PF COUNT [--bind vfio|host] [--preset fair|one-big]');
      const bind = oneOf(values.bind, ['vfio', 'host', 'keep'], '--bind', 'keep');
      const preset =
        values.preset === undefined
          ? undefined
          : oneOf(values.preset, ['fair', 'one-big'], '--preset', 'fair');
      const scheduling = oneOf(
        values.scheduling,
        ['keep', 'unlimited', 'video-60fps'],
        '--scheduling',
        'keep',
      );
      let shares;
      if (preset !== undefined || scheduling !== 'keep') {
        const inventory = await session.client.call('gpu.list', {});
        const gpu = inventory.gpus.find((g) => g.address === pf);
        if (gpu) shares = presetShares(gpu, Number(count), preset ?? 'fair', scheduling);
      }
      return {
        intent: {
          kind: 'layout',
          pf,
          vfCount: Number(count),
          bind: bind === 'vfio' ? 'vfio-pci' : bind,
          ...(shares ? { shares } : {}),
        },
        flags: flagsOf(values),
      };
    }
    case 'provision': {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: CHANGE_OPTIONS });
      const [device, ...pairs] = positionals;
      if (!device) throw new UsageError('usage: tessera gpu provision DEVICE KEY=VALUE...');
      return {
        intent: { kind: 'provision', device, attributes: parseAttributes(pairs) },
        flags: flagsOf(values),
      };
    }
    case 'bind': {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: { ...CHANGE_OPTIONS, 'take-host-display': { type: 'boolean' } },
      });
      const [device, driver] = positionals;
      if (!device || (driver !== 'vfio' && driver !== 'host') || positionals.length > 2)
        throw new UsageError('usage: tessera gpu bind DEVICE vfio|host [--take-host-display]');
      return {
        intent: {
          kind: 'bind',
          device,
          driver: driver === 'vfio' ? 'vfio-pci' : 'host',
          takeHostDisplay: values['take-host-display'] === true,
        },
        flags: flagsOf(values),
      };
    }
    case 'mdev': {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: { ...CHANGE_OPTIONS, uuid: { type: 'string' } },
      });
      const [action, first, second] = positionals;
      if (action === 'create' && first && second && positionals.length === 3)
        return {
          intent: {
            kind: 'mdev-create',
            parent: first,
            type: second,
            ...(values.uuid ? { uuid: values.uuid } : {}),
          },
          flags: flagsOf(values),
        };
      if (action === 'remove' && first && positionals.length === 2)
        return { intent: { kind: 'mdev-remove', uuid: first }, flags: flagsOf(values) };
      throw new UsageError('usage: tessera gpu mdev create PF TYPE [--uuid UUID] | gpu mdev remove UUID');
    }
    case 'passthrough': {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: { ...CHANGE_OPTIONS, 'take-host-display': { type: 'boolean' } },
      });
      const [pf] = positionals;
      if (!pf || positionals.length > 1)
        throw new UsageError('usage: tessera gpu passthrough PF --take-host-display');
      return {
        intent: { kind: 'passthrough', pf, takeHostDisplay: values['take-host-display'] === true },
        flags: flagsOf(values),
      };
    }
    default:
      throw new UsageError(
        sub ? `unknown command 'gpu ${sub}'\nusage:\n${GPU_USAGE}` : `usage:\n${GPU_USAGE}`,
      );
  }
}

export async function gpuCommand(session: CliSession, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { client } = session;
  if (sub === 'list') {
    const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' } } });
    const inventory = await client.call('gpu.list', {});
    print(values.json === true, inventory, () => formatGpuList(inventory));
    return 0;
  }
  if (sub === 'log') {
    const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' } } });
    const { entries } = await client.call('gpu.log', {});
    print(values.json === true, entries, () =>
      entries.length === 0 ? 'No GPU changes yet.\n' : entries.map(formatEntry).join('\n') + '\n',
    );
    return 0;
  }
  if (sub === 'boot') {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { json: { type: 'boolean' } },
    });
    const [setting] = positionals;
    if (setting !== undefined && setting !== 'on' && setting !== 'off')
      throw new UsageError('usage: tessera gpu boot [on|off]');
    const state =
      setting === undefined
        ? await client.call('gpu.persistence', {})
        : await client.call('gpu.setReapplyAtStart', { enabled: setting === 'on' });
    print(
      values.json === true,
      state,
      () =>
        [
          `Re-make the saved GPU layout when Tessera starts: ${state.reapplyAtStart ? 'on' : 'off'}`,
          ...(state.startup ? [state.startup] : []),
          ...(state.bootConfig.length
            ? [
                '',
                'Or, without Tessera, add these lines to /etc/sysfs.conf (package sysfsutils):',
                ...state.bootConfig,
              ]
            : ['No GPU layout saved yet: it is saved when Tessera applies one.']),
        ].join('\n') + '\n',
    );
    return 0;
  }
  const { intent, flags } = await intentFor(session, sub ?? '', rest);
  const preview = await client.call('gpu.plan', intent);
  if (flags.dryRun || preview.plan === null) {
    print(
      flags.json,
      preview,
      () => formatPreview(preview) + (preview.plan ? 'Dry run: nothing was changed.\n' : ''),
    );
    return 0;
  }
  const done = await client.call('gpu.apply', {
    plan: preview.plan,
    summary: preview.summary,
    origin: 'cli',
  });
  print(
    flags.json,
    { ...preview, ...done },
    () =>
      formatPreview(preview) +
      `Applied: ${done.entry.writes} write${done.entry.writes === 1 ? '' : 's'} by the helper.\n`,
  );
  return 0;
}
