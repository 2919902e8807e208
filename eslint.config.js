// Layering from DESIGN.md: who may import whom is enforced here, per folder.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const nodeBuiltins = [
  'node:*',
  'fs',
  'fs/*',
  'path',
  'os',
  'child_process',
  'net',
  'http',
  'crypto',
  'stream',
  'events',
  'url',
  'util',
];
const restrict = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
});

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
    files: ['src/shared/**/*.ts'],
    rules: restrict(
      [
        ...nodeBuiltins,
        'electron',
        'react',
        '**/main/**',
        '**/renderer/**',
        '**/helper/**',
        '**/simulation/**',
        '**/preload/**',
      ],
      'shared/ imports zod only: no node, DOM or electron',
    ),
  },
  {
    files: ['src/main/**/*.ts'],
    ignores: ['src/main/app/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['electron', '**/renderer/**', '**/preload/**', '**/main/app/**'],
              message: 'only src/main/app may import electron; the backend never does',
            },
            {
              // The backend runs the helper as a program; the tree builder shares the simulated
              // kernel's shapes of PCI devices from src/simulation instead.
              regex: '(^|/)helper/',
              message: 'the backend runs the helper as a program; it never imports it',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/preload/**/*.ts'],
    rules: restrict(
      [...nodeBuiltins, '**/main/**', '**/renderer/**', '**/helper/**', '**/simulation/**'],
      'preload uses only the contract names and electron',
    ),
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: restrict(
      [...nodeBuiltins, 'electron', '**/main/**', '**/helper/**', '**/simulation/**', '**/preload/**'],
      'the renderer sees only shared/ and the DOM',
    ),
  },
  {
    files: ['src/helper/**/*.ts'],
    rules: restrict(
      ['electron', '**/main/**', '**/renderer/**', '**/preload/**', '**/simulation/**'],
      'the helper imports only shared/ and node: what runs as root has no simulated kernel in it',
    ),
  },
  {
    // The simulated kernel and the simulated-host helper: the helper's code plus the kernel's
    // reactions, used by the backend's tree builder, the tests and out/helper/simulated.js.
    files: ['src/simulation/**/*.ts'],
    rules: restrict(
      ['electron', '**/main/**', '**/renderer/**', '**/preload/**'],
      'the simulation imports only the helper, shared/ and node',
    ),
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
