/** The smallest terminal worth drawing; below it a shell's prompt no longer fits. */
const MIN_COLS = 20;
const MIN_ROWS = 5;

/**
 * How many cells fit a box, given one cell's size in CSS pixels; `reserveWidth` keeps room for the
 * scrollbar. Cells are measured from the rendered grid, because xterm.js keeps its own metrics private.
 */
export function fitCells(
  box: { width: number; height: number },
  cell: { width: number; height: number },
  reserveWidth = 0,
): { cols: number; rows: number } | null {
  if (cell.width <= 0 || cell.height <= 0 || box.width <= 0 || box.height <= 0) return null;
  return {
    cols: Math.max(MIN_COLS, Math.floor((box.width - reserveWidth) / cell.width)),
    rows: Math.max(MIN_ROWS, Math.floor(box.height / cell.height)),
  };
}
