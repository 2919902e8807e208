import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  formatResetSchedule,
  hasRecentInput,
  type GoldenStatus,
  type ImageInfo,
  type ResetMode,
  type ResetOutcome,
} from '../../shared/images';
import type { CliSession } from './cli-link';
import { requireName, UsageError } from './parse-options';
import { print } from './gpu-command';

export const BOOTH_USAGE = `  image list [--json]         image add PATH [--name N]   image verify NAME [--version N]
  image delete NAME [--version N]   golden images: read-only copies with SHA-256, in versions
  vm golden NAME --image IMAGE [--ready-text TEXT] | --off     run on an overlay of IMAGE (or not)
  vm reset-to-golden NAME [--warm|--cold] [--yes]   vm promote NAME   vm mark-ready NAME
  vm reset-schedule NAME daily@03:00|every:4h|idle:2m|on-stop|off     booth reset-all [--warm|--cold]
`;

/** Percent on stderr while a long image operation runs, so stdout stays the result. */
function showProgress(session: CliSession, name: string): () => void {
  if (!process.stderr.isTTY) return () => undefined;
  const off = session.client.on('image.progress', (p) => {
    if (p.name === name) process.stderr.write(`\r${p.operation} ${name}: ${p.percent.toFixed(0)}%   `);
  });
  return () => {
    off();
    process.stderr.write('\r\x1b[K');
  };
}

function describeImage(image: ImageInfo): string {
  const lines = image.versions.map((v) => {
    const users = image.usedBy.filter((u) => u.version === v.version).map((u) => u.id);
    const current = v.version === image.current ? ' (current)' : '';
    return `  v${v.version}${current}  ${v.format}  ${v.sizeBytes} bytes  sha256 ${v.sha256}\n      ${v.path}\n      verified ${v.verifiedAt}; used by ${users.length ? users.join(', ') : 'no VM'}`;
  });
  return `${image.name}\n${lines.join('\n')}\n`;
}

function describeStatus(s: GoldenStatus): string {
  return (
    [
      `VM '${s.id}' runs on golden image ${s.image}${s.version === null ? '' : ` v${s.version}`}`,
      `  overlay ${s.overlay}`,
      `  reset schedule ${formatResetSchedule(s.schedule)}${s.nextResetAt ? `, next at ${s.nextResetAt}` : ''}`,
      `  warm resets: ${s.warm.blocker ? `no, ${s.warm.blocker}` : s.warm.snapshotAt ? `ready snapshot of ${s.warm.snapshotAt}` : 'once a ready snapshot is taken'}`,
    ].join('\n') + '\n'
  );
}

function describeOutcome(o: ResetOutcome): string {
  return `VM '${o.id}' reset ${o.mode} in ${(o.elapsedMs / 1000).toFixed(1)} s (${o.reason})${o.restarted ? ', started again' : ''}\n`;
}

function imageName(positionals: string[], command: string): string {
  const name = positionals[0];
  if (!name) throw new UsageError(`usage: tessera image ${command} NAME [--version N]`);
  return name;
}

export async function imageCommand(session: CliSession, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { client } = session;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, name: { type: 'string' }, version: { type: 'string' } },
  });
  const json = values.json === true;
  const version = values.version === undefined ? undefined : Number(values.version);
  if (version !== undefined && !(Number.isInteger(version) && version > 0)) {
    throw new UsageError(`--version takes a version number, e.g. --version 2 (got '${values.version}')`);
  }
  switch (sub) {
    case 'list': {
      const { images } = await client.call('image.list', {});
      print(json, { images }, () =>
        images.length ? images.map(describeImage).join('') : 'no golden images yet: tessera image add PATH\n',
      );
      return 0;
    }
    case 'add': {
      const file = positionals[0];
      if (!file) throw new UsageError('usage: tessera image add PATH [--name N]');
      const done = showProgress(session, values.name ?? '');
      try {
        const image = await client.call('image.add', {
          path: path.resolve(file),
          ...(values.name !== undefined ? { name: values.name } : {}),
        });
        done();
        print(json, image, () => `added golden image ${image.name}\n${describeImage(image)}`);
      } finally {
        done();
      }
      return 0;
    }
    case 'verify': {
      const name = imageName(positionals, 'verify');
      const result = await client.call('image.verify', { name, ...(version ? { version } : {}) });
      print(json, result, () =>
        result.results
          .map(
            (r) =>
              `${name} v${r.version}: ${r.ok ? 'ok' : 'CHANGED'} (sha256 ${r.sha256})${r.reason ? `: ${r.reason}` : ''}\n`,
          )
          .join(''),
      );
      return result.ok ? 0 : 1;
    }
    case 'delete': {
      const name = imageName(positionals, 'delete');
      await client.call('image.delete', { name, ...(version ? { version } : {}) });
      process.stdout.write(`deleted golden image ${name}${version ? ` v${version}` : ''}\n`);
      return 0;
    }
    default:
      throw new UsageError(`usage:\n${BOOTH_USAGE}`);
  }
}

