import { describe, expect, it } from 'vitest';
import { merge } from './thumbnail-store';

const answer = (pngBase64: string | null, live: boolean) => ({
  pngBase64,
  width: pngBase64 ? 480 : 0,
  height: pngBase64 ? 360 : 0,
  takenAt: pngBase64 ? '2025-01-01T00:00:00.000Z' : null,
  live,
});

describe('thumbnail merge', () => {
  it('takes every new picture as a data URL', () => {
    expect(merge(undefined, answer('AAAA', true))).toEqual({
      src: 'data:image/png;base64,AAAA',
      width: 480,
      height: 360,
      live: true,
      takenAt: '2025-01-01T00:00:00.000Z',
    });
  });

  it('keeps the frame it has, no longer live, when the backend has none yet', () => {
    const before = merge(undefined, answer('AAAA', true));
    expect(merge(before, answer(null, false))).toEqual({ ...before, live: false });
    expect(merge(undefined, answer(null, false)).src).toBeNull();
  });
});
