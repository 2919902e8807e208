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
    // More than a plan can be is refused by runPlan; stop reading well before memory matters, but
    // keep the byte past the limit, so runPlan sees a plan too large rather than one cut short.
    chunks.push(buffer.subarray(0, MAX_PLAN_BYTES + 1 - size));
    size += buffer.length;
    if (size > MAX_PLAN_BYTES) break;
  }
  return Buffer.concat(chunks).toString('utf8');
}

const input = await readStdin();
const result = runPlan(input, { env: process.env, uid: process.getuid?.() ?? 0 });
process.stdout.write(JSON.stringify(result) + '\n');
process.exitCode = result.ok ? 0 : 1;