function modeOf(values: { warm?: boolean; cold?: boolean }): ResetMode | undefined {
  if (values.warm && values.cold) throw new UsageError('give --warm or --cold, not both');
  return values.warm ? 'warm' : values.cold ? 'cold' : undefined;
}

/** `vm golden|reset-to-golden|promote|mark-ready|reset-schedule`; undefined for other subcommands. */
export async function boothVmCommand(
  session: CliSession,
  sub: string | undefined,
  rest: string[],
): Promise<number | undefined> {
  const { client } = session;
  const parse = () =>
    parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        image: { type: 'string' },
        off: { type: 'boolean' },
        'ready-text': { type: 'string' },
        warm: { type: 'boolean' },
        cold: { type: 'boolean' },
        yes: { type: 'boolean' },
      },
    });
  switch (sub) {
    case 'golden': {
      const { values, positionals } = parse();
      const id = requireName(positionals, 'golden');
      if ((values.image === undefined) === (values.off !== true)) {
        throw new UsageError('usage: tessera vm golden NAME --image IMAGE [--ready-text TEXT] | --off');
      }
      if (values.off) {
        const result = await client.call('vm.golden', { id, off: true });
        print(
          values.json === true,
          result,
          () => `VM '${id}' is off its golden image; its disk is now ${result.disk}\n`,
        );
        return 0;
      }
      const { status } = await client.call('vm.golden', {
        id,
        image: values.image ?? '',
        ...(values['ready-text'] !== undefined ? { readyText: values['ready-text'] } : {}),
      });
      print(values.json === true, status, () => (status ? describeStatus(status) : ''));
      return 0;
    }
    case 'reset-to-golden': {
      const { values, positionals } = parse();
      const id = requireName(positionals, 'reset-to-golden');
      const mode = modeOf(values);
      if (values.yes !== true) {
        const { vms } = await client.call('booth.status', {});
        const status = vms.find((s) => s.id === id);
        if (status && hasRecentInput(status, Date.now())) {
          throw new UsageError(
            `someone used the console of '${id}' at ${status.lastInputAt}: add --yes to reset it anyway`,
          );
        }
      }
      const outcome = await client.call('vm.resetToGolden', { id, ...(mode ? { mode } : {}) });
      print(values.json === true, outcome, () => describeOutcome(outcome));
      return 0;
    }
    case 'promote': {
      const { values, positionals } = parse();
      const id = requireName(positionals, 'promote');
      const { vms } = await client.call('booth.status', {});
      const done = showProgress(session, vms.find((s) => s.id === id)?.image ?? '');
      try {
        const result = await client.call('vm.promote', { id });
        done();
        print(
          values.json === true,
          result,
          () =>
            `VM '${id}' is now ${result.image.name} v${result.version}; VMs on it move at their next reset\n`,
        );
      } finally {
        done();
      }
      return 0;
    }
    case 'mark-ready': {
      const { values, positionals } = parse();
      const status = await client.call('vm.markReady', { id: requireName(positionals, 'mark-ready') });
      print(values.json === true, status, () => describeStatus(status));
      return 0;
    }
    case 'reset-schedule': {
      const { values, positionals } = parse();
      const [id, schedule] = positionals;
      if (!id || !schedule)
        throw new UsageError(
          'usage: tessera vm reset-schedule NAME daily@03:00|every:4h|idle:2m|on-stop|off',
        );
      const status = await client.call('vm.resetSchedule', { id, schedule });
      print(values.json === true, status, () => describeStatus(status));
      return 0;
    }
    default:
      return undefined;
  }
}

export async function boothCommand(session: CliSession, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'reset-all') throw new UsageError('usage: tessera booth reset-all [--warm|--cold] [--json]');
  const { values } = parseArgs({
    args: rest,
    options: { json: { type: 'boolean' }, warm: { type: 'boolean' }, cold: { type: 'boolean' } },
  });
  const mode = modeOf(values);
  const result = await session.client.call('booth.resetAll', mode ? { mode } : {});
  print(values.json === true, result, () =>
    result.results.length === 0
      ? 'no VM is on a golden image\n'
      : result.results
          .map((r) => ('error' in r ? `VM '${r.id}': ${r.error}\n` : describeOutcome(r)))
          .join(''),
  );
  return result.results.some((r) => 'error' in r) ? 1 : 0;
}
