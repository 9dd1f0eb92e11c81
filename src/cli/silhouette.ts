import type { Dataset } from '../data/dataset.js';
import { sampleRows, silhouetteInput, silhouetteSamples } from '../metrics/silhouetteSamples.js';
import { silhouetteScore } from '../metrics/silhouetteScore.js';
import { asin, cos, sin } from '../util/detMath.js';
import { throwIfAborted } from '../util/errors.js';
import { yieldToEventLoop } from '../util/eventLoop.js';
import { now, YIELD_MS } from '../engine/heapExecutor.js';

/** Up to this many rows the silhouette is exact (O(n^2) distances); above it, a seeded sample of this many rows. */
export const EXACT_SILHOUETTE_ROWS = 20_000;

export interface SilhouetteResult {
  readonly score: number;
  /** Rows in the seeded sample, or null when exact. */
  readonly sampleSize: number | null;
  /** Every row's coefficient, when asked for and exact. */
  readonly samples?: Float64Array;
}

/** Said when the seeded sample defines no silhouette (see sampleDefinesSilhouette). */
export const MISSED_SAMPLE_NOTE = `no silhouette: its seeded sample of ${EXACT_SILHOUETTE_ROWS.toLocaleString('en-US')} rows falls in one segment (the others too small to be drawn), or in one segment per row`;

/**
 * Whether the seeded sample `silhouette` scores above `limit` rows holds 2 to (limit - 1) segments and so defines a
 * silhouette: a small segment can be missed whole. Always true when the silhouette is exact.
 */
export function sampleDefinesSilhouette(labels: ArrayLike<number>, seed: number, limit = EXACT_SILHOUETTE_ROWS): boolean {
  if (labels.length <= limit) return true;
  const seen = new Set<number>();
  for (const r of sampleRows(labels.length, limit, seed)) seen.add(labels[r]);
  return seen.size >= 2 && seen.size < limit;
}

export async function silhouette(
  data: Dataset,
  labels: Int32Array,
  o: { threads?: number; signal?: AbortSignal; seed: number; sampleSize?: number; wantSamples?: boolean; metric?: 'euclidean' | 'haversine' },
): Promise<SilhouetteResult> {
  const limit = o.sampleSize ?? EXACT_SILHOUETTE_ROWS;
  const run = { threads: o.threads, signal: o.signal };
  if (o.metric === 'haversine') {
    // the sample silhouetteScore draws, scored with the distances the clusters were found with
    const sampled = data.n > limit;
    const { ds, labels: lab } = sampled ? silhouetteInput(data, labels, { sampleSize: limit, seed: o.seed }) : { ds: data, labels };
    const samples = await haversineSilhouetteSamples(ds, lab, o.signal);
    let sum = 0;
    for (const v of samples) sum += v;
    return { score: sum / samples.length, sampleSize: sampled ? limit : null, ...(o.wantSamples && !sampled ? { samples } : {}) };
  }
  if (data.n > limit) {
    return { score: await silhouetteScore(data, labels, { ...run, sampleSize: limit, seed: o.seed }), sampleSize: limit };
  }
  if (!o.wantSamples) return { score: await silhouetteScore(data, labels, run), sampleSize: null };
  const samples = await silhouetteSamples(data, labels, run);
  let sum = 0;
  for (const v of samples) sum += v;
  return { score: sum / samples.length, sampleSize: null, samples };
}

/** Partner sums (rows x segments) held at once by the haversine silhouette: 128 MiB of float64. */
const HAVERSINE_SUMS = 2 ** 24;

/**
 * Every row's silhouette with great-circle distances between rows of latitude and longitude in degrees, as
 * scikit-learn's `silhouette_samples(radians(X), labels, metric='haversine')` (rows of single-row clusters score 0).
 * The arc between two rows is 2 asin(c / 2) of the chord c between their unit vectors. O(n^2) time; each pair once
 * while the rows' sums over the segments fit in `sumsBudget` values, else a row at a time in O(k) memory. The
 * event loop runs every 20 ms; an abort of `signal` rejects with E_ABORTED.
 */
export async function haversineSilhouetteSamples(ds: Dataset, labels: ArrayLike<number>, signal?: AbortSignal, sumsBudget = HAVERSINE_SUMS): Promise<Float64Array> {
  // seconds of work on the calling thread at 20,000 rows: the event loop (Ctrl-C, an abort) gets in every YIELD_MS
  let last = now();
  const turn = async (): Promise<void> => {
    if (now() - last < YIELD_MS) return;
    await yieldToEventLoop();
    throwIfAborted(signal);
    last = now();
  };
  const n = ds.n;
  const ids = new Map<number, number>();
  const c = Int32Array.from({ length: n }, (_, i) => ids.get(labels[i]) ?? (ids.set(labels[i], ids.size), ids.size - 1));
  const k = ids.size;
  const size = new Float64Array(k);
  for (let i = 0; i < n; i++) size[c[i]]++;
  const ux = new Float64Array(n), uy = new Float64Array(n), uz = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const lat = ds.columns[0][i] * (Math.PI / 180), lon = ds.columns[1][i] * (Math.PI / 180);
    ux[i] = cos(lat) * cos(lon);
    uy[i] = cos(lat) * sin(lon);
    uz[i] = sin(lat);
  }
  const arc = (i: number, j: number): number => {
    const a = ux[i] - ux[j], b = uy[i] - uy[j], e = uz[i] - uz[j];
    return 2 * asin(Math.min(1, 0.5 * Math.sqrt(a * a + b * b + e * e)));
  };
  const out = new Float64Array(n);
  // row i's silhouette from its summed distance to the rows of each segment (sums[at + q])
  const score = (i: number, sums: Float64Array, at: number): void => {
    const own = c[i];
    if (size[own] < 2) return;
    const a = sums[at + own] / (size[own] - 1);
    let b = Infinity;
    for (let q = 0; q < k; q++) if (q !== own) b = Math.min(b, sums[at + q] / size[q]);
    const m = Math.max(a, b);
    out[i] = m > 0 ? (b - a) / m : 0;
  };
  if (n * k <= sumsBudget) {
    const sums = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const d = arc(i, j);
        sums[i * k + c[j]] += d;
        sums[j * k + c[i]] += d;
      }
      await turn();
    }
    for (let i = 0; i < n; i++) score(i, sums, i * k);
  } else {
    const sums = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      sums.fill(0);
      for (let j = 0; j < n; j++) if (j !== i) sums[c[j]] += arc(i, j);
      score(i, sums, 0);
      await turn();
    }
  }
  return out;
}
