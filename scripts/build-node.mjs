// Bundles the Node entries that run without Electron: the CLI, the polkit helper, and the
// benchmark runner.
import path from 'node:path';
import { build } from 'esbuild';

/**
 * zod's `z` namespace re-exports `locales`, every language's error messages (node_modules/zod/v4/
 * classic/external.js: `export * as locales`), and esbuild keeps all of them: 366 KB of the CLI's
 * 1.28 MB, compiled by every `tessera` command although only English is ever used (zod configures
 * `en` itself; nothing here calls `z.locales` or `z.config`). A --cpu-prof of `vm list --json`
 * showed compiling the bundle as its largest single cost. This keeps `z.locales.en` alone.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(builder) {
    builder.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${path.sep}node_modules${path.sep}zod${path.sep}`)
        ? { path: path.resolve(path.dirname(args.importer), '../locales/en.js'), namespace: 'zod-en' }
        : undefined,
    );
    builder.onLoad({ filter: /.*/, namespace: 'zod-en' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: path.dirname(args.path),
    }));
  },
};

const options = {
  outdir: 'out',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
};

// The CLI carries its dependencies inside: one file parses in half the time of resolving zod and ws
// from node_modules module by module, and every `tessera` command pays that at start-up.
// Native addons (and ws's optional native helpers) stay outside; `require` serves them.
// Split: what a command loads with `import()` (the server, export formats, YAML plans) is a chunk
// of its own that other commands never compile.
await build({
  ...options,
  splitting: true,
  minifyWhitespace: true,
  minifySyntax: true,
  chunkNames: 'cli/chunk-[hash]',
  entryPoints: { 'cli/index': 'src/main/cli/index.ts' },
  external: ['node-pty', 'bufferutil', 'utf-8-validate'],
  plugins: [zodEnglishOnly],
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});
// The helper runs as root under the system's Node (build/tessera-helper): one self-contained file
// with zod inside, no node_modules, no source map beside it in /usr/lib/tessera.
await build({
  ...options,
  sourcemap: false,
  // Parsing is most of its start-up: minified, it starts in half the time.
  minify: true,
  entryPoints: { 'helper/index': 'src/helper/index.ts' },
});
// The helper for simulated hosts, run as the user: the root helper above must not carry the
// simulated kernel (tests/integration/helper-bundle.test.ts), so it is its own file.
await build({
  ...options,
  sourcemap: false,
  minify: true,
  entryPoints: { 'helper/simulated': 'src/simulation/helper-entry.ts' },
});
// Developer tools in a separate build, so a broken benchmark can never keep the CLI from being built.
await build({
  ...options,
  packages: 'external',
  entryPoints: {
    'bench/run': 'bench/run.ts',
    'bench/vnc-replay-server': 'bench/vnc-replay-server.ts',
    'tools/tiny-guest': 'scripts/tiny-guest.ts',
  },
});
