#!/usr/bin/env node
// The CLI is bundled to out/cli by `npm run build` (run by `npm install` through `prepare`).
import { main } from '../out/cli/index.js';

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Output is flushed by now; a stray handle (a QEMU socket closing slowly) must not hold the shell.
setTimeout(() => process.exit(code), 1000).unref();
