// Bundles the Node entries that run without Electron: the CLI (and later the polkit helper),
// and the benchmark runner. Dependencies stay external so node-pty and ws load from node_modules.
import { build } from 'esbuild';

const options = {
  outdir: 'out',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
};

await build({ ...options, entryPoints: { 'cli/index': 'src/main/cli/index.ts' } });
// A separate build so a broken benchmark can never keep the CLI from being built.
await build({ ...options, entryPoints: { 'bench/run': 'bench/run.ts' } });
