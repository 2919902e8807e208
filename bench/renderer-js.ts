import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export interface RendererJs {
  /** The files a first page load fetches before the gallery can render, relative to out/renderer. */
  files: string[];
  rawKB: number;
  gzipKB: number;
  /** Chunks only a dynamic `import()` loads (consoles, wall, editor, host and GPU pages): reported, not counted. */
  lazyKB: number;
}

const KB = 1000;
// What Vite's output uses: `src="./assets/x.js"` and modulepreload links in index.html, and
// static `import ... from"./x.js"` / `import"./x.js"` between chunks (minified or not).
const HTML_SCRIPT = /<script[^>]*\bsrc="([^"]+\.js)"|<link[^>]*rel="modulepreload"[^>]*href="([^"]+\.js)"/g;
const STATIC_IMPORT = /(?:\bfrom\s*|\bimport\s*)["'](\.\/[^"']+\.js)["']/g;

/**
 * The renderer's initial JavaScript as a browser loads it: the entry script of the built
 * index.html and every chunk it imports statically, gzipped as `tessera serve` would send it
 * over a network. A size, not a timing: it is the same on every machine, so no baseline is run.
 */
export function measureRendererJs(rendererDir: string): RendererJs {
  const htmlPath = path.join(rendererDir, 'index.html');
  if (!fs.existsSync(htmlPath)) {
    throw new Error(`${htmlPath} is missing: run \`npm run build\` first (the bench builds only the CLI)`);
  }
  const html = fs.readFileSync(htmlPath, 'utf8');
  const pending = [...html.matchAll(HTML_SCRIPT)].map((m) => path.join(rendererDir, m[1] ?? m[2] ?? ''));
  const seen = new Set<string>();
  while (pending.length > 0) {
    const file = pending.pop() ?? '';
    if (seen.has(file)) continue;
    seen.add(file);
    const source = fs.readFileSync(file, 'utf8');
    for (const m of source.matchAll(STATIC_IMPORT)) pending.push(path.join(path.dirname(file), m[1] ?? ''));
  }
  if (seen.size === 0) throw new Error(`${htmlPath} loads no script`);
  let raw = 0;
  let gzip = 0;
  for (const file of seen) {
    const bytes = fs.readFileSync(file);
    raw += bytes.length;
    gzip += gzipSync(bytes).length;
  }
  const assets = path.join(rendererDir, 'assets');
  const lazy = fs
    .readdirSync(assets)
    .map((name) => path.join(assets, name))
    .filter((file) => file.endsWith('.js') && !seen.has(file))
    .reduce((sum, file) => sum + fs.statSync(file).size, 0);
  return {
    files: [...seen].map((file) => path.relative(rendererDir, file)).sort(),
    rawKB: Math.round(raw / KB),
    gzipKB: Math.round(gzip / 100) / 10,
    lazyKB: Math.round(lazy / KB),
  };
}
