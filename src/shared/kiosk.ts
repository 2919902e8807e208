/**
 * Kiosk mode: each assigned VM full-screen on one of the host's monitors, kept there
 * (DESIGN.md "kiosk"). The settings live in settings.json; monitors and status come from the
 * kiosk service (src/main/kiosk).
 */
import { z } from 'zod';
import { VmName, VmState } from './vm-spec';

/**
 * A monitor as RandR names it (`xrandr --listmonitors`: `HDMI-1`, `DP-2`, `DUMMY0`): the name
 * of its output, or the name given to a monitor made with `xrandr --setmonitor`.
 */
export const MonitorName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
  error: 'a monitor is named as `xrandr --listmonitors` shows it, e.g. HDMI-1, DP-2 or eDP-1',
});

/**
 * How the VM is shown on its monitor.
 * - `qemu-window`: QEMU's own GTK window (display `local`), placed by Tessera through the X
 *   server; the zero-copy path GPU guests need for full frame rate.
 * - `tessera-window`: Tessera's kiosk page with the VM's console (VNC or SPICE) and nothing else.
 */
export const KioskMode = z.enum(['qemu-window', 'tessera-window']);
export type KioskMode = z.infer<typeof KioskMode>;

export const KioskAssignment = z.object({
  monitor: MonitorName,
  vm: VmName,
  mode: KioskMode.default('qemu-window'),
});
export type KioskAssignment = z.infer<typeof KioskAssignment>;

export const GIVE_UP_DEFAULT = { crashes: 5, windowMinutes: 10 } as const;

/** After this many crashes within this many minutes the VM is not restarted again ("gave up"). */
export const GiveUpLimit = z.object({
  crashes: z
    .int()
    .min(1, { error: 'give up after at least 1 crash' })
    .max(100)
    .default(GIVE_UP_DEFAULT.crashes),
  windowMinutes: z
    .int()
    .min(1, { error: 'the window is at least 1 minute' })
    .max(1440, { error: 'the window is at most 1440 minutes (a day)' })
    .default(GIVE_UP_DEFAULT.windowMinutes),
});
export type GiveUpLimit = z.infer<typeof GiveUpLimit>;

/** `Ctrl+Alt+Shift+K`: modifiers then one key, as the operator presses it to leave kiosk mode. */
export const OperatorChord = z.string().regex(/^((Ctrl|Alt|Shift|Super)\+){2,4}[A-Z0-9]$/, {
  error:
    'the operator chord is two to four of Ctrl, Alt, Shift, Super and one letter or digit, e.g. Ctrl+Alt+Shift+K',
});

export const KioskSettings = z
  .object({
    assignments: z.array(KioskAssignment).max(16).default([]),
    operatorChord: OperatorChord.default('Ctrl+Alt+Shift+K'),
    /** Whether the login session starts the kiosk (the systemd user unit is written to match). */
    autostart: z.boolean().default(false),
    giveUp: GiveUpLimit.default(GIVE_UP_DEFAULT),
  })
  .superRefine((kiosk, ctx) => {
    const monitors = new Map<string, string>();
    const vms = new Map<string, string>();
    kiosk.assignments.forEach((a, i) => {
      const onMonitor = monitors.get(a.monitor);
      if (onMonitor !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['assignments', i, 'monitor'],
          message: `${a.monitor} already shows ${onMonitor}: one VM per monitor`,
        });
      }
      const onVm = vms.get(a.vm);
      if (onVm !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['assignments', i, 'vm'],
          message: `${a.vm} is already shown on ${onVm}: one monitor per VM`,
        });
      }
      monitors.set(a.monitor, a.vm);
      vms.set(a.vm, a.monitor);
    });
  });
export type KioskSettings = z.infer<typeof KioskSettings>;

export const KIOSK_DEFAULTS: KioskSettings = {
  assignments: [],
  operatorChord: 'Ctrl+Alt+Shift+K',
  autostart: false,
  giveUp: { ...GIVE_UP_DEFAULT },
};

export const Rectangle = z.object({
  x: z.int(),
  y: z.int(),
  width: z.int().positive(),
  height: z.int().positive(),
});
export type Rectangle = z.infer<typeof Rectangle>;

