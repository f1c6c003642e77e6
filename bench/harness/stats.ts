/** Median, 95th percentile and count of a set of samples. */
export interface Summary {
  readonly median: number;
  readonly p95: number;
  readonly n: number;
}

/** The `q`-quantile (0..1) of `sorted`, by linear interpolation between closest ranks. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error('quantile of no samples');
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

/** Median and p95 of `samples` (any order). */
export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), n: sorted.length };
}

/**
 * Repeated runs of one measurement: the median of the runs' medians (a burst of load spoils one
 * run, not the figure), and the p95 of all their samples together.
 */
export function summarizeRuns(runs: readonly (readonly number[])[]): Summary {
  const medians = runs.map((run) => summarize(run).median);
  const all = runs.flat();
  return { median: summarize(medians).median, p95: summarize(all).p95, n: all.length };
}

/**
 * How many times better ours is than the baseline: `baseline / ours` for times (lower is
 * better), `ours / baseline` for rates (higher is better). Above 1: ours is better.
 */
export function speedup(ours: number, baseline: number, better: 'lower' | 'higher'): number {
  return better === 'lower' ? baseline / ours : ours / baseline;
}
