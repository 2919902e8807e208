import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { TesseraError } from '../../shared/errors';
import { HelperResult, type HelperPlan } from '../../shared/helper-plan';
import { packageRoot } from '../fsutil/package-root';

/** Where the package installs the helper's launcher; the polkit action names this exact path (build/polkit). */
export const HELPER_LAUNCHER = '/usr/lib/tessera/tessera-helper';

export interface HelperClient {
  /** `pkexec` on this machine; `simulated` on any other host root, where no privilege is needed. */
  readonly how: 'pkexec' | 'simulated';
  /** Run one plan; the helper's refusals are results, not exceptions. Throws when the helper could not run. */
  run(plan: HelperPlan): Promise<HelperResult>;
}

export interface HelperClientOptions {
  /** The host root the backend reads: `/` means pkexec; anything else runs the helper unprivileged on it. */
  hostRoot: string;
  /** The bundled helper for simulated hosts (out/helper/simulated.js, src/simulation/helper-entry.ts). */
  helperScript?: string;
  launcher?: string;
  pkexec?: string;
}

// pkexec's own exit codes (pkexec(1)): 126 when the user dismissed or failed the prompt, 127 when
// polkit said no or the program could not be run.
const PKEXEC_DISMISSED = 126;
const PKEXEC_REFUSED = 127;

// What pkexec prints (src/programs/pkexec.c in polkit 122) when polkit says no, and when it would
// ask for a password but no authentication agent runs for this session (a console or SSH login
// without pkttyagent, a kiosk without a desktop): with no terminal either, pkexec 122 fails to
// start its own textual agent and says so instead.
const NO_AGENT = /no authentication agent found|error creating textual authentication agent/i;
const NOT_AUTHORISED = /not authori[sz]ed/i;

function pkexecRefusal(stderr: string): TesseraError {
  const said = stderr.trim().split('\n')[0] ?? '';
  if (NO_AGENT.test(said))
    return new TesseraError(
      'UNAVAILABLE',
      `no authentication agent is running to ask for an administrator's password, so polkit could not ask: nothing was changed (start Tessera from a desktop session, or run pkttyagent in this terminal; pkexec said: ${said})`,
    );
  if (NOT_AUTHORISED.test(said))
    return new TesseraError(
      'UNAVAILABLE',
      `polkit says this user is not authorised to change the GPU (action org.tessera.helper): nothing was changed (pkexec said: ${said})`,
    );
  return new TesseraError('UNAVAILABLE', `polkit refused to run the helper: nothing was changed (${said})`);
}

/**
 * Runs the helper with the plan on stdin, never on argv. On this machine it goes through pkexec
 * and the fixed launcher, so polkit asks once (and keeps the answer for a while, auth_admin_keep);
 * on a simulated host the same helper code runs as this user with TESSERA_HOST_ROOT, never pkexec.
 */
export function createHelperClient(options: HelperClientOptions): HelperClient {
  const simulated = path.resolve(options.hostRoot) !== '/';
  const launcher = options.launcher ?? HELPER_LAUNCHER;
  return {
    how: simulated ? 'simulated' : 'pkexec',
    run(plan) {
      // Only a simulated host runs the bundle from the package; pkexec runs the installed launcher.
      const script = simulated
        ? (options.helperScript ?? path.join(packageRoot(), 'out', 'helper', 'simulated.js'))
        : '';
      if (simulated && !fs.existsSync(script))
        throw new TesseraError('UNAVAILABLE', `the helper is not built (${script}): run npm run build`);
      if (!simulated && !fs.existsSync(launcher)) {
        throw new TesseraError(
          'UNAVAILABLE',
          `the privileged helper is not installed at ${launcher}: install Tessera's .deb package (an AppImage cannot install its polkit action)`,
        );
      }
      const [command, args, env] = simulated
        ? [process.execPath, [script], { TESSERA_HOST_ROOT: path.resolve(options.hostRoot) }]
        : [options.pkexec ?? 'pkexec', [launcher], { PATH: process.env.PATH ?? '/usr/bin:/bin' }];
      return new Promise<HelperResult>((resolve, reject) => {
        const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.once('error', (error) =>
          reject(new TesseraError('UNAVAILABLE', `could not start ${command}: ${error.message}`)),
        );
        child.once('close', (code) => {
          const last = stdout.trim().split('\n').pop() ?? '';
          let parsed: ReturnType<typeof HelperResult.safeParse> | undefined;
          try {
            parsed = HelperResult.safeParse(JSON.parse(last));
          } catch {
            parsed = undefined;
          }
          if (parsed?.success) return resolve(parsed.data);
          if (!simulated && code === PKEXEC_DISMISSED)
            return reject(
              new TesseraError('UNAVAILABLE', 'the password prompt was dismissed: nothing was changed'),
            );
          if (!simulated && code === PKEXEC_REFUSED) return reject(pkexecRefusal(stderr));
          reject(
            new TesseraError(
              'INTERNAL',
              `the helper exited with ${code} without a result${stderr.trim() ? `: ${stderr.trim().split('\n').pop()}` : ''}`,
            ),
          );
        });
        child.stdin.end(JSON.stringify(plan));
      });
    },
  };
}
