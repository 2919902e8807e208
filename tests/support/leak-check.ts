// Set up for every integration and e2e test file (vitest.config.ts): when a file has finished, no
// process it started may still run. A QEMU, swtpm, browser or backend left behind keeps eating
// one of the machine's two cores and slows the next files into timeouts, and a backend left
// behind writes into the next test's directories (issue 9).
import fs from 'node:fs';
import { afterAll } from 'vitest';
import { testRoots } from './test-roots';

interface Proc {
  pid: number;
  ppid: number;
  zombie: boolean;
  cmdline: string;
}

function processes(): Proc[] {
  return fs.readdirSync('/proc').flatMap((name) => {
    if (!/^\d+$/.test(name)) return [];
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name in parentheses may hold spaces: the fields after its last ')' are fixed.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      return [{ pid: Number(name), ppid: Number(fields[1]), zombie: fields[0] === 'Z', cmdline }];
    } catch {
      return []; // gone meanwhile
    }
  });
}

/** Live processes that descend from this worker or name one of its test roots. */
function leftBehind(): Proc[] {
  const all = processes();
  const byPid = new Map(all.map((p) => [p.pid, p]));
  const descends = (p: Proc): boolean => {
    for (
      let parent = byPid.get(p.ppid), hops = 0;
      parent && hops < 64;
      parent = byPid.get(parent.ppid), hops++
    )
      if (parent.pid === process.pid) return true;
    return false;
  };
  const roots = [...testRoots];
  return all.filter(
    (p) =>
      p.pid !== process.pid && !p.zombie && (descends(p) || roots.some((root) => p.cmdline.includes(root))),
  );
}

afterAll(async () => {
  // Processes killed by the file's own clean-up may take a moment to go.
  let left = leftBehind();
  for (let i = 0; i < 100 && left.length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    left = leftBehind();
  }
  testRoots.clear();
  if (left.length === 0) return;
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  throw new Error(
    `this test file left processes running (now killed): ${left.map((p) => `${p.pid} ${p.cmdline.slice(0, 120)}`).join('; ')}`,
  );
}, 15_000);
