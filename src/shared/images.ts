/**
 * Golden images and booth resets (issue 11): the shapes every front sees. A golden image is a
 * read-only, checksummed disk image kept in versions; a VM bound to one runs on its own qcow2
 * overlay, and a reset gives it a fresh overlay (cold) or loads the snapshot taken once it was
 * ready (warm).
 */
import { z } from 'zod';
import { DiskFormat, VmName } from './vm-spec';

/** An image's name also names its folder under images/, so it is a safe file name. */
export const ImageName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,47}$/, {
  error: 'an image name is 1 to 48 letters, digits, ".", "_" or "-", starting with a letter or digit',
});

export const ImageVersion = z.object({
  version: z.int().positive(),
  path: z.string(),
  format: DiskFormat,
  sizeBytes: z.int().nonnegative(),
  /** The guest-visible size, as qemu-img reports it. */
  virtualSizeBytes: z.int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.iso.datetime(),
  verifiedAt: z.iso.datetime(),
  /** Where it came from: a file the user registered, or a VM's state promoted. */
  source: z.string(),
});
export type ImageVersion = z.infer<typeof ImageVersion>;

export const ImageRecord = z.object({
  name: ImageName,
  /** The version new overlays are made on; older ones stay until deleted. */
  current: z.int().positive(),
  versions: z.array(ImageVersion).min(1),
});
export type ImageRecord = z.infer<typeof ImageRecord>;

export const ImageInfo = ImageRecord.extend({
  /** VMs whose overlay sits on a version of this image, with the version. */
  usedBy: z.array(z.object({ id: VmName, version: z.int().positive() })),
});
export type ImageInfo = z.infer<typeof ImageInfo>;

/**
 * When a bound VM is reset by itself. `on-stop`: fresh every boot. `daily`: at a local time.
 * `every`: N seconds after the last reset. `idle`: N seconds after the last keyboard or mouse
 * input from a console (VNC or serial), while the VM runs.
 */
export const ResetSchedule = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('off') }),
  z.object({ kind: z.literal('on-stop') }),
  z.object({ kind: z.literal('daily'), hour: z.int().min(0).max(23), minute: z.int().min(0).max(59) }),
  z.object({
    kind: z.literal('every'),
    seconds: z
      .int()
      .min(60)
      .max(366 * 86400),
  }),
  z.object({
    kind: z.literal('idle'),
    seconds: z
      .int()
      .min(5)
      .max(7 * 86400),
  }),
]);
export type ResetSchedule = z.infer<typeof ResetSchedule>;

const DURATION = /^(\d{1,6})(s|m|h)$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600 } as const;

/**
 * The schedule as the CLI and the UI write it: `off`, `on-stop`, `daily@03:00`, `every:4h`,
 * `idle:2m` (durations in s, m or h). Throws an Error that says what is accepted.
 */
export function parseResetSchedule(text: string): ResetSchedule {
  const accepted = 'write off, on-stop, daily@HH:MM, every:N(m|h) or idle:N(s|m|h), e.g. idle:2m';
  const t = text.trim();
  if (t === 'off' || t === 'on-stop') return { kind: t };
  const daily = /^daily@(\d{1,2}):(\d{2})$/.exec(t);
  if (daily) {
    const parsed = ResetSchedule.safeParse({
      kind: 'daily',
      hour: Number(daily[1]),
      minute: Number(daily[2]),
    });
    if (parsed.success) return parsed.data;
    throw new Error(`'${t}' is not a time of day: ${accepted}`);
  }
  const timed = /^(every|idle):(.+)$/.exec(t);
  const duration = timed ? DURATION.exec(timed[2] ?? '') : null;
  if (timed && duration) {
    const seconds = Number(duration[1]) * UNIT_SECONDS[duration[2] as keyof typeof UNIT_SECONDS];
    const parsed = ResetSchedule.safeParse({ kind: timed[1], seconds });
    if (parsed.success) return parsed.data;
    throw new Error(
      timed[1] === 'every'
        ? `'${t}': a periodic reset is at least every minute (every:1m)`
        : `'${t}': an idle reset waits at least 5 seconds (idle:5s)`,
    );
  }
  throw new Error(`'${t}' is not a reset schedule: ${accepted}`);
}

function formatDuration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** The inverse of parseResetSchedule. */
export function formatResetSchedule(schedule: ResetSchedule): string {
  switch (schedule.kind) {
    case 'off':
    case 'on-stop':
      return schedule.kind;
    case 'daily':
      return `daily@${String(schedule.hour).padStart(2, '0')}:${String(schedule.minute).padStart(2, '0')}`;
    case 'every':
    case 'idle':
      return `${schedule.kind}:${formatDuration(schedule.seconds)}`;
  }
}

export const ResetMode = z.enum(['warm', 'cold']);
export type ResetMode = z.infer<typeof ResetMode>;

/** A VM's golden binding as fronts see it: what it runs on, when it is reset, whether warm can be. */
export const GoldenStatus = z.object({
  id: VmName,
  image: ImageName,
  /**
   * The version the VM's overlay sits on now (the image's current one is used at the next
   * reset); null when its disk no longer names a registered version.
   */
  version: z.int().positive().nullable(),
  overlay: z.string(),
  schedule: ResetSchedule,
  lastReset: z.object({ at: z.iso.datetime(), mode: ResetMode, reason: z.string() }).nullable(),
  /** When the schedule resets the VM next (null: not scheduled, or idle waiting for the VM to run). */
  nextResetAt: z.iso.datetime().nullable(),
  /** The last keyboard or mouse input a console bridge passed to the guest. */
  lastInputAt: z.iso.datetime().nullable(),
  warm: z.object({
    /** Why warm resets cannot be had for this VM; null when they can. */
    blocker: z.string().nullable(),
    /** Serial text after which the ready snapshot is taken by itself (else the "mark ready" button). */
    readyText: z.string().nullable(),
    /** When the snapshot a warm reset loads was taken, in the current overlay; null: none yet. */
    snapshotAt: z.iso.datetime().nullable(),
  }),
  /** A reset or promote in progress. */
  busy: z.enum(['reset', 'promote']).nullable(),
});
export type GoldenStatus = z.infer<typeof GoldenStatus>;

/** How a reset went, for the CLI and the booth's reset-all. */
export const ResetOutcome = z.object({
  id: VmName,
  mode: ResetMode,
  /** Why this mode: asked for, or why warm was not possible. */
  reason: z.string(),
  restarted: z.boolean(),
  elapsedMs: z.number().nonnegative(),
});
export type ResetOutcome = z.infer<typeof ResetOutcome>;

/** Console input this recent means someone is at the VM: a reset asks first (UI) or wants --yes (CLI). */
export const RECENT_INPUT_MS = 2 * 60_000;

/** Whether someone typed into or moved the mouse over the VM in the last RECENT_INPUT_MS. */
export function hasRecentInput(status: Pick<GoldenStatus, 'lastInputAt'>, nowMs: number): boolean {
  return status.lastInputAt !== null && nowMs - Date.parse(status.lastInputAt) < RECENT_INPUT_MS;
}
