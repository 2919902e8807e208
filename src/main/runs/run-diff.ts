import type { ProbeName } from '../../shared/run-plan';
import { runSummary, type HostSnapshot, type RunDiff, type RunRecord } from '../../shared/run-record';
import { comparableLines } from './probes';

type Category = RunDiff['setup'][number]['category'];
type Facts = Map<string, { category: Category; value: string }>;

const factText = (fact: { value: string } | { unreadable: string }) =>
  'value' in fact ? fact.value : `unreadable (${fact.unreadable})`;

const ucText = (uc: HostSnapshot['gpus'][number]['guc']) =>
  uc.state === 'known'
    ? [
        uc.status,
        uc.firmware,
        uc.foundVersion && `found ${uc.foundVersion}`,
        uc.wantedVersion && `wanted ${uc.wantedVersion}`,
      ]
        .filter(Boolean)
        .join(', ')
    : `unknown (${uc.reason})`;

/** Leaves of a JSON value as `a.b[0].c` → text, for the VM definition. */
function flatten(prefix: string, value: unknown, out: Map<string, string>): void {
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value)
      ? value.map((v, i) => [`[${i}]`, v] as const)
      : Object.entries(value);
    if (entries.length === 0) out.set(prefix, Array.isArray(value) ? '[]' : '{}');
    for (const [key, child] of entries)
      flatten(key.startsWith('[') ? `${prefix}${key}` : prefix ? `${prefix}.${key}` : key, child, out);
  } else out.set(prefix, String(value));
}

/** Everything the diff compares about a run's setup, each under its category. */
function setupFacts(snapshot: HostSnapshot | null, matrix: RunRecord['matrix']): Facts {
  const facts: Facts = new Map();
  if (!snapshot) return facts;
  const put = (category: Category, key: string, value: string) => facts.set(key, { category, value });
  // A matrix cell's values say what its setup was asked for; the facts below say what it got.
  if (matrix?.values.preset !== undefined) put('provisioning', 'matrix preset', matrix.values.preset);
  if (matrix?.values.image !== undefined) put('vm', 'matrix image', matrix.values.image);
  put(
    'host',
    'host',
    snapshot.host.simulated ? `simulated ${snapshot.host.simulated.name}` : snapshot.host.root,
  );
  put('host', 'kernel release', factText(snapshot.kernelRelease));
  put('host', 'kernel command line', factText(snapshot.kernelCmdline));
  put('host', 'per-VF engine activity', snapshot.engineActivity.detail);
  for (const gpu of snapshot.gpus) {
    put('firmware', `${gpu.address} GuC`, ucText(gpu.guc));
    put('firmware', `${gpu.address} HuC`, ucText(gpu.huc));
    put('driver', `${gpu.address} driver`, gpu.driver ?? 'none');
    put('driver', `${gpu.address} module version`, factText(gpu.moduleVersion));
  }
  const lease = snapshot.lease;
  put(
    'provisioning',
    'GPU slice',
    lease ? `${lease.kind} ${lease.device}${lease.simulated ? ' (simulated)' : ''}` : 'none',
  );
  for (const [group, values] of Object.entries(lease?.provisioning ?? {}))
    for (const [key, value] of Object.entries(values)) put('provisioning', `${group}/${key}`, String(value));
  put('qemu', 'QEMU version', factText(snapshot.qemu.version));
  put('qemu', 'QEMU binary', snapshot.qemu.binary);
  const vm = new Map<string, string>();
  // The uuid and creation time name the definition, not what it asks of the host.
  flatten('', snapshot.vm, vm);
  vm.delete('uuid');
  vm.delete('createdAt');
  for (const [key, value] of vm) put('vm', `vm ${key}`, value);
  put('tessera', 'Tessera version', snapshot.tesseraVersion);
  return facts;
}

const ORDER: Category[] = ['host', 'firmware', 'driver', 'provisioning', 'qemu', 'vm', 'tessera'];

/** Lines only in `a` and only in `b`, each in its own order (a line twice in one counts twice). */
function lineDifference(a: string[], b: string[]): { onlyA: string[]; onlyB: string[] } {
  const count = (lines: string[]) => {
    const m = new Map<string, number>();
    for (const l of lines) m.set(l, (m.get(l) ?? 0) + 1);
    return m;
  };
  const take = (lines: string[], other: Map<string, number>) =>
    lines.filter((l) => {
      const left = other.get(l) ?? 0;
      if (left > 0) {
        other.set(l, left - 1);
        return false;
      }
      return true;
    });
  return { onlyA: take(a, count(b)), onlyB: take(b, count(a)) };
}

/** Probe outputs of a run by step name, for the diff (read by the caller from the record). */
export type ProbeOutputs = Map<string, { probe: ProbeName; stdout: string }>;

/**
 * What differs between two runs: the setup first (host, firmware, driver, provisioning, QEMU
 * line, VM definition, Tessera), then steps whose result changed, then probe output lines.
 * Times, ids and labels are not compared: they differ on every run.
 */
export function diffRuns(a: RunRecord, b: RunRecord, probesA: ProbeOutputs, probesB: ProbeOutputs): RunDiff {
  const factsA = setupFacts(a.host.start, a.matrix);
  const factsB = setupFacts(b.host.start, b.matrix);
  const setup: RunDiff['setup'] = [];
  for (const key of new Set([...factsA.keys(), ...factsB.keys()])) {
    const x = factsA.get(key);
    const y = factsB.get(key);
    if (x?.value === y?.value) continue;
    setup.push({ category: (x ?? y)?.category ?? 'host', key, a: x?.value ?? null, b: y?.value ?? null });
  }
  // The QEMU line as arguments one run has and the other has not: an added device is one entry,
  // not a shift of every argument after it.
  const argv = lineDifference(a.host.start?.qemu.argv ?? [], b.host.start?.qemu.argv ?? []);
  for (const arg of argv.onlyA) setup.push({ category: 'qemu', key: 'QEMU argument', a: arg, b: null });
  for (const arg of argv.onlyB) setup.push({ category: 'qemu', key: 'QEMU argument', a: null, b: arg });
  setup.sort((p, q) => ORDER.indexOf(p.category) - ORDER.indexOf(q.category));

  const steps: RunDiff['steps'] = [];
  const stepsB = new Map(b.steps.map((s) => [s.name, s]));
  const result = (s: RunRecord['steps'][number] | undefined) =>
    s ? { status: s.status, exitCode: s.exitCode } : null;
  for (const s of a.steps) {
    const other = stepsB.get(s.name);
    if (!other || other.status !== s.status || other.exitCode !== s.exitCode)
      steps.push({ name: s.name, a: result(s), b: result(other) });
  }
  const namesA = new Set(a.steps.map((s) => s.name));
  for (const s of b.steps) if (!namesA.has(s.name)) steps.push({ name: s.name, a: null, b: result(s) });

  const probes: RunDiff['probes'] = [];
  for (const [step, x] of probesA) {
    const y = probesB.get(step);
    if (!y) continue;
    const lines = lineDifference(comparableLines(x.probe, x.stdout), comparableLines(y.probe, y.stdout));
    if (lines.onlyA.length > 0 || lines.onlyB.length > 0) probes.push({ step, ...lines });
  }
  return { a: runSummary(a), b: runSummary(b), setup, steps, probes };
}
