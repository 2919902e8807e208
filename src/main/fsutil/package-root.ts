import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding Tessera's package.json, found from wherever this code was bundled to. */
export function packageRoot(from: string = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'tessera') return dir;
    } catch {
      // keep climbing
    }
    if (path.dirname(dir) === dir) throw new Error(`cannot find Tessera's package.json above ${from}`);
  }
}

export function rendererDir(): string {
  return path.join(packageRoot(), 'out', 'renderer');
}
