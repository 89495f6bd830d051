/**
 * The bench's order statistics, shared by every module: the value at percentile `p` (0–100) of a sample,
 * by rank `floor(p / 100 × n)` in a sorted copy, and NaN for an empty sample (reported as `n/a`).
 */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** The median (the 50th percentile as {@link percentile} takes it). */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}
