// Builds the app (main, preload, renderer) with electron-vite. Electron is an optional dependency:
// where its binary cannot be downloaded, `npm install` drops it and goes on, because `tessera serve`
// and the CLI do not need it. electron-vite still wants Electron's major version to pick the Node
// target (it reads electron/package.json), so without the package it is given the one package.json asks for.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const env = { ...process.env };
try {
  require.resolve('electron/package.json');
} catch {
  const wanted = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
    .optionalDependencies.electron;
  env.ELECTRON_MAJOR_VER = /(\d+)/.exec(wanted)[1];
}
const cli = new URL('../node_modules/electron-vite/bin/electron-vite.js', import.meta.url).pathname;
const result = spawnSync(process.execPath, [cli, 'build'], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
