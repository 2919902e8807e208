import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { stopProcess, TESSERA_BIN } from './cli-process';

/**
 * Waits until a run of VM `vm` has its first step in its record (`$XDG_DATA_HOME/tessera/runs/<id>/run.json`),
 * polling the files the way a user would look; throws after about two minutes.
 */
export async function waitForFirstStep(dataDir: string, vm: string): Promise<void> {
  const runsDir = path.join(dataDir, 'runs');
  for (let i = 0; ; i++) {
    const ids = fs.existsSync(runsDir) ? fs.readdirSync(runsDir) : [];
    const started = ids.some((id) => {
      try {
        const record = JSON.parse(fs.readFileSync(path.join(runsDir, id, 'run.json'), 'utf8')) as {
          vm: string;
          steps: unknown[];
        };
        return record.vm === vm && record.steps.length > 0;
      } catch {
        return false; // not a run, or not written yet
      }
    });
    if (started) return;
    if (i > 1200) throw new Error(`no run of '${vm}' finished its first step`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs `tessera ARGS` (its own backend) and kills it with SIGKILL once VM `vm`'s run has its first step. */
export async function killAtFirstStep(
  args: string[],
  env: NodeJS.ProcessEnv,
  dataDir: string,
  vm: string,
): Promise<void> {
  const child = spawn(process.execPath, [TESSERA_BIN, ...args], { env, stdio: 'ignore' });
  try {
    await waitForFirstStep(dataDir, vm);
  } finally {
    await stopProcess(child, 'SIGKILL');
  }
}
