/** What a picture holds, enough to tell a blank screen from one with text on it. */
export interface PixelStats {
  width: number;
  height: number;
  /** Pixels clearly brighter than black: text on a console, a BIOS banner. */
  lit: number;
  /** Distinct colours, capped: a blank screen has one. */
  colours: number;
}

// The few DOM shapes imageStats touches, so the test code type-checks without the DOM library.
interface Context2d {
  drawImage(image: unknown, x: number, y: number): void;
  getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
}
interface Canvas {
  width: number;
  height: number;
  getContext(kind: '2d'): Context2d | null;
}
interface Picture {
  tagName: string;
  width: number;
  height: number;
  naturalWidth?: number;
  naturalHeight?: number;
  ownerDocument: { createElement(tag: 'canvas'): Canvas };
}

/**
 * Runs in the page (passed to `evaluate`), so it must not close over anything. Reads an <img> or
 * a <canvas> through a scratch canvas.
 */
export function imageStats(source: unknown): PixelStats {
  const picture = source as Picture;
  const isImage = picture.tagName === 'IMG';
  const width = (isImage ? picture.naturalWidth : picture.width) ?? 0;
  const height = (isImage ? picture.naturalHeight : picture.height) ?? 0;
  if (width === 0 || height === 0) return { width, height, lit: 0, colours: 0 };
  const scratch = picture.ownerDocument.createElement('canvas');
  scratch.width = width;
  scratch.height = height;
  const context = scratch.getContext('2d');
  if (!context) throw new Error('no 2D context');
  context.drawImage(picture, 0, 0);
  const data = context.getImageData(0, 0, width, height).data;
  let lit = 0;
  const colours = new Set<number>();
  for (let i = 0; i < data.length; i += 4) {
    const r = data[i] ?? 0;
    const g = data[i + 1] ?? 0;
    const b = data[i + 2] ?? 0;
    if (r + g + b > 240) lit++;
    if (colours.size < 64) colours.add((r << 16) | (g << 8) | b);
  }
  return { width, height, lit, colours: colours.size };
}
