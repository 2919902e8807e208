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
      [...nodeBuiltins, 'electron', 'react', '**/main/**', '**/renderer/**', '**/helper/**', '**/preload/**'],
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
              // The simulated kernel lives with the helper, which runs it on simulated hosts; the
              // tree builder shares its shapes of PCI devices. The rest of the helper is not the backend's.
              regex: '(^|/)helper/(?!simulated-kernel/)',
              message: 'the backend runs the helper as a program; it imports only its simulated kernel',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/preload/**/*.ts'],
    rules: restrict(
      [...nodeBuiltins, '**/main/**', '**/renderer/**', '**/helper/**'],
      'preload uses only the contract names and electron',
    ),
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: restrict(
      [...nodeBuiltins, 'electron', '**/main/**', '**/helper/**', '**/preload/**'],
      'the renderer sees only shared/ and the DOM',
    ),
  },
  {
    files: ['src/helper/**/*.ts'],
    rules: restrict(
      ['electron', '**/main/**', '**/renderer/**', '**/preload/**'],
      'the helper imports only shared/ and node',
    ),
  },
);
