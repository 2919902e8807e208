// A script export's TESSERA_KERNEL_WRITER for a simulated host (src/main/export/script-export.ts):
// the value on stdin is written to the path in argv through Tessera's simulated kernel, which
// reacts as Linux does (driver binding, /dev/vfio nodes, vGPUs); a refused write exits 1 with the
// errno, as the shell's redirection would fail.
import fs from 'node:fs';
import { createSimulatedKernel } from '../../src/simulation/kernel';

const [target] = process.argv.slice(2);
const root = process.env['TESSERA_HOST_ROOT'];
if (target === undefined || root === undefined) {
  process.stderr.write('usage: TESSERA_HOST_ROOT=DIR sim-kernel-writer PATH < VALUE\n');
  process.exit(2);
}
try {
  createSimulatedKernel(root).write(target, fs.readFileSync(0, 'latin1'));
} catch (error) {
  const e = error as NodeJS.ErrnoException;
  process.stderr.write(`${target}: ${e.code ?? ''} ${e.message}\n`);
  process.exit(1);
}
