import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import { CONTENT_SECURITY_POLICY_META } from './src/main/server/csp';

/**
 * Write the CSP into the built index.html, so the page is covered under app:// and under plain
 * http from `tessera serve` alike. Build only: the dev server injects inline scripts.
 */
function contentSecurityPolicyMeta(): Plugin {
  return {
    name: 'tessera:csp-meta',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY_META },
        injectTo: 'head-prepend',
      },
    ],
  };
}

// Paths are relative to the project root (electron-vite's cwd); outputs keep its defaults:
// out/main, out/preload, out/renderer.
export default defineConfig({
  main: {
    build: {
      lib: {
        // The Electron shell lives in src/main/app; the rest of src/main is the Electron-free backend.
        entry: { index: 'src/main/app/index.ts' },
        formats: ['es'],
        fileName: () => 'index.js',
      },
    },
  },
  preload: {
    build: {
      lib: {
        entry: { index: 'src/preload/index.ts' },
        // Sandboxed preloads run as CommonJS only, and package.json says "type": "module",
        // so the .cjs extension is what makes Electron read it as CommonJS.
        formats: ['cjs'],
        fileName: () => 'index.cjs',
      },
    },
  },
  renderer: {
    // electron-vite builds with base './', so assets resolve under app://tessera/ and under http at /.
    root: 'src/renderer',
    plugins: [react(), contentSecurityPolicyMeta()],
    // electron-vite turns minification off by default (its renderer defaults set `minify: false`);
    // the page is also served over the network by `tessera serve`, where the initial bundle's size
    // is what the gallery waits for (issue 15: 1.03 MB raw, 199.5 KB gzipped, unminified).
    build: { minify: 'esbuild' },
  },
});
