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

/**
 * The X11/xrandr name of a DRM connector, which is what the `connectors` option of Intel's GTK
 * display matches (qemu-gpu-guests.md, "Monitor mapping"). Xorg's modesetting driver names
 * outputs like the kernel does except HDMI-A, which it calls HDMI (xserver's
 * hw/xfree86/drivers/modesetting/drmmode_display.c `output_names` against the kernel's
 * drm_connector.c `drm_connector_enum_list`).
 */
export function xrandrOutputName(connector: string): string {
  return connector.replace(/^card\d+-/, '').replace(/^HDMI-A-/, 'HDMI-');
}
