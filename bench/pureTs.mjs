// A plain TypeScript/JavaScript Lloyd pass over column-major Float32 columns: the "no wasm" baseline column.
export function lloydPassTs(columns, n, centers, k) {
  const d = columns.length;
  const labels = new Int32Array(n);
  const best = new Float64Array(n).fill(Infinity);
  for (let t = 0; t < k; t++) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const v = columns[j][i] - centers[t * d + j];
        s += v * v;
      }
      if (s < best[i]) { best[i] = s; labels[i] = t; }
    }
  }
  const sums = new Float64Array(k * d), counts = new Float64Array(k);
  for (let j = 0; j < d; j++) for (let i = 0; i < n; i++) sums[labels[i] * d + j] += columns[j][i];
  for (let i = 0; i < n; i++) counts[labels[i]]++;
  for (let q = 0; q < k * d; q++) sums[q] /= Math.max(1, counts[Math.floor(q / d)]);
  return { labels, centers: sums };
}
