// Layering (docs/layering.md): who may import whom is enforced here, per layer and per domain.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

import fs from 'node:fs';
import allowedImports from './eslint-rules/allowed-imports.js';

// Packages each layer may use, by name as imported.
const node = ['node:**'];
const test = ['vitest', 'fast-check', 'ajv', 'eslint', 'tests/support/**'];
const mainPackages = ['zod', 'ws', 'yaml', '@xmldom/xmldom', 'node-pty', ...node];
const rendererPackages = [
  'react',
  'react-dom/**',
  'zustand',
  'zod',
  '@novnc/novnc/**',
  '@xterm/xterm/**',
  '@spice-project/spice-html5/**',
];

// Folders of src/main that are not domains: layers of their own and the shared utilities.
const mainLayers = ['app', 'cli', 'rpc', 'server'];
const utilities = ['src/main/fsutil/**', 'src/main/paths'];
// Every other folder of src/main is a domain; its index.ts is all that others may import of it.
const domains = fs
  .readdirSync(new URL('./src/main', import.meta.url), { withFileTypes: true })
  .filter(
    (e) => e.isDirectory() && !mainLayers.includes(e.name) && !utilities.includes(`src/main/${e.name}/**`),
  )
  .map((e) => e.name);
const domainEntries = domains.map((d) => `src/main/${d}/index`);
// Domains talk on the typed domain event bus (issue #15); the RPC forwards its events to the fronts.
const domainEventBus = 'src/main/events';

/** The layers of docs/layering.md, most specific first: a file belongs to the first that matches. */
const layers = [
  // Unit tests beside the code, and the fixtures they share, may also reach into the files of
  // other domains and tests/support.
  {
    name: 'a backend unit test',
    files: ['src/main/**/*.test.ts', 'src/main/**/*-fixtures.ts'],
    allow: ['src/main/**', 'src/shared/**', 'src/simulation/**', ...mainPackages, ...test],
    why: 'backend tests never import electron, the renderer, preload or the root helper',
  },
  {
    name: 'shared/',
    files: ['src/shared/**'],
    allow: ['src/shared/**', 'zod', ...test],
    why: 'shared/ imports zod only: no node, DOM or electron',
  },
  {
    name: 'preload',
    files: ['src/preload/**'],
    allow: ['src/preload/**', 'src/shared/**', 'electron'],
    why: 'preload uses only the contract names and electron',
  },
  {
    name: 'the renderer',
    files: ['src/renderer/**'],
    allow: ['src/renderer/**', 'src/shared/**', ...rendererPackages, ...test],
    why: 'the renderer sees only shared/ and the DOM',
  },
  {
    name: 'the helper',
    files: ['src/helper/**'],
    allow: ['src/helper/**', 'src/shared/**', ...node, ...test],
    why: 'the helper imports only shared/ and node: what runs as root has no simulated kernel in it',
  },
  {
    // The simulated kernel and the simulated-host helper: the helper's code plus the kernel's
    // reactions, used by the backend's tree builder, the tests and out/helper/simulated.js.
    name: 'the simulation',
    files: ['src/simulation/**'],
    allow: ['src/simulation/**', 'src/helper/**', 'src/shared/**', ...node, ...test],
    why: 'the simulation imports only the helper, shared/ and node',
  },
  {
    name: 'main/app',
    files: ['src/main/app/**'],
    allow: ['src/main/app/**', 'src/main/server/**', 'src/main/rpc/**', 'src/shared/**', 'electron', ...node],
    why: 'the Electron app reaches the backend through the server links and the RPC',
  },
  {
    name: 'the CLI',
    files: ['src/main/cli/**'],
    allow: [
      'src/main/cli/**',
      'src/main/*',
      'src/main/server/**',
      'src/main/rpc/**',
      ...domainEntries,
      ...utilities,
      'src/shared/**',
      ...mainPackages,
    ],
    why: 'the CLI uses the backend, its links and the domains’ entries',
  },
  {
    name: 'main/server',
    files: ['src/main/server/**'],
    allow: [
      'src/main/server/**',
      'src/main/backend',
      'src/main/rpc/**',
      ...domainEntries,
      ...utilities,
      'src/shared/**',
      ...mainPackages,
    ],
    why: 'the web front uses the backend, the RPC and the domains’ entries',
  },
  {
    name: 'main/rpc',
    files: ['src/main/rpc/**'],
    allow: ['src/main/rpc/**', 'src/shared/**', ...node],
    why: 'the RPC knows only the contract',
  },
  // One layer per domain: its own files, shared/, the utilities and the other domains' entries.
  ...domains.map((d) => ({
    name: `the ${d} domain`,
    files: [`src/main/${d}/**`],
    allow: [
      `src/main/${d}/**`,
      ...domainEntries,
      ...utilities,
      domainEventBus,
      'src/shared/**',
      // gpu/simulation builds simulated hosts from the simulated kernel.
      ...(d === 'gpu' ? ['src/simulation/**'] : []),
      ...mainPackages,
    ],
    why: `another domain is reached only through its index.ts`,
  })),
  {
    // The composition root (backend.ts) and its options.
    name: 'the backend root',
    files: ['src/main/*'],
    allow: [
      'src/main/*',
      'src/main/rpc/**',
      ...domainEntries,
      ...utilities,
      'src/shared/**',
      ...mainPackages,
    ],
    why: 'the composition root builds the backend from the domains’ entries',
  },
];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', '.cache/**', 'test-results/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.{ts,tsx}'],
    plugins: { local: { rules: { 'allowed-imports': allowedImports } } },
    rules: { 'local/allowed-imports': ['error', layers] },
  },
  {
    // One validated IPC entry (src/main/rpc/validated-ipc.ts): only ipc-main.ts touches ipcMain.
    files: ['src/main/app/**/*.ts'],
    ignores: ['src/main/app/ipc-main.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              importNames: ['ipcMain'],
              message:
                'register IPC through validatedIpcMain (src/main/app/ipc-main.ts), which checks the sender',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // The renderer's lower layers serve every feature, so they never reach up into one. Its own
    // rule name (typescript-eslint's copy of no-restricted-imports), so the renderer block's list
    // above still applies to these files instead of being replaced by this one.
    files: ['src/renderer/src/components/**/*.{ts,tsx}', 'src/renderer/src/stores/**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/features/**'],
              message: 'components/ and stores/ serve every feature: move the shared part down here instead',
            },
          ],
        },
      ],
    },
  },
);
