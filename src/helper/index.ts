/**
 * tessera-helper: the only part of Tessera that runs as root, started by pkexec through the polkit
 * action org.tessera.helper (build/polkit). It reads one plan as JSON on stdin, checks all of it,
 * applies it to sysfs, and prints one JSON result on stdout; the exit status is 0 only when the
 * whole plan was applied. It runs no other program.
 */
import { MAX_PLAN_BYTES, runPlan } from './run-plan';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    // More than a plan can be is refused by runPlan; stop reading well before memory matters.
    if (size > MAX_PLAN_BYTES + 1) break;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const input = await readStdin();
const result = runPlan(input, { env: process.env, uid: process.getuid?.() ?? 0 });
process.stdout.write(JSON.stringify(result) + '\n');
process.exitCode = result.ok ? 0 : 1;
