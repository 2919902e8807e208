import type { MachineInfo } from './machine';
import type { Comparison, SideStats } from './stats';

/** One benchmark's outcome. A benchmark that could not run says why and does not pass. */
export interface BenchEntry {
  id: string;
  title: string;
  /** The goal in words, e.g. "ratio ≤ 1.10". */
  goal: string;
  /** The number the goal is about (a ratio, or MiB), undefined when the benchmark failed. */
  figure?: number;
  unit: 'ratio' | 'MiB' | 'ms' | '%' | 'KB';
  pass: boolean;
  comparison?: Comparison;
  /** Extra figures that are reported but not judged. */
  details?: Record<string, number | string | string[]>;
  error?: string;
}

export interface BenchReport {
  date: string;
  machine: MachineInfo;
  settings: Record<string, number | string>;
  benchmarks: BenchEntry[];
}

const ms = (n: number): string => `${n.toFixed(0)} ms`;
const side = (s: SideStats): string => `${ms(s.medianMs)} (${s.minMs.toFixed(0)}–${s.maxMs.toFixed(0)})`;
const figure = (e: BenchEntry): string =>
  e.figure === undefined
    ? 'n/a'
    : e.unit === 'ratio'
      ? `${e.figure.toFixed(2)}×`
      : e.unit === 'ms'
        ? `${e.figure.toFixed(3)} ms`
        : e.unit === '%'
          ? `${e.figure.toFixed(2)} %`
          : e.unit === 'KB'
            ? `${e.figure.toFixed(1)} KB`
            : `${e.figure.toFixed(1)} MiB`;
const verdict = (e: BenchEntry): string => (e.error ? 'ERROR' : e.pass ? 'pass' : 'FAIL');

function rows(report: BenchReport): string[][] {
  return report.benchmarks.map((e) => [
    e.title,
    e.comparison ? side(e.comparison.a) : '',
    e.comparison ? side(e.comparison.b) : '',
    figure(e),
    e.goal,
    verdict(e),
  ]);
}

const HEADER = [
  'Benchmark',
  'Tessera, median (min–max)',
  'Baseline, median (min–max)',
  'Figure',
  'Goal',
  'Result',
];

function qemuText(m: MachineInfo): string {
  return 'error' in m.qemu ? `not found (${m.qemu.error})` : `${m.qemu.version} (${m.qemu.path})`;
}

/** The plain table for the terminal. */
export function textTable(report: BenchReport): string {
  const all = [HEADER, ...rows(report)];
  const widths = HEADER.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const m = report.machine;
  const out = [
    `${report.date}  nproc ${m.nproc}, ${m.memoryMiB} MiB, QEMU ${qemuText(m)}, accel ${m.accelerator}`,
    '',
    line(all[0] ?? []),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...all.slice(1).map(line),
  ];
  out.push('');
  // The sides' labels would make the table too wide for a terminal: they go underneath.
  for (const e of report.benchmarks) {
    if (e.comparison)
      out.push(`${e.title}: Tessera = ${e.comparison.a.label}; baseline = ${e.comparison.b.label}`);
    for (const [k, v] of Object.entries(e.details ?? {})) {
      out.push(`${e.title}: ${k}: ${Array.isArray(v) ? (v.length ? v.join(', ') : 'none') : v}`);
    }
    if (e.error) out.push(`${e.title}: ERROR ${e.error}`);
  }
  return out.join('\n') + '\n';
}

const cell = (s: string): string => s.replaceAll('|', '\\|');

/** The same results as Markdown, with every sample, for bench/results/latest.md. */
export function markdown(report: BenchReport): string {
  const m = report.machine;
  const lines = [
    '# Tessera benchmarks: latest run',
    '',
    'Written by `npm run bench` (see `bench/README.md`). Ratios compare two sides measured in the same',
    'run, interleaved A, B, A, B, so machine noise lands on both; each figure is the ratio of medians.',
    '',
    `- Date: ${report.date}`,
    `- Machine: nproc ${m.nproc}, ${m.memoryMiB} MiB memory, ${m.cpuModel}, ${m.kernel}`,
    `- QEMU: ${qemuText(m)}; accelerator ${m.accelerator}`,
    `- Node: ${m.node}`,
    `- Settings: ${Object.entries(report.settings)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    '',
    `| ${HEADER.join(' | ')} |`,
    `| ${HEADER.map(() => '---').join(' | ')} |`,
    ...rows(report).map((r) => `| ${r.map(cell).join(' | ')} |`),
    '',
  ];
  for (const e of report.benchmarks) {
    lines.push(`## ${e.title}`, '', `Goal: ${e.goal}. Result: **${verdict(e)}** (${figure(e)}).`, '');
    if (e.error) lines.push(`Error: \`${e.error}\``, '');
    if (e.comparison) {
      for (const s of [e.comparison.a, e.comparison.b]) {
        lines.push(
          `- ${s.label}: median ${ms(s.medianMs)}, min ${ms(s.minMs)}, max ${ms(s.maxMs)}; samples ${s.samplesMs.map((x) => x.toFixed(0)).join(', ')} ms`,
        );
      }
    }
    for (const [k, v] of Object.entries(e.details ?? {})) {
      lines.push(`- ${k}: ${Array.isArray(v) ? (v.length ? v.join(', ') : 'none') : v}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
