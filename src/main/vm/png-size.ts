import { TesseraError } from '../../shared/errors';

/**
 * Width and height of the PNG QEMU's `screendump` wrote, from its IHDR chunk: the 8-byte
 * signature, the chunk's length and type (bytes 8–15), then width and height (bytes 16–23), as
 * the PNG specification (ISO/IEC 15948) lays out the first chunk.
 */
export function pngSize(png: Buffer): { width: number; height: number } {
  if (png.length < 24 || png.toString('latin1', 12, 16) !== 'IHDR') {
    throw new TesseraError('QEMU_FAILED', 'QEMU wrote a screenshot that is not a PNG');
  }
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}
