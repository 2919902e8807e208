import { z } from 'zod';

/**
 * A display connector as the kernel shows it in `/sys/class/drm/card<N>-<name>/` (DRM's sysfs:
 * `status` is connected / disconnected / unknown, `enabled` is enabled / disabled, `modes` one
 * mode per line).
 */
export const DrmConnector = z.object({
  /** `card0` */
  card: z.string(),
  /** `HDMI-A-1`, as the kernel names the connector. */
  name: z.string(),
  status: z.enum(['connected', 'disconnected', 'unknown']),
  enabled: z.boolean().nullable(),
  /** `1920x1080`…, the monitor's modes; empty when nothing is connected. */
  modes: z.array(z.string()),
  /** PCI address of the card's device, null when it is not a PCI device. */
  device: z.string().nullable(),
});
export type DrmConnector = z.infer<typeof DrmConnector>;

/** `card1-DP-1` and `DP-1` both name that connector; a bare name names it only if no other card has one. */
export function findConnectors(connectors: readonly DrmConnector[], monitor: string): DrmConnector[] {
  return connectors.filter((c) => c.name === monitor || `${c.card}-${c.name}` === monitor);
}
