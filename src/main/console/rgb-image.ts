import { TesseraError } from '../../shared/errors';

/** 8-bit RGB pixels, row by row, no padding. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * A binary PPM (P6, maxval 255): what QMP `screendump` writes by default. Reading it costs
 * nothing but a header parse, where a PNG from QEMU would have to be inflated and unfiltered.
 */
export function parsePpm(file: Buffer): RgbImage {
  // Header: "P6", width, height, maxval, each separated by whitespace (comments start with #),
  // then exactly one whitespace byte before the pixels.
  const fields: string[] = [];
  let i = 0;
  while (fields.length < 4 && i < file.length && i < 1024) {
    const c = file[i] as number;
    if (c === 0x23) {
      while (i < file.length && file[i] !== 0x0a) i++;
    } else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      i++;
    } else {
      const start = i;
      while (i < file.length && ![0x20, 0x0a, 0x0d, 0x09].includes(file[i] as number)) i++;
      fields.push(file.toString('latin1', start, i));
    }
  }
  const [magic, w, h, max] = fields;
  const width = Number(w);
  const height = Number(h);
  if (
    magic !== 'P6' ||
    max !== '255' ||
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width < 1 ||
    height < 1
  ) {
    throw new TesseraError('QEMU_FAILED', 'QEMU wrote a screen dump that is not an 8-bit PPM');
  }
  const start = i + 1;
  const length = width * height * 3;
  if (file.length < start + length) {
    throw new TesseraError('QEMU_FAILED', 'QEMU wrote a screen dump that is cut short');
  }
  return { width, height, data: file.subarray(start, start + length) };
}

/**
 * The image no wider than `maxWidth`, each output pixel the average of the source pixels that
 * fall in it (a box filter: text stays legible as a texture instead of aliasing into noise).
 */
export function scaleToWidth(image: RgbImage, maxWidth: number): RgbImage {
  const { width: sw, height: sh, data } = image;
  if (sw <= maxWidth) return image;
  const dw = maxWidth;
  const dh = Math.max(1, Math.round((sh * dw) / sw));
  const xmap = new Uint32Array(sw);
  for (let x = 0; x < sw; x++) xmap[x] = Math.floor((x * dw) / sw) * 3;
  const sums = new Uint32Array(dw * 3);
  const out = new Uint8Array(dw * dh * 3);
  let row = 0;
  let rowsIn = 0;
  const flush = () => {
    // Every output column gets the same number of source columns per row, give or take one.
    const base = row * dw * 3;
    for (let x = 0; x < dw; x++) {
      const first = Math.ceil((x * sw) / dw);
      const next = Math.ceil(((x + 1) * sw) / dw);
      const count = (next - first) * rowsIn;
      for (let c = 0; c < 3; c++) {
        const k = x * 3 + c;
        out[base + k] = Math.round((sums[k] as number) / count);
        sums[k] = 0;
      }
    }
    rowsIn = 0;
  };
  for (let y = 0; y < sh; y++) {
    const target = Math.floor((y * dh) / sh);
    if (target !== row) {
      flush();
      row = target;
    }
    let s = y * sw * 3;
    for (let x = 0; x < sw; x++, s += 3) {
      const d = xmap[x] as number;
      sums[d] = (sums[d] as number) + (data[s] as number);
      sums[d + 1] = (sums[d + 1] as number) + (data[s + 1] as number);
      sums[d + 2] = (sums[d + 2] as number) + (data[s + 2] as number);
    }
    rowsIn++;
  }
  flush();
  return { width: dw, height: dh, data: out };
}
