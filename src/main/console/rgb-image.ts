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
  const { width: sw, height: sh } = image;
  if (sw <= maxWidth) return image;
  // A plain Uint8Array view: element access on one array type stays monomorphic and fast.
  const data = new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  const dw = maxWidth;
  const dh = Math.max(1, Math.round((sh * dw) / sw));
  const xmap = new Uint32Array(sw);
  for (let x = 0; x < sw; x++) xmap[x] = Math.floor((x * dw) / sw) * 3;
  // How many source columns fall in each output column (the same for every row).
  const columns = new Uint32Array(dw);
  for (let x = 0; x < sw; x++) {
    const column = Math.floor((x * dw) / sw);
    columns[column] = (columns[column] as number) + 1;
  }
  const sums = new Uint32Array(dw * 3);
  const out = new Uint8Array(dw * dh * 3);
  let row = 0;
  let rowsIn = 0;
  const flush = () => {
    const base = row * dw * 3;
    for (let x = 0, k = 0; x < dw; x++) {
      const count = (columns[x] as number) * rowsIn;
      for (let c = 0; c < 3; c++, k++) {
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
    for (let x = 0, s = y * sw * 3; x < sw; x++, s += 3) {
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
