import { z } from 'zod';

/**
 * What travels on a console bridge's WebSocket besides the console's bytes. Binary frames are
 * bytes both ways; a text frame from the viewer is one of these messages (ignored by consoles
 * that have no use for it). The bridge closes with code 1000 and a reason a viewer can show,
 * e.g. "VM stopped".
 */
export const ConsoleControlMessage = z.discriminatedUnion('type', [
  /** A terminal's new size in character cells (xterm.js's cols and rows). */
  z.object({
    type: z.literal('resize'),
    cols: z.int().min(1).max(1000),
    rows: z.int().min(1).max(1000),
  }),
]);
export type ConsoleControlMessage = z.infer<typeof ConsoleControlMessage>;

/** Close reasons a viewer can tell apart. */
export const CONSOLE_CLOSE_REASONS = {
  vmStopped: 'VM stopped',
  closed: 'console closed',
} as const;
