import fs from 'node:fs';
import path from 'node:path';
import { connectBackend } from '../tests/support/memory-backend';
import { killVms, makeTempHome, TINY_GUEST_DIR } from '../tests/support/temp-home';
import { buildTinyGuest, tinyVmInput } from '../tests/support/tiny-guest';
import { interleave, type Comparison } from './stats';

/** Twenty small commands a driver check would run; what they print is a few lines each. */
export const COMMANDS = [
  'uname -r',
  'uname -a',
  'cat /proc/cmdline',
  'head -3 /proc/meminfo',
  'cat /proc/version',
  'ls /sys/class',
  'ls /sys/bus/pci/devices',
  'cat /proc/cpuinfo | head -5',
  'dmesg | tail -5',
  'cat /proc/modules',
  'id',
  'hostname',
  'date -u',
  'ls /dev',
  'cat /proc/uptime',
  'mount',
  'df',
  'ls /bin | wc -l',
  'true',
  'echo done',
];

export interface RunPlanBench {
  serial: Comparison;
  agent: Comparison;
  recordBytes: number;
  recordFiles: number;
}

function dirSize(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const inner = dirSize(full);
      bytes += inner.bytes;
      files += inner.files;
    } else {
      bytes += fs.statSync(full).size;
      files++;
    }
  }
  return { bytes, files };
}

/**
 * A 20-step plan on a running tiny guest (so no boot is timed), over each transport, against the
 * same commands typed on the guest's serial shell by hand: each command line followed by an echo
 * of a marker, waiting for it before the next, nothing captured or stored. Both sides run A, B,
 * A, B in the same process on the same VM.
 */
export async function benchRunPlan(options: {
  runs: number;
  warmup: number;
  log: (line: string) => void;
}): Promise<RunPlanBench> {
  const guest = buildTinyGuest(`${TINY_GUEST_DIR}-agent`, { guestAgent: true });
  const home = makeTempHome('tessera-bench-runs-');
  const { backend, client } = await connectBackend({ paths: home.paths });
  try {
    await client.call(
      'vm.create',
      tinyVmInput(guest, 'bench', 192, {
        guestAgent: true,
        display: { kind: 'none' },
        gpu: { kind: 'none' },
      }),
    );
    await client.call('vm.start', { id: 'bench' });
    await client.call('vm.waitSerial', { id: 'bench', text: 'TESSERA-GUEST-READY', timeoutSeconds: 120 });
    const steps = COMMANDS.map((exec, i) => ({ name: `step-${i + 1}`, exec }));
    let lastRun = '';
    const run = (transport: 'serial' | 'guest-agent') => async () => {
      const started = performance.now();
      const { id } = await client.call('run.start', {
        vm: 'bench',
        plan: { source: 'bench.json', text: JSON.stringify({ version: 1, transport, steps }) },
        label: null,
      });
      const outcome = await client.call('run.wait', { id });
      const ms = performance.now() - started;
      if (outcome.status !== 'passed') throw new Error(`the bench run ${id} ${outcome.status}`);
      lastRun = id;
      return ms;
    };
    // By hand: one session on the serial console, each command typed and its prompt awaited.
    const channel = await backend.consoles.serialChannel('bench');
    let seen = '';
    let wake: (() => void) | undefined;
    channel.start({
      data: (chunk, release) => {
        seen = (seen + chunk.toString('latin1')).slice(-4096);
        release?.();
        wake?.();
      },
      drain: () => undefined,
      end: () => undefined,
    });
    let n = 0;
    const byHand = async () => {
      const started = performance.now();
      for (const command of COMMANDS) {
        const marker = `H-${++n}`;
        channel.write(Buffer.from(`${command}; echo "H""-${n}"\n`), false);
        while (!seen.includes(`${marker}\r\n`)) await new Promise<void>((r) => (wake = r));
      }
      return performance.now() - started;
    };
    options.log('  serial transport vs typed by hand');
    const serial = await interleave({
      runs: options.runs,
      warmup: options.warmup,
      a: { label: 'serial', run: run('serial') },
      b: { label: 'by hand', run: byHand },
    });
    options.log('  guest agent vs typed by hand');
    const agent = await interleave({
      runs: options.runs,
      warmup: options.warmup,
      a: { label: 'guest agent', run: run('guest-agent') },
      b: { label: 'by hand', run: byHand },
    });
    channel.close();
    const size = dirSize(path.join(home.paths.dataDir, 'runs', lastRun));
    return { serial, agent, recordBytes: size.bytes, recordFiles: size.files };
  } finally {
    killVms(home.paths);
    await backend.close();
    home.cleanup();
  }
}
