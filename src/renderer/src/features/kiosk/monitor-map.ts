import type { Monitor } from '../../../../shared/kiosk';

export interface MapLayout {
  width: number;
  height: number;
  boxes: { monitor: Monitor; style: { left: number; top: number; width: number; height: number } }[];
}

/** The monitors drawn at their real positions and sizes, scaled so the whole desktop is `width` wide. */
export function mapLayout(monitors: Monitor[], width: number): MapLayout {
  if (monitors.length === 0) return { width, height: 0, boxes: [] };
  const left = Math.min(...monitors.map((m) => m.x));
  const top = Math.min(...monitors.map((m) => m.y));
  const right = Math.max(...monitors.map((m) => m.x + m.width));
  const bottom = Math.max(...monitors.map((m) => m.y + m.height));
  const scale = width / (right - left);
  return {
    width,
    height: Math.round((bottom - top) * scale),
    boxes: monitors.map((monitor) => ({
      monitor,
      style: {
        left: Math.round((monitor.x - left) * scale),
        top: Math.round((monitor.y - top) * scale),
        width: Math.round(monitor.width * scale),
        height: Math.round(monitor.height * scale),
      },
    })),
  };
}
