// The stress check (issue 9): the integration and e2e levels several times in a row while
// stress-ng keeps both cores busy, so a race that only shows under load shows here, before CI.
// Not part of `npm test`. Usage: npm run stress [-- ROUNDS]   (needs the Debian package stress-ng)
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const rounds = Number(process.argv[2] ?? 3);
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error('stress: the number of rounds must be a whole number of at least 1');
  process.exit(2);
}
if (spawnSync('stress-ng', ['--version'], { stdio: 'ignore' }).error) {
  console.error('stress: stress-ng is not installed: install the Debian package stress-ng');
  process.exit(2);
}

const cpus = os.availableParallelism();
const load = spawn('stress-ng', ['--cpu', String(cpus), '--quiet'], { stdio: 'ignore' });
const stopLoad = () => load.exitCode === null && load.kill('SIGTERM');
process.on('exit', stopLoad);
process.on('SIGINT', () => process.exit(130));

const results = [];
for (let round = 1; round <= rounds; round++) {
  const started = Date.now();
  const out = [];
  const code = await new Promise((resolve) => {
    const run = spawn('npx', ['vitest', 'run', '--project', 'integration', '--project', 'e2e'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    run.stdout.on('data', (chunk) => {
      out.push(chunk);
      process.stdout.write(chunk);
    });
    run.on('exit', (c) => resolve(c ?? 1));
  });
  const summary = /tests: (\d+) passed, (\d+) failed, (\d+) skipped/.exec(Buffer.concat(out).toString());
  results.push({
    round,
    exitCode: code,
    passed: Number(summary?.[1] ?? 0),
    failed: summary ? Number(summary[2]) : 1,
    skipped: Number(summary?.[3] ?? 0),
    seconds: Math.round((Date.now() - started) / 1000),
  });
}
stopLoad();

const lines = [
  `# Stress check: integration + e2e, ${rounds} rounds, stress-ng --cpu ${cpus}`,
  '',
  `${new Date().toISOString()}, ${os.cpus().length} cores`,
  '',
  '| round | passed | failed | skipped | exit | seconds |',
  '| --- | --- | --- | --- | --- | --- |',
  ...results.map(
    (r) => `| ${r.round} | ${r.passed} | ${r.failed} | ${r.skipped} | ${r.exitCode} | ${r.seconds} |`,
  ),
];
const file = path.join('bench', 'results', 'stress-check.md');
fs.writeFileSync(file, lines.join('\n') + '\n');
console.log(`\n${lines.join('\n')}\n\nwritten to ${file}`);
process.exit(results.every((r) => r.exitCode === 0 && r.failed === 0) ? 0 : 1);
