import { assertResolution, fromColumns, toDataset, type DataInput, type Dataset } from '../data/dataset.js';
import { badOption } from '../util/errors.js';
import { checkOptions, RUN_OPTIONS } from '../util/options.js';
import { createRandom } from '../util/random.js';
import { resolveExecutor } from '../engine/defaultExecutor.js';
import { loadMatrix } from '../engine/matrix.js';
import { concatInShardOrder } from '../engine/merge.js';
import { silhouetteSumsOp } from './metricOps.js';
import type { Labels } from './checkLabels.js';
import type { MetricOptions } from './clusterStats.js';
import { internalLabels } from './internalLabels.js';

export interface SilhouetteOptions extends MetricOptions {
  /** Score a seeded random subset of this many rows (scikit-learn's `sample_size`). */
  sampleSize?: number;
  seed?: number;
}

/** Rows of a seeded random subset, as the first m of a random permutation (partial Fisher-Yates). */
export function sampleRows(n: number, m: number, seed: number): Int32Array {
  const rng = createRandom(seed);
  const moved = new Map<number, number>();
  const out = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(n - i);
    const vj = moved.get(j) ?? j;
    moved.set(j, moved.get(i) ?? i);
    out[i] = vj;
  }
  return out;
}

/** The rows and labels a silhouette is computed on: all of them, or the seeded sample. */
export function silhouetteInput(data: DataInput, labels: Labels, options: SilhouetteOptions): { ds: Dataset; labels: Labels } {
  const ds = toDataset(data);
  assertResolution(ds);
  if (options.sampleSize === undefined) return { ds, labels };
  const { sampleSize, seed = 0 } = options;
  if (!Number.isInteger(sampleSize) || sampleSize < 2) throw badOption('sampleSize', sampleSize, 'an integer >= 2');
  if (!Number.isSafeInteger(seed)) throw badOption('seed', seed, 'an integer of at most 2^53 in magnitude');
  if (labels.length !== ds.n || sampleSize >= ds.n) return { ds, labels };
  const rows = sampleRows(ds.n, sampleSize, seed);
  const sub = fromColumns({ columns: ds.columns.map((c) => Float32Array.from(rows, (i) => c[i])), names: ds.names });
  return { ds: sub, labels: Array.from(rows, (i) => labels[i]) };
}

/**
 * Exact silhouette coefficient of every row (Rousseeuw 1987), as scikit-learn's `silhouette_samples`: the rows are
 * grouped by cluster and every pairwise distance is summed per cluster by a blocked SIMD kernel, as a shard op over
 * 512-row blocks of a replicated handle, in O(n k) memory rather than O(n^2). Rows of single-row clusters score 0.
 */
export async function silhouetteSamples(data: DataInput, labels: Labels, options: MetricOptions = {}): Promise<Float64Array> {
  checkOptions(options, RUN_OPTIONS, 'silhouetteSamples');
  const ds = toDataset(data);
  assertResolution(ds);
  const enc = internalLabels(labels, ds.n);
  const k = enc.values.length, n = ds.n;
  const counts = new Int32Array(k);
  for (let i = 0; i < n; i++) counts[enc.index[i]]++;
  // cluster segments start at multiples of 4 so the kernel's 4-row vectors never straddle two clusters
  const segStart = new Int32Array(k), segEnd = new Int32Array(k);
  let rows = 0;
  for (let c = 0; c < k; c++) {
    segStart[c] = rows;
    segEnd[c] = rows + counts[c];
    rows += Math.ceil(counts[c] / 4) * 4;
  }
  const pos = new Int32Array(n);
  const fill = Int32Array.from(segStart);
  for (let i = 0; i < n; i++) pos[i] = fill[enc.index[i]]++;
  const grouped = ds.columns.map((col) => {
    const g = new Float32Array(rows);
    for (let i = 0; i < n; i++) g[pos[i]] = col[i];
    return g;
  });
  const m = await loadMatrix(resolveExecutor(options), { n: rows, d: ds.d, columns: grouped, names: ds.names }, {
    offset: new Float64Array(ds.d), replicate: true, shardRows: SILHOUETTE_BLOCK, signal: options.signal,
  });
  try {
    const seg = new Int32Array(2 * k);
    seg.set(segStart);
    seg.set(segEnd, k);
    const sums = concatInShardOrder(await m.ex.map(silhouetteSumsOp, m.handle, { seg, k }, { signal: options.signal }));
    const s = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const c = enc.index[i], p = pos[i];
      if (counts[c] <= 1) continue;
      const a = sums[p * k + c] / (counts[c] - 1);
      let b = Infinity;
      for (let o = 0; o < k; o++) if (o !== c) b = Math.min(b, sums[p * k + o] / counts[o]);
      const denom = Math.max(a, b);
      s[i] = denom > 0 ? (b - a) / denom : 0;
    }
    return s;
  } finally {
    await m.release();
  }
}

/** Rows of the grouped matrix per shard of the silhouette: a block of rows sweeps every other row in cache tiles. */
export const SILHOUETTE_BLOCK = 512;
