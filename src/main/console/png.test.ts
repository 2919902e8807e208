import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodePng, encodePng } from './png';
import { parsePpm, scaleToWidth, type RgbImage } from './rgb-image';

function image(
  width: number,
  height: number,
  pixel: (x: number, y: number) => [number, number, number],
): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 3);
  return { width, height, data };
}

const gradient = image(37, 23, (x, y) => [x * 7, y * 11, (x * y) & 0xff]);

describe('encodePng and decodePng', () => {
  it('round-trip every pixel', () => {
    const decoded = decodePng(encodePng(gradient));
    expect(decoded.width).toBe(37);
    expect(decoded.height).toBe(23);
    expect(Buffer.from(decoded.data).equals(Buffer.from(gradient.data))).toBe(true);
  });

  it('write a PNG other readers accept: signature, IHDR first, valid CRCs, IEND last', () => {
    const png = encodePng(gradient);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const types: string[] = [];
    for (let at = 8; at < png.length;) {
      const length = png.readUInt32BE(at);
      const body = png.subarray(at + 4, at + 8 + length);
      expect(png.readUInt32BE(at + 8 + length)).toBe(zlib.crc32(body));
      types.push(body.toString('latin1', 0, 4));
      at += 12 + length;
    }
    expect(types).toEqual(['IHDR', 'IDAT', 'IEND']);
  });

  it('decodes every filter type, and RGBA as RGB', () => {
    // Rows filtered None, Sub, Up, Average and Paeth by hand, as libpng may choose per row.
    const w = 3;
    const rows = [
      [10, 20, 30, 255, 40, 50, 60, 255, 70, 80, 90, 255],
      [11, 21, 31, 255, 41, 51, 61, 255, 71, 81, 91, 255],
      [200, 0, 5, 255, 3, 250, 7, 255, 9, 9, 9, 255],
      [1, 2, 3, 255, 4, 5, 6, 255, 7, 8, 9, 255],
      [90, 80, 70, 255, 60, 50, 40, 255, 30, 20, 10, 255],
    ];
    const bpp = 4;
    const stride = w * bpp;
    const at = (r: number, i: number) => (r < 0 || i < 0 ? 0 : (rows[r]?.[i] ?? 0));
    const paeth = (a: number, b: number, c: number) => {
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    };
    const raw: number[] = [];
    rows.forEach((row, r) => {
      raw.push(r);
      for (let i = 0; i < stride; i++) {
        const x = row[i] ?? 0;
        const a = at(r, i - bpp);
        const b = at(r - 1, i);
        const c = at(r - 1, i - bpp);
        const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][r] ?? 0;
        raw.push((x - predictor) & 0xff);
      }
    });
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(w, 0);
    ihdr.writeUInt32BE(rows.length, 4);
    ihdr[8] = 8;
    ihdr[9] = 6;
    const chunk = (type: string, data: Buffer) => {
      const head = Buffer.alloc(8);
      head.writeUInt32BE(data.length);
      head.write(type, 4, 'latin1');
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])));
      return Buffer.concat([head, data, crc]);
    };
    const png = Buffer.concat([
      encodePng(gradient).subarray(0, 8),
      chunk('IHDR', ihdr),
      chunk('IDAT', zlib.deflateSync(Buffer.from(raw))),
      chunk('IEND', Buffer.alloc(0)),
    ]);
    const decoded = decodePng(png);
    expect([...decoded.data]).toEqual(rows.flatMap((row) => row.filter((_, i) => i % 4 !== 3)));
  });

  it('refuses what it cannot read', () => {
    expect(() => decodePng(Buffer.from('GIF89a'))).toThrow(/no PNG signature/);
    const png = encodePng(gradient);
    png[8 + 8 + 8] = 16; // bit depth in IHDR
    expect(() => decodePng(png)).toThrow(/bit depth 16/);
  });
});

describe('parsePpm', () => {
  it('reads the P6 QEMU writes, comments and all', () => {
    const pixels = Buffer.from([1, 2, 3, 4, 5, 6]);
    const ppm = Buffer.concat([Buffer.from('P6\n# QEMU\n2 1\n255\n'), pixels]);
    const parsed = parsePpm(ppm);
    expect(parsed).toMatchObject({ width: 2, height: 1 });
    expect([...parsed.data]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('refuses other formats and short files', () => {
    expect(() => parsePpm(Buffer.from('P3\n1 1\n255\n0 0 0\n'))).toThrow(/not an 8-bit PPM/);
    expect(() => parsePpm(Buffer.from('P6\n1 1\n65535\n'))).toThrow(/not an 8-bit PPM/);
    expect(() => parsePpm(Buffer.from('P6\n4 4\n255\n\x00\x00'))).toThrow(/cut short/);
  });
});

describe('scaleToWidth', () => {
  it('leaves an image that fits alone', () => {
    expect(scaleToWidth(gradient, 37)).toBe(gradient);
  });

  it('averages the source pixels under each output pixel', () => {
    // 4x2 → 2x1: each output pixel is the mean of a 2x2 block.
    const src = image(4, 2, (x, y) => [x < 2 ? 0 : 200, y === 0 ? 10 : 30, x * 10 + y]);
    const out = scaleToWidth(src, 2);
    expect(out).toMatchObject({ width: 2, height: 1 });
    expect([...out.data]).toEqual([0, 20, 6, 200, 20, 26]);
  });

  it('keeps the aspect ratio and a uniform colour uniform, at uneven ratios too', () => {
    const grey = image(720, 400, () => [77, 88, 99]);
    const out = scaleToWidth(grey, 333);
    expect(out).toMatchObject({ width: 333, height: 185 });
    for (let i = 0; i < out.data.length; i += 3) {
      expect([out.data[i], out.data[i + 1], out.data[i + 2]]).toEqual([77, 88, 99]);
    }
  });
});
