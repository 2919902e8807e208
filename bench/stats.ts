/** Summary of one side of a comparison; every figure in milliseconds. */
export interface SideStats {
  label: string;
  samplesMs: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
}

/** Two sides measured in one run, interleaved, and compared as a ratio of medians. */
export interface Comparison {
  a: SideStats;
  b: SideStats;
  /** median(a) / median(b): how much slower Tessera's path is than the baseline. */
  ratio: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no samples');
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] as number;
  return sorted.length % 2 === 1 ? hi : ((sorted[mid - 1] as number) + hi) / 2;
}

export function summarize(label: string, samplesMs: number[]): SideStats {
  return {
    label,
    samplesMs: samplesMs.map(round1),
    medianMs: round1(median(samplesMs)),
    minMs: round1(Math.min(...samplesMs)),
    maxMs: round1(Math.max(...samplesMs)),
  };
}

export function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

export function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/**
 * Run A, B, A, B ... so that whatever the machine is doing at the time (a noisy neighbour, a
 * thermal dip, the page cache warming) lands on both sides alike. `warmup` pairs run first and
 * are thrown away: the first run of anything pays for cold caches that later runs do not.
 */
export async function interleave(options: {
  runs: number;
  warmup: number;
  a: { label: string; run: () => Promise<number> };
  b: { label: string; run: () => Promise<number> };
  onSample?: (side: 'a' | 'b', index: number, ms: number) => void;
}): Promise<Comparison> {
  const { a, b } = options;
  for (let i = 0; i < options.warmup; i++) {
    await a.run();
    await b.run();
  }
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < options.runs; i++) {
    const ta = await a.run();
    as.push(ta);
    options.onSample?.('a', i, ta);
    const tb = await b.run();
    bs.push(tb);
    options.onSample?.('b', i, tb);
  }
  const sa = summarize(a.label, as);
  const sb = summarize(b.label, bs);
  return { a: sa, b: sb, ratio: round3(median(as) / median(bs)) };
}
