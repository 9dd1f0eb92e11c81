// The exact silhouette for many clusters, loaded where it is first needed: each row's distances to every row, summed
// by cluster in one k-long array that is reused row after row, so memory is O(n d + k) whatever k is.
import type { Dataset } from '../data/dataset.js';
import { throwIfAborted } from '../util/errors.js';
import { yieldToEventLoop } from '../util/eventLoop.js';

/**
 * Silhouette coefficient of every row (Rousseeuw 1987) from float64 distances between the float32 rows, as
 * scikit-learn's `silhouette_samples` measures them: `cluster[i]` in [0, k), `counts` the rows of each. Rows of
 * single-row clusters score 0. The event loop turns (and an abort is seen) between pieces of about 2^24 distances.
 */
export async function silhouetteDirect(ds: Dataset, cluster: ArrayLike<number>, counts: Int32Array, k: number, signal?: AbortSignal): Promise<Float64Array> {
  const { n, d } = ds;
  const x = new Float64Array(n * d);
  for (let j = 0; j < d; j++) { const col = ds.columns[j]; for (let i = 0; i < n; i++) x[i * d + j] = col[i]; }
  const lab = Int32Array.from(cluster);
  const sums = new Float64Array(k);
  const s = new Float64Array(n);
  const every = Math.max(1, Math.floor(2 ** 24 / Math.max(1, n * d)));
  for (let i = 0; i < n; i++) {
    if (i % every === 0 && i > 0) { await yieldToEventLoop(); throwIfAborted(signal); }
    const c = lab[i];
    if (counts[c] <= 1) continue;
    sums.fill(0);
    const xi = i * d;
    for (let r = 0, xr = 0; r < n; r++, xr += d) {
      let q = 0;
      for (let j = 0; j < d; j++) { const t = x[xi + j] - x[xr + j]; q += t * t; }
      sums[lab[r]] += Math.sqrt(q);
    }
    const a = sums[c] / (counts[c] - 1);
    let b = Infinity;
    for (let o = 0; o < k; o++) if (o !== c) b = Math.min(b, sums[o] / counts[o]);
    const denom = Math.max(a, b);
    s[i] = denom > 0 ? (b - a) / denom : 0;
  }
  throwIfAborted(signal);
  return s;
}
