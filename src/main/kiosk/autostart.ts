/**
 * `tessera kiosk autostart on|off`: the kiosk starts when the user's graphical session does, by
 * whichever of two ways the session has, both written and removed here (the user's own files only):
 * - a systemd user unit wanted by graphical-session.target (systemd.special(7)), which desktops run
 *   by systemd reach (GNOME, Plasma); enabling is what `systemctl --user enable` does, a link in
 *   the target's `.wants/` (systemctl(1));
 * - an XDG autostart entry (freedesktop.org Desktop Application Autostart Specification), which a
 *   session without that target runs at login: openbox-session (through openbox-xdg-autostart,
 *   which needs Debian's python3-xdg), Xfce, LXDE. `X-systemd-skip` keeps systemd's
 *   xdg-autostart-generator (systemd-xdg-autostart-generator(8)) from starting the kiosk a second
 *   time where the unit already does.
 * tests/integration/kiosk-autostart.test.ts logs in to a fresh openbox session through the entry.
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { APP_KIOSK_START_FLAG, type KioskAutostart } from '../../shared/kiosk';
import { writeFileAtomic } from '../fsutil/atomic-write';

export const KIOSK_UNIT = 'tessera-kiosk.service';
export const KIOSK_DESKTOP_ENTRY = 'tessera-kiosk.desktop';
const TARGET = 'graphical-session.target';

export interface AutostartOptions {
  env: NodeJS.ProcessEnv;
  /** The command that runs the kiosk in the foreground: `node …/bin/tessera.js kiosk start`. */
  command: string[];
}

/** The process the backend runs in, as far as the autostart command depends on it. */
export interface KioskRuntime {
  /** process.execPath: Node for the CLI and `tessera serve`, the app's own binary in the desktop app. */
  execPath: string;
  /** Running inside Electron (process.versions.electron). */
  electron: boolean;
  /** Electron started as `electron APP_PATH` (process.defaultApp), not a packaged app. */
  defaultApp: boolean;
  /** process.argv[1]: the app's path when defaultApp. */
  appPath: string | undefined;
  /** Where bin/tessera.js is. */
  packageRoot: string;
}

/**
 * What the autostart entry runs. Under Node it is the CLI's foreground `kiosk start`. The packaged
 * desktop app cannot run that: its binary is Electron with the RunAsNode fuse off
 * (electron-builder.yml) and bin/ is not shipped, so it starts the app itself with
 * APP_KIOSK_START_FLAG, which starts the kiosk instead of opening the main window (src/main/app).
 */
export function kioskStartCommand(runtime: KioskRuntime): string[] {
  if (!runtime.electron)
    return [runtime.execPath, path.join(runtime.packageRoot, 'bin', 'tessera.js'), 'kiosk', 'start'];
  const app = runtime.defaultApp && runtime.appPath ? [runtime.appPath] : [];
  return [runtime.execPath, ...app, APP_KIOSK_START_FLAG];
}

/** `$XDG_CONFIG_HOME`, by default `~/.config` (XDG Base Directory Specification). */
function configHome(env: NodeJS.ProcessEnv): string {
  return env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
}

/** `$XDG_CONFIG_HOME/systemd/user`, where systemd looks for the user's own units. */
export function userUnitDir(env: NodeJS.ProcessEnv): string {
  return path.join(configHome(env), 'systemd', 'user');
}

/** `$XDG_CONFIG_HOME/autostart`, the user's XDG autostart directory. */
export function autostartDir(env: NodeJS.ProcessEnv): string {
  return path.join(configHome(env), 'autostart');
}

/**
 * The Desktop Entry Specification's Exec quoting: a word with a reserved character goes in double
 * quotes with `"`, `` ` ``, `$` and `\` backslashed, `%` is doubled (field codes), and the string
 * escape doubles every backslash once more.
 */
function desktopWord(word: string): string {
  const escaped = word.replace(/%/g, '%%');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/(["`$\\])/g, '\\$1')}"`.replace(/\\/g, '\\\\');
}

export function kioskDesktopEntry(command: string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Tessera kiosk',
    "Comment=Each assigned VM full-screen on this host's monitors",
    `Exec=${command.map(desktopWord).join(' ')}`,
    'Terminal=false',
    'NoDisplay=true',
    // Where the systemd unit above runs the kiosk, the generator does not run it again.
    'X-systemd-skip=true',
    '',
  ].join('\n');
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
  const desktopEntry = path.join(autostartDir(options.env), KIOSK_DESKTOP_ENTRY);
  if (enabled) {
    await fsp.mkdir(path.dirname(wants), { recursive: true });
    await writeFileAtomic(unitFile, kioskUnit(options.command), 0o644);
    await fsp.rm(wants, { force: true });
    await fsp.symlink(unitFile, wants);
    await fsp.mkdir(path.dirname(desktopEntry), { recursive: true });
    await writeFileAtomic(desktopEntry, kioskDesktopEntry(options.command), 0o644);
    return {
      enabled,
      unitFile,
      desktopEntry,
      next: `written: the kiosk starts at the next login to a graphical session, through the systemd unit where the session reaches ${TARGET}, else through the XDG autostart entry (openbox needs python3-xdg for it)`,
    };
  }
  await fsp.rm(wants, { force: true });
  await fsp.rm(unitFile, { force: true });
  await fsp.rm(desktopEntry, { force: true });
  return {
    enabled,
    unitFile,
    desktopEntry,
    next: `removed: the kiosk no longer starts at login (systemctl --user daemon-reload makes systemd forget the unit now)`,
  };
}
