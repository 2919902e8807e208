import { describe, expect, it } from 'vitest';
import { fitCells } from './terminal-fit';

describe('fitCells', () => {
  it('fills the box with whole cells, leaving room for the scrollbar', () => {
    expect(fitCells({ width: 814, height: 400 }, { width: 8, height: 17 }, 14)).toEqual({
      cols: 100,
      rows: 23,
    });
  });
  it('never goes below a usable size', () => {
    expect(fitCells({ width: 50, height: 20 }, { width: 8, height: 17 })).toEqual({ cols: 20, rows: 5 });
  });
  it('has no answer while hidden or not yet measured', () => {
    expect(fitCells({ width: 0, height: 0 }, { width: 8, height: 17 })).toBeNull();
    expect(fitCells({ width: 800, height: 400 }, { width: 0, height: 0 })).toBeNull();
  });
});
