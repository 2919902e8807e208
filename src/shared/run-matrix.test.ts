import { describe, expect, it } from 'vitest';
import { describeZodError } from './errors';
import { expandMatrix, MatrixAxes, parseVary, valuesText } from './run-matrix';

/** The message a refused --vary list gets, as the backend words it. */
function refusal(vary: unknown): string {
  const parsed = MatrixAxes.safeParse(vary);
  if (parsed.success) throw new Error('accepted');
  return describeZodError(parsed.error);
}

describe('--vary', () => {
  it('reads AXIS=V1,V2', () => {
    expect(parseVary('preset=fair,one-big')).toEqual({ axis: 'preset', values: ['fair', 'one-big'] });
    expect(parseVary('image= a , b')).toEqual({ axis: 'image', values: ['a', 'b'] });
  });

  it('refuses an empty value list, an empty value and a missing =', () => {
    expect(() => parseVary('preset=')).toThrow(/the list of values is empty/);
    expect(() => parseVary('preset=fair,,one-big')).toThrow(/an empty value between commas/);
    expect(() => parseVary('preset')).toThrow(/give AXIS=VALUE,VALUE \(the axes are preset, image\)/);
    expect(() => parseVary('=fair')).toThrow(/give AXIS=VALUE/);
  });

  it('refuses an unknown axis with the known ones', () => {
    expect(refusal([{ axis: 'kernel', values: ['6.1'] }])).toMatch(
      /'kernel' is not an axis a matrix can vary: the axes are preset, image/,
    );
  });

  it('refuses an unknown preset, a bad image name, a value twice, an axis twice, no axis', () => {
    expect(refusal([{ axis: 'preset', values: ['fair', 'huge'] }])).toMatch(
      /preset 'huge': a preset is one of fair, one-big/,
    );
    expect(refusal([{ axis: 'image', values: ['../etc'] }])).toMatch(/image '..\/etc': an image name is/);
    expect(refusal([{ axis: 'preset', values: ['fair', 'fair'] }])).toMatch(/preset 'fair' is given twice/);
    expect(
      refusal([
        { axis: 'preset', values: ['fair'] },
        { axis: 'preset', values: ['one-big'] },
      ]),
    ).toMatch(/the axis preset is varied twice/);
    expect(refusal([])).toMatch(/a matrix varies at least one axis/);
    expect(refusal([{ axis: 'preset', values: [] }])).toMatch(/an axis needs at least one value/);
  });

  it('refuses more combinations than a matrix runs', () => {
    const images = Array.from({ length: 33 }, (_, i) => `img${i}`);
    expect(
      refusal([
        { axis: 'preset', values: ['fair', 'one-big'] },
        { axis: 'image', values: images },
      ]),
    ).toMatch(/66 combinations: a matrix runs at most 64/);
  });
});

describe('expandMatrix', () => {
  it('gives every combination, the first axis varying slowest', () => {
    const cells = expandMatrix([
      { axis: 'preset', values: ['fair', 'one-big'] },
      { axis: 'image', values: ['A', 'B'] },
    ]);
    expect(cells).toEqual([
      { preset: 'fair', image: 'A' },
      { preset: 'fair', image: 'B' },
      { preset: 'one-big', image: 'A' },
      { preset: 'one-big', image: 'B' },
    ]);
    expect(cells.map(valuesText)).toContain('preset=one-big image=A');
  });

  it('gives one combination per value for one axis', () => {
    expect(expandMatrix([{ axis: 'image', values: ['A', 'B', 'C'] }])).toEqual([
      { image: 'A' },
      { image: 'B' },
      { image: 'C' },
    ]);
  });
});
