import { assertResolution, fromColumns, toDataset, type DataInput, type Dataset } from '../data/dataset.js';
import { badOption } from '../util/errors.js';
import { checkOptions, RUN_OPTIONS } from '../util/options.js';
import { createRandom } from '../util/random.js';
import { resolveExecutor } from '../engine/defaultExecutor.js';
import { loadMatrix } from '../engine/matrix.js';
import { blockClusters, blockRows, silhouettePartner, waveClusters } from '../kernels/silhouetteSums.js';
import { SegkitError } from '../util/errors.js';
import { silhouettePairsOp } from './metricOps.js';
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
  // every label is checked, not only the sampled ones: a NaN or 0.5 among the rows left out is bad input all the same
  internalLabels(labels, ds.n, true);
  if (sampleSize >= ds.n) return { ds, labels };
  const rows = sampleRows(ds.n, sampleSize, seed);
  const sub = fromColumns({ columns: ds.columns.map((c) => Float32Array.from(rows, (i) => c[i])), names: ds.names });
  return { ds: sub, labels: Array.from(rows, (i) => labels[i]) };
}

/**
 * Exact silhouette coefficient of every row (Rousseeuw 1987), as scikit-learn's `silhouette_samples`: the rows are
 * grouped by cluster into blocks of 512 (the shards of a replicated handle), and every two blocks are paired once by
 * a blocked SIMD kernel that adds each distance to both rows' sums over the other's clusters, in O(n k) memory rather
 * than O(n^2). Rows of single-row clusters score 0.
 */
export function silhouetteSamples(data: DataInput, labels: Labels, options: MetricOptions = {}): Promise<Float64Array> {
  return silhouetteSamplesWithin(data, labels, options, PAIRS_BYTES);
}

/**
 * The silhouette with the partners' sums of one wave of offsets held at once within about `pairsBudget` bytes (a
 * wave has at least one offset). The waves change the order of the float64 additions, so the budget is fixed, never
 * taken from the executor.
 */
export async function silhouetteSamplesWithin(data: DataInput, labels: Labels, options: MetricOptions, pairsBudget: number): Promise<Float64Array> {
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
  // many small clusters (under 8 rows on average) or pairs' sums (padded rows x k float64) past what memory holds:
  // the blocked kernel spends its time on tiny tiles, or its sums would not fit; each row's distances summed in one
  // k-long array take O(n d + k) memory instead
  // (64 MiB of sums with clusters under 8 rows on average, or 4 GiB with any: below that, clusters of many rows keep the
  // blocked kernel's threads and SIMD, where the plain loop computes n^2 distances on one thread)
  const pairsBytes = 8 * rows * k;
  if (pairsBytes > 2 ** 26 && (8 * k > n || pairsBytes > 2 ** 32)) return (await import('./silhouetteDirect.js')).silhouetteDirect(ds, enc.index, counts, k, options.signal);
  const pos = new Int32Array(n);
  const fill = Int32Array.from(segStart);
  for (let i = 0; i < n; i++) pos[i] = fill[enc.index[i]]++;
  const grouped = ds.columns.map((col) => {
    const g = new Float32Array(rows);
    for (let i = 0; i < n; i++) g[pos[i]] = col[i];
    return g;
  });
  const block = SILHOUETTE_BLOCK;
  const m = await loadMatrix(resolveExecutor(options), { n: rows, d: ds.d, columns: grouped, names: ds.names }, {
    offset: new Float64Array(ds.d), replicate: true, shardRows: block, signal: options.signal,
  });
  try {
    const seg = new Int32Array(2 * k);
    seg.set(segStart);
    seg.set(segEnd, k);
    const blocks = Math.ceil(rows / block);
    const sums = new Float64Array(rows * k);
    // an offset's partners' sums: at most a block of rows by the clusters of each block
    let perOffset = 0;
    for (let i = 0; i < blocks; i++) perOffset += 8 * block * blockClusters(seg, k, i * block, i * block + blockRows(i, block, rows)).w;
    for (const [t0, t1] of waves(blocks, Math.max(1, perOffset), pairsBudget)) {
      const parts = await m.ex.map(silhouettePairsOp, m.handle, { seg, k, block, t0, t1 }, { signal: options.signal });
      addPairs(sums, parts, seg, k, block, rows, t0, t1);
    }
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

/** Rows of the grouped matrix per shard of the silhouette: a block of rows pairs with another in cache. */
export const SILHOUETTE_BLOCK = 512;

/**
 * Bytes of partners' sums one wave of the silhouette's pairs may hold (a 20,000-row sample at k = 8 is one wave; each
 * wave's sums pass through a worker's copy and the merge, so the peak is a few times this).
 */
export const PAIRS_BYTES = 16 * 1024 * 1024;

/** Offsets 0 to floor(blocks / 2) in runs [t0, t1) whose partners' sums (`perOffset` bytes each) fit `budget`. */
function waves(blocks: number, perOffset: number, budget: number): Array<[number, number]> {
  const last = Math.floor(blocks / 2);
  const per = Math.max(1, Math.floor(budget / perOffset));
  const out: Array<[number, number]> = [];
  for (let t = 0; t <= last; t += per) out.push([t, Math.min(last + 1, t + per)]);
  return out;
}

/**
 * Adds one wave's parts to the sums: each block's own rows first (over the wave's clusters: the others' sums do not
 * change), then its partners' rows, in shard order.
 */
function addPairs(sums: Float64Array, parts: Float64Array[], seg: Int32Array, k: number, block: number, rows: number, t0: number, t1: number): void {
  const blocks = parts.length;
  for (let i = 0; i < blocks; i++) {
    const p = parts[i];
    const r0 = i * block, ri = blockRows(i, block, rows);
    const cols = waveClusters(seg, k, block, rows, i, t0, t1), kw = cols.length;
    for (let q = 0; q < ri * kw; q++) sums[(r0 + Math.floor(q / kw)) * k + cols[q % kw]] += p[q];
    let at = ri * kw;
    const { c0, w } = blockClusters(seg, k, r0, r0 + ri);
    for (let t = Math.max(1, t0); t < t1; t++) {
      const j = silhouettePartner(i, t, blocks);
      if (j < 0) continue;
      const rj = blockRows(j, block, rows);
      for (let q = 0; q < rj; q++) {
        const o = (j * block + q) * k + c0;
        for (let c = 0; c < w; c++) sums[o + c] += p[at++];
      }
    }
    if (at !== p.length) throw new SegkitError('E_EXECUTOR', `the silhouette's block ${i} returned ${p.length} sums, ${at} expected`);
  }
}
