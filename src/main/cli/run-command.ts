import path from 'node:path';
import { parseArgs } from 'node:util';
import type { RunDiff, RunRecord, RunSummary } from '../../shared/run-record';
import { MATRIX_AXES, parseVary, valuesText, type MatrixRecord } from '../../shared/run-matrix';
import type { CliSession } from './cli-link';
import { UsageError } from './parse-options';
import { print } from './gpu-command';

export const RUN_USAGE = `  run start VM --plan PLAN [--label TEXT] [--json]   run a validation plan (YAML or JSON) in the VM
  run list [--json]           run show ID [--json]       run diff A B [--json]
  run export ID... --output FILE.tar.gz                 records to attach to a bug report
  run matrix VM --plan PLAN --vary AXIS=V1,V2... [--label TEXT] [--json]
                              the plan once per combination (axes: ${MATRIX_AXES.join(', ')})
  run matrix-list [--json]    run matrix-show ID [--json]`;

function stepLine(s: {
  name: string;
  status: string;
  exitCode: number | null;
  message?: string | null;
}): string {
  const exit = s.exitCode === null ? '' : ` (exit ${s.exitCode})`;
  return `  ${s.status.padEnd(8)} ${s.name}${exit}${s.message ? `: ${s.message}` : ''}\n`;
}

function listLine(r: RunSummary): string {
  const counts = `${r.passed} passed, ${r.failed + r.timeout} failed, ${r.skipped} skipped`;
  return `${r.id}  ${r.status.padEnd(11)} ${r.vm}  ${r.transport ?? '-'}  ${counts}${r.simulated ? '  (simulated host)' : ''}${r.label ? `  "${r.label}"` : ''}\n`;
}

function describeRecord(r: RunRecord, dir: string): string {
  const host = r.host.start;
  const lines = [
    `run ${r.id}: ${r.status}${r.label ? ` "${r.label}"` : ''} on VM '${r.vm}' over ${r.transport ?? 'no transport'} (${r.transportNote})`,
    `  ${r.startedAt} → ${r.finishedAt ?? 'still running'}; plan ${r.plan.source}`,
    ...(r.problem ? [`  problem: ${r.problem}`] : []),
    ...(host
      ? [
          `  host: ${host.host.simulated ? `simulated ${host.host.simulated.title}` : host.host.root}, kernel ${'value' in host.kernelRelease ? host.kernelRelease.value : `unreadable (${host.kernelRelease.unreadable})`}`,
          ...host.gpus.map(
            (g) =>
              `  GPU ${g.address} ${g.name}: driver ${g.driver ?? 'none'}, GuC ${g.guc.state === 'known' ? g.guc.status : 'unknown'}, HuC ${g.huc.state === 'known' ? g.huc.status : 'unknown'}`,
          ),
          `  GPU slice: ${host.lease ? `${host.lease.kind} ${host.lease.device}${host.lease.simulated ? ' (simulated)' : ''}` : 'none'}`,
          `  per-VF engine activity: ${host.engineActivity.detail}`,
          `  QEMU ${'value' in host.qemu.version ? host.qemu.version.value : 'version unreadable'}, Tessera ${host.tesseraVersion}`,
        ]
      : []),
    `  record: ${dir}`,
  ];
  return lines.join('\n') + '\n' + r.steps.map(stepLine).join('');
}

export function formatDiff(d: RunDiff): string {
  const out = [`${d.a.id} → ${d.b.id}`];
  if (d.setup.length === 0 && d.steps.length === 0 && d.probes.length === 0) out.push('  no differences');
  for (const s of d.setup)
    out.push(`  ${s.category.padEnd(12)} ${s.key}: ${s.a ?? '(none)'} → ${s.b ?? '(none)'}`);
  for (const s of d.steps) {
    const show = (x: RunDiff['steps'][number]['a']) =>
      x ? `${x.status}${x.exitCode === null ? '' : ` (exit ${x.exitCode})`}` : '(not run)';
    out.push(`  step         ${s.name}: ${show(s.a)} → ${show(s.b)}`);
  }
  for (const p of d.probes) {
    out.push(`  probe        ${p.step}:`);
    for (const l of p.onlyA) out.push(`    - ${l}`);
    for (const l of p.onlyB) out.push(`    + ${l}`);
  }
  return out.join('\n') + '\n';
}

/** The results grid: one row per combination, its values, how it ended, its steps' tally, its run. */
export function formatMatrix(m: MatrixRecord): string {
  const axes = m.axes.map((a) => a.axis);
  const rows = m.cells.map((c) => {
    const count = (...s: string[]) => c.steps.filter((x) => s.includes(x.status)).length;
    return [
      ...axes.map((a) => c.values[a] ?? ''),
      c.status,
      c.steps.length
        ? `${count('passed')}/${c.steps.length} passed, ${count('failed', 'timeout')} failed`
        : '',
      c.runId ?? '-',
      c.message ?? '',
    ];
  });
  const header = [...axes, 'status', 'steps', 'run', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((x, i) => x.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd() + '\n';
  return (
    `matrix ${m.id}: ${m.status}${m.label ? ` "${m.label}"` : ''} on VM '${m.vm}', ${m.cells.length} combinations of ${m.axes.map((a) => `${a.axis}=${a.values.join(',')}`).join(' ')}\n` +
    line(header) +
    rows.map(line).join('') +
    `${m.note}\n`
  );
}

function matrixLine(m: MatrixRecord): string {
  const passed = m.cells.filter((c) => c.status === 'passed').length;
  return `${m.id}  ${m.status.padEnd(11)} ${m.vm}  ${passed}/${m.cells.length} passed  ${m.cells.map((c) => valuesText(c.values)).join(' | ')}${m.label ? `  "${m.label}"` : ''}\n`;
}

/** The lines of a list of records and a warning for each file not read; with neither, `none yet`. */
function recordList(
  what: 'run' | 'matrix',
  lines: string[],
  invalid: readonly { id: string; reason: string }[],
  noneYet: string,
): string {
  if (lines.length === 0 && invalid.length === 0)
    return `no ${what === 'run' ? 'runs' : 'matrices'} yet: ${noneYet}\n`;
  return lines.join('') + invalid.map((i) => `warning: ${what} ${i.id} was not read: ${i.reason}\n`).join('');
}

/** `ID [--json]`, the arguments of `show` and `matrix-show`. */
function idArgument(args: string[], usage: string): { id: string; json: boolean } {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' } },
  });
  const [id] = positionals;
  if (!id || positionals.length > 1) throw new UsageError(usage);
  return { id, json: values.json === true };
}

