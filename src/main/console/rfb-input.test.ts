import { describe, expect, it } from 'vitest';
import { RfbInputScanner } from './rfb-input';

const handshake = Buffer.concat([Buffer.from('RFB 003.008\n'), Buffer.from([1]), Buffer.from([1])]);
const updateRequest = Buffer.from([3, 1, 0, 0, 0, 0, 4, 0, 3, 0]);
const setEncodings = Buffer.from([2, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1]);
const key = Buffer.from([4, 1, 0, 0, 0, 0, 0, 0x61]);
const pointer = Buffer.from([5, 0, 0, 10, 0, 20]);

describe('RfbInputScanner', () => {
  it('does not count the handshake, encodings or frame requests as input', () => {
    const s = new RfbInputScanner();
    expect(s.scan(handshake)).toBe(false);
    expect(s.scan(setEncodings)).toBe(false);
    expect(s.scan(updateRequest)).toBe(false);
  });

  it('counts key and pointer events, also split across writes', () => {
    const s = new RfbInputScanner();
    s.scan(Buffer.concat([handshake, updateRequest]));
    expect(s.scan(key)).toBe(true);
    // A message counts once it is whole.
    expect(s.scan(pointer.subarray(0, 3))).toBe(false);
    expect(s.scan(Buffer.concat([pointer.subarray(3), updateRequest]))).toBe(true);
    expect(s.scan(updateRequest)).toBe(false);
  });

  it('counts everything as input after a message it does not know', () => {
    const s = new RfbInputScanner();
    s.scan(handshake);
    expect(s.scan(Buffer.from([255, 1, 2]))).toBe(true);
    expect(s.scan(updateRequest)).toBe(true);
  });
});
