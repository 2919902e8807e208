// Bundles the Node entries that run without Electron: the CLI (and later the polkit helper).
// Dependencies stay external so node-pty and ws load from node_modules.
import { build } from 'esbuild';

await build({
  entryPoints: { 'cli/index': 'src/main/cli/index.ts' },
  outdir: 'out',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
