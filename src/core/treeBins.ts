// Bin edges for histogram trees, as scikit-learn's HistGradientBoosting finds them (`_find_binning_thresholds`):
// on at most 200,000 seeded sample rows, each distinct value is a bin when there are at most maxBins of them
// (edges at midpoints), else bins hold equal shares (edges at percentile midpoints).
import { createRandom } from '../util/random.js';
import { nextUp32 } from '../util/float32.js';
import type { Executor, Handle } from '../engine/executor.js';
import { concatInShardOrder } from '../engine/merge.js';
import { binOp, sampleValuesOp } from './treeOps.js';
import type { BinInfo } from './treeGrow.js';

export const BIN_SAMPLE = 200_000;


/**
 * Sorts float32 values ascending in place by LSD radix sort on their bit patterns (3 passes of 11 bits): O(n),
 * about 20x faster here than TypedArray.prototype.sort. Values are finite (checked on the way in).
 */
export function sortFloat32(a: Float32Array): Float32Array {
  const n = a.length;
  let src: Uint32Array = new Uint32Array(a.buffer, a.byteOffset, n);
  // order-preserving keys: negatives flipped whole, positives with the sign bit set
  for (let i = 0; i < n; i++) src[i] = src[i] & 0x80000000 ? ~src[i] >>> 0 : (src[i] | 0x80000000) >>> 0;
  let dst: Uint32Array = new Uint32Array(n);
  const counts = new Int32Array(2048);
  for (let shift = 0; shift < 32; shift += 11) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(src[i] >>> shift) & 2047]++;
    let sum = 0;
    for (let b = 0; b < 2048; b++) { const c = counts[b]; counts[b] = sum; sum += c; }
    for (let i = 0; i < n; i++) dst[counts[(src[i] >>> shift) & 2047]++] = src[i];
    const t = src; src = dst; dst = t;
  }
  // three passes: the sorted keys are in `src`, which is not `a`'s memory; copy back, undoing the key transform
  const out = new Uint32Array(a.buffer, a.byteOffset, n);
  for (let i = 0; i < n; i++) out[i] = src[i] & 0x80000000 ? (src[i] & 0x7fffffff) >>> 0 : ~src[i] >>> 0;
  return a;
}

/** Edges of one feature from its sorted sample, and its bins' values when each bin is one of the sample's values. */
export function featureEdges(sorted: Float32Array, maxBins: number): { edges: Float64Array; value: Float64Array | null } {
  const distinct: number[] = [];
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]);
  if (distinct.length <= maxBins) {
    const edges = new Float64Array(distinct.length - 1);
    for (let b = 0; b < edges.length; b++) edges[b] = distinct[b] / 2 + distinct[b + 1] / 2;
    // each bin holds one value (on a sample, fitBins checks every row's): split thresholds are scikit-learn's midpoints
    return { edges, value: Float64Array.from(distinct) };
  }
  const m = sorted.length;
  const out: number[] = [];
  for (let q = 1; q < maxBins; q++) {
    // numpy's percentile, method "midpoint"
    const pos = (q / maxBins) * (m - 1);
    let e = sorted[Math.floor(pos)] / 2 + sorted[Math.ceil(pos)] / 2;
    // an edge on a float32 value moves halfway to the next one: the same rows fall each side, and a comparison
    // in float64 (SQL, another engine) can never land on a value a row holds
    if (Math.fround(e) === e) e = e / 2 + nextUp32(e) / 2;
    if (out.length === 0 || e > out[out.length - 1]) out.push(e);
  }
  return { edges: Float64Array.from(out), value: null };
}

/** Bin edges from a seeded sample of the loaded rows, then every row's bins into the per-row buffer `bins`. */
export async function fitBins(ex: Executor, handle: Handle, maxBins: number, seed: number, signal?: AbortSignal): Promise<BinInfo> {
  const { n, d } = handle;
  let rows: Int32Array | null = null;
  if (n > BIN_SAMPLE) {
    // Floyd's algorithm: BIN_SAMPLE distinct rows, then sorted
    const rng = createRandom(seed);
    const picked = new Set<number>();
    for (let j = n - BIN_SAMPLE; j < n; j++) {
      const t = rng.int(j + 1);
      picked.add(picked.has(t) ? j : t);
    }
    rows = Int32Array.from(picked).sort();
  }
  const parts = await ex.map(sampleValuesOp, handle, { rows }, { signal });
  // each partial is column-major over its own rows: regroup per feature
  const perShard = parts.map((p) => p.length / d);
  const edges: Float64Array[] = [], binValue: (Float64Array | null)[] = [];
  const nBins = new Int32Array(d);
  const all = new Float64Array(256 * d).fill(Infinity), values = new Float64Array(256 * d).fill(Number.NaN);
  for (let j = 0; j < d; j++) {
    const col = concatInShardOrder(parts.map((p, s) => p.subarray(j * perShard[s], (j + 1) * perShard[s])));
    sortFloat32(col);
    const e = featureEdges(col, maxBins);
    edges.push(e.edges);
    binValue.push(e.value);
    nBins[j] = e.edges.length + 1;
    all.set(e.edges, 256 * j);
    if (e.value) values.set(e.value, 256 * j);
  }
  // on a sample, a feature's bins are its values when every row holds one of the sample's: the rows are checked as
  // they are binned, and a feature with a value the sample missed keeps its bins' edges as thresholds
  const other = await ex.map(binOp, handle, { edges: all, values }, { signal });
  binValue.forEach((v, j) => (binValue[j] = v && other.every((p) => !p[j]) ? v : null));
  return { nBins, edges, binValue };
}
