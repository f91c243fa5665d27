// Summary statistics the benches print: the median of rounds and percentiles of latencies.

/** The p-th percentile of xs (nearest rank, from below); NaN when xs is empty. */
export function pct(xs, p) {
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** The median of xs: the middle value, or the mean of the two middle ones for an even count. */
export function median(xs) {
  const s = Float64Array.from(xs).sort();
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}