/** A monitor as the X server reports it (RandR 1.5), matched to the kernel's DRM connector. */
export const Monitor = Rectangle.extend({
  name: MonitorName,
  primary: z.boolean(),
  /** The RandR outputs that make up the monitor (one, unless made with `xrandr --setmonitor`). */
  outputs: z.array(z.string()),
  /** `card0-HDMI-A-1`: the DRM connector of its output (/sys/class/drm), null when none matches. */
  connector: z.string().nullable(),
  /** The connector was matched in a simulated host's sysfs, not this machine's. */
  simulated: z.boolean(),
});
export type Monitor = z.infer<typeof Monitor>;

/**
 * The display server Tessera's backend talks to. Only X11 lets a client place another client's
 * window on a given monitor; under Wayland the compositor alone decides (no protocol lets a
 * client choose an output), so there only Tessera's own window can be shown, full-screen on the
 * monitor the compositor picks.
 */
export const DisplayServer = z.object({
  kind: z.enum(['x11', 'wayland', 'none']),
  /** `:0`, the X display; null without one. */
  display: z.string().nullable(),
  /** What works here, in words; null on X11 where everything does. */
  message: z.string().nullable(),
});
export type DisplayServer = z.infer<typeof DisplayServer>;

export const KioskMonitors = z.object({ server: DisplayServer, monitors: z.array(Monitor) });
export type KioskMonitors = z.infer<typeof KioskMonitors>;

/**
 * A USB device the monitor's VM owns (its definition's `usb`, issue 17): by port path, the seat's
 * socket, or by ids; what is plugged in there now, from the USB inventory (sysfs, through the host
 * root, so a simulated host shows its own devices).
 */
export const KioskUsbInput = z.object({
  selector: z.string(),
  /** The device the selector names that is plugged in now, null when none is. */
  device: z.object({ portPath: z.string(), name: z.string() }).nullable(),
  /** The running VM that has the device now (this one, or another by a live attach), null when none. */
  heldBy: z.string().nullable(),
});
export type KioskUsbInput = z.infer<typeof KioskUsbInput>;

/** An evdev node the VM takes whole while it runs (QEMU's input-linux), and whether it exists now. */
export const KioskEvdevInput = z.object({ path: z.string(), present: z.boolean() });
export type KioskEvdevInput = z.infer<typeof KioskEvdevInput>;

/** The input devices of the seat a monitor is: what its VM owns beside the screen. */
export const KioskInputs = z.object({ usb: z.array(KioskUsbInput), evdev: z.array(KioskEvdevInput) });
export type KioskInputs = z.infer<typeof KioskInputs>;

/** One assignment as it is now. */
export const KioskEntryStatus = z.object({
  monitor: MonitorName,
  vm: VmName,
  mode: KioskMode,
  /** The monitor is there now (an assignment to an unplugged one is kept). */
  present: z.boolean(),
  vmState: z.union([VmState, z.literal('missing')]),
  /** The VM's window covers its monitor, full-screen. */
  placed: z.boolean(),
  restarts: z.int().min(0),
  /** When a crashed VM is started again (ISO time), for "restarting in N s". */
  restartAt: z.iso.datetime().nullable(),
  /** The restart limit was reached: the VM stays down until the kiosk is started again. */
  gaveUp: z.boolean(),
  /** The last problem in words, null when all is well. */
  problem: z.string().nullable(),
  /** The VM's own input devices (none when the VM is missing). */
  inputs: KioskInputs,
});
export type KioskEntryStatus = z.infer<typeof KioskEntryStatus>;

export const KioskStatus = z.object({
  running: z.boolean(),
  server: DisplayServer,
  entries: z.array(KioskEntryStatus),
  /** Screen blanking and DPMS while the kiosk runs: what was done, or why it could not be. */
  blanking: z.string().nullable(),
  /** A problem of the whole kiosk (the X server went away), null when none. */
  problem: z.string().nullable(),
});
export type KioskStatus = z.infer<typeof KioskStatus>;

export const KioskAutostart = z.object({
  enabled: z.boolean(),
  /** The systemd user unit written or removed. */
  unitFile: z.string(),
  /** The XDG autostart entry written or removed (sessions without graphical-session.target). */
  desktopEntry: z.string(),
  /** What the user runs next (systemctl --user daemon-reload / enable), in words. */
  next: z.string(),
});
export type KioskAutostart = z.infer<typeof KioskAutostart>;

/** The title Tessera's kiosk page carries, so the kiosk finds its window among the X server's. */
export function kioskWindowTitle(vm: string): string {
  return `Tessera kiosk [${vm}]`;
}

/** The desktop app's argument that starts the kiosk instead of opening the main window (its autostart entry runs the app so). */
export const APP_KIOSK_START_FLAG = '--kiosk-start';