export async function runCommand(session: CliSession, args: string[], dataDir: string): Promise<number> {
  const [sub, ...rest] = args;
  const { client } = session;
  switch (sub) {
    case 'start': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { plan: { type: 'string' }, label: { type: 'string' }, json: { type: 'boolean' } },
      });
      const [vm] = positionals;
      if (!vm || values.plan === undefined)
        throw new UsageError('usage: tessera run start VM --plan PLAN [--label TEXT] [--json]');
      const { id } = await client.call('run.start', {
        vm,
        plan: { path: path.resolve(values.plan) },
        label: values.label ?? null,
      });
      if (values.json !== true) process.stderr.write(`run ${id} started on VM '${vm}'\n`);
      const outcome = await client.call('run.wait', { id });
      if (values.json === true) print(true, outcome, () => '');
      else {
        const record = await client.call('run.get', { id });
        const dir = path.join(dataDir, 'runs', id);
        process.stdout.write(
          `${record.steps.map(stepLine).join('')}run ${id}: ${outcome.status} over ${outcome.transport ?? 'no transport'}${record.problem ? ` (${record.problem})` : ''}; record in ${dir}\n`,
        );
      }
      return outcome.status === 'passed' ? 0 : 1;
    }
    case 'list': {
      const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' } } });
      const list = await client.call('run.list', {});
      print(values.json === true, list, () =>
        recordList(
          'run',
          list.runs.map(listLine),
          list.invalid,
          'start one with `tessera run start VM --plan PLAN`',
        ),
      );
      return 0;
    }
    case 'show': {
      const { id, json } = idArgument(rest, 'usage: tessera run show ID [--json]');
      const record = await client.call('run.get', { id });
      print(json, record, () => describeRecord(record, path.join(dataDir, 'runs', id)));
      return 0;
    }
    case 'diff': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { json: { type: 'boolean' } },
      });
      const [a, b] = positionals;
      if (!a || !b) throw new UsageError('usage: tessera run diff A B [--json]');
      const diff = await client.call('run.diff', { a, b });
      print(values.json === true, diff, () => formatDiff(diff));
      return 0;
    }
    case 'export': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { output: { type: 'string', short: 'o' }, json: { type: 'boolean' } },
      });
      if (positionals.length === 0 || values.output === undefined)
        throw new UsageError('usage: tessera run export ID... --output FILE.tar.gz');
      const result = await client.call('run.export', { ids: positionals, path: path.resolve(values.output) });
      print(values.json === true, result, () => `wrote ${result.path} (${result.bytes} bytes)\n`);
      return 0;
    }
    case 'matrix': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          plan: { type: 'string' },
          vary: { type: 'string', multiple: true },
          label: { type: 'string' },
          json: { type: 'boolean' },
        },
      });
      const [vm] = positionals;
      const usage =
        'usage: tessera run matrix VM --plan PLAN --vary AXIS=V1,V2 [--vary ...] [--label TEXT] [--json]';
      if (!vm || positionals.length > 1 || values.plan === undefined) throw new UsageError(usage);
      if (!values.vary?.length)
        throw new UsageError(`${usage}\ngive at least one --vary (axes: ${MATRIX_AXES.join(', ')})`);
      const vary = values.vary.map((v) => {
        try {
          return parseVary(v);
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
      });
      const { id } = await client.call('run.matrixStart', {
        vm,
        plan: { path: path.resolve(values.plan) },
        vary,
        label: values.label ?? null,
      });
      if (values.json !== true) process.stderr.write(`matrix ${id} started on VM '${vm}'\n`);
      const record = await client.call('run.matrixWait', { id });
      print(values.json === true, record, () => formatMatrix(record));
      return record.status === 'passed' ? 0 : 1;
    }
    case 'matrix-list': {
      const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' } } });
      const list = await client.call('run.matrixList', {});
      print(values.json === true, list, () =>
        recordList(
          'matrix',
          list.matrices.map(matrixLine),
          list.invalid,
          'run one with `tessera run matrix VM --plan PLAN --vary preset=fair,one-big`',
        ),
      );
      return 0;
    }
    case 'matrix-show': {
      const { id, json } = idArgument(rest, 'usage: tessera run matrix-show ID [--json]');
      const record = await client.call('run.matrixGet', { id });
      print(json, record, () => formatMatrix(record));
      return 0;
    }
    default:
      throw new UsageError(sub ? `unknown command 'run ${sub}'\n${RUN_USAGE}` : RUN_USAGE);
  }
}

/** `run list|show|diff` only read records. */
export function runReadsOnly(sub: string | undefined): boolean {
  return sub === 'list' || sub === 'show' || sub === 'diff' || sub === 'matrix-list' || sub === 'matrix-show';
}
