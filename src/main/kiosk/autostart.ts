/**
 * `tessera kiosk autostart on|off`: a systemd user unit that starts the kiosk when the user's
 * graphical session starts (systemd.special(7) graphical-session.target), written and removed
 * here. Enabling is what `systemctl --user enable` does, a link in the target's `.wants/`
 * (systemctl(1)), made here so nothing but the user's own files is touched. The session must
 * import DISPLAY into the user manager (resources/kiosk/openbox-autostart does).
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { KioskAutostart } from '../../shared/kiosk';
import { writeFileAtomic } from '../fsutil/atomic-write';

export const KIOSK_UNIT = 'tessera-kiosk.service';
const TARGET = 'graphical-session.target';

export interface AutostartOptions {
  env: NodeJS.ProcessEnv;
  /** The command that runs the kiosk in the foreground: `node …/bin/tessera.js kiosk start`. */
  command: string[];
}

/** `$XDG_CONFIG_HOME/systemd/user`, where systemd looks for the user's own units. */
export function userUnitDir(env: NodeJS.ProcessEnv): string {
  return path.join(env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config'), 'systemd', 'user');
}

/** systemd.syntax(7): a word with spaces, quotes or backslashes is quoted, `%` doubled (specifiers). */
function execWord(word: string): string {
  const escaped = word.replace(/%/g, '%%');
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped) ? escaped : `"${escaped.replace(/(["\\])/g, '\\$1')}"`;
}

export function kioskUnit(command: string[]): string {
  return [
    '[Unit]',
    "Description=Tessera kiosk: each assigned VM full-screen on this host's monitors",
    `PartOf=${TARGET}`,
    `After=${TARGET}`,
    '',
    '[Service]',
    `ExecStart=${command.map(execWord).join(' ')}`,
    // The kiosk owns the backend; if it dies, systemd brings it back (it re-attaches to the VMs).
    'Restart=on-failure',
    'RestartSec=3',
    '',
    '[Install]',
    `WantedBy=${TARGET}`,
    '',
  ].join('\n');
}

export async function writeAutostart(enabled: boolean, options: AutostartOptions): Promise<KioskAutostart> {
  const dir = userUnitDir(options.env);
  const unitFile = path.join(dir, KIOSK_UNIT);
  const wants = path.join(dir, `${TARGET}.wants`, KIOSK_UNIT);
  if (enabled) {
    await fsp.mkdir(path.dirname(wants), { recursive: true });
    await writeFileAtomic(unitFile, kioskUnit(options.command), 0o644);
    await fsp.rm(wants, { force: true });
    await fsp.symlink(unitFile, wants);
    return {
      enabled,
      unitFile,
      next: `written and enabled: it starts at the next login to a graphical session (now: systemctl --user daemon-reload && systemctl --user start ${KIOSK_UNIT})`,
    };
  }
  await fsp.rm(wants, { force: true });
  await fsp.rm(unitFile, { force: true });
  return {
    enabled,
    unitFile,
    next: `removed: the kiosk no longer starts at login (systemctl --user daemon-reload makes systemd forget it now)`,
  };
}
