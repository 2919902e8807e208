/**
 * One run of a helper program: read one plan as JSON on stdin, print one JSON result on stdout; the
 * exit status is 0 only when the whole plan was applied. Shared by the root helper (index.ts) and
 * the simulated-host helper (src/simulation/helper-entry.ts), which differ only in how they write.
 */
import type { HelperResult } from '../shared/helper-plan';
import { MAX_PLAN_BYTES, type HelperEnvironment } from './run-plan';

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

export async function servePlan(
  run: (input: string, environment: HelperEnvironment) => HelperResult,
): Promise<void> {
  const input = await readStdin();
  const result = run(input, { env: process.env, uid: process.getuid?.() ?? 0 });
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exitCode = result.ok ? 0 : 1;
}
