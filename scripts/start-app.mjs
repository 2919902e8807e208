// `npm start`: the desktop app. Where Electron's binary is missing (its download failed or was
// skipped at install) or cannot run (as root, Chromium refuses to start without its sandbox), say in
// one line what is missing and how to get it, instead of Electron's stack trace.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const serve = 'or use the same UI in a browser with `npx tessera serve`';

function fail(message) {
  process.stderr.write(`npm start: ${message}\n`);
  process.exit(1);
}

if (process.getuid?.() === 0) {
  fail(`Electron does not run as root: run \`npm start\` as your own user, ${serve}.`);
}
let binary;
try {
  require.resolve('electron/package.json');
} catch {
  fail(
    `Electron is not installed (npm install drops it when its binary cannot be downloaded): run \`npm install\` again where it can be, ${serve}.`,
  );
}
try {
  // electron/index.js throws when its binary was never downloaded.
  binary = require('electron');
} catch {
  fail(
    `Electron's binary is missing (its download failed or was skipped during npm install): run \`node node_modules/electron/install.js\` where it can be downloaded, ${serve}.`,
  );
}
if (typeof binary !== 'string' || !fs.existsSync(binary)) {
  fail(
    `Electron's binary is not at ${String(binary)}: run \`node node_modules/electron/install.js\`, ${serve}.`,
  );
}
const result = spawnSync(binary, ['.'], { stdio: 'inherit' });
process.exit(result.status ?? 1);
