import zlib from 'node:zlib';
import { TesseraError } from '../../shared/errors';
import type { RgbImage } from './rgb-image';

// PNG (ISO/IEC 15948, W3C PNG 3rd edition): signature, then chunks of length, type, data, CRC-32.
const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const COLOR_RGB = 2;
const COLOR_RGBA = 6;

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(data, zlib.crc32(head.subarray(4))), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * An 8-bit RGB PNG. Every row uses the Sub filter (each byte minus the one a pixel to its left):
 * screens are runs of equal colours, which Sub turns into runs of zeros that deflate well.
 */
export function encodePng(image: RgbImage): Buffer {
  const { width, height, data } = image;
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const out = y * (stride + 1);
    const src = y * stride;
    raw[out] = 1;
    for (let i = 0; i < stride; i++) {
      const left = i >= 3 ? (data[src + i - 3] as number) : 0;
      raw[out + 1 + i] = ((data[src + i] as number) - left) & 0xff;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = COLOR_RGB;
  // compression, filter method and interlace stay 0
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(raw, { level: 6 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** An 8-bit, non-interlaced RGB or RGBA PNG as RGB (alpha dropped); anything else is refused. */
export function decodePng(png: Buffer): RgbImage {
  const bad = (why: string) => new TesseraError('IO', `not a PNG this decoder reads: ${why}`);
  if (png.length < 8 || !png.subarray(0, 8).equals(SIGNATURE)) throw bad('no PNG signature');
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  for (let at = 8; at + 12 <= png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [depth, color, , , interlace] = [data[8], data[9], data[10], data[11], data[12]];
      if (depth !== 8 || (color !== COLOR_RGB && color !== COLOR_RGBA) || interlace !== 0) {
        throw bad(`bit depth ${depth}, colour type ${color}, interlace ${interlace}`);
      }
      channels = color === COLOR_RGB ? 3 : 4;
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      break;
    }
    at += 12 + length;
  }
  if (channels === 0 || width === 0 || height === 0) throw bad('no image header');
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  if (raw.length < (stride + 1) * height) throw bad('image data cut short');
  const rows = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const dst = y * stride;
    for (let i = 0; i < stride; i++) {
      const x = raw[src + i] as number;
      const a = i >= channels ? (rows[dst + i - channels] as number) : 0;
      const b = y > 0 ? (rows[dst + i - stride] as number) : 0;
      const c = y > 0 && i >= channels ? (rows[dst + i - stride - channels] as number) : 0;
      let v: number;
      if (filter === 0) v = x;
      else if (filter === 1) v = x + a;
      else if (filter === 2) v = x + b;
      else if (filter === 3) v = x + ((a + b) >> 1);
      else if (filter === 4) v = x + paeth(a, b, c);
      else throw bad(`filter type ${filter}`);
      rows[dst + i] = v & 0xff;
    }
  }
  if (channels === 3) return { width, height, data: rows };
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0, q = 0; p < rows.length; p += 4, q += 3) {
    rgb[q] = rows[p] as number;
    rgb[q + 1] = rows[p + 1] as number;
    rgb[q + 2] = rows[p + 2] as number;
  }
  return { width, height, data: rgb };
}
