import { describe, expect, it } from 'vitest';
import type { Monitor } from '../../../../shared/kiosk';
import { mapLayout } from './monitor-map';

const monitor = (name: string, x: number, y: number, width: number, height: number): Monitor => ({
  name,
  x,
  y,
  width,
  height,
  primary: false,
  outputs: [name],
  connector: null,
  simulated: false,
});

describe('the monitor map', () => {
  it('draws monitors side by side at scale, left edge at 0 even for negative positions', () => {
    const layout = mapLayout([monitor('A', -1920, 0, 1920, 1080), monitor('B', 0, 0, 1280, 1024)], 640);
    expect(layout.height).toBe(216);
    expect(layout.boxes.map((b) => b.style)).toEqual([
      { left: 0, top: 0, width: 384, height: 216 },
      { left: 384, top: 0, width: 256, height: 205 },
    ]);
  });
});
