import type { Dataset } from '../data/dataset.js';
import { silhouetteSamples } from '../metrics/silhouetteSamples.js';
import { silhouetteScore } from '../metrics/silhouetteScore.js';

/** Up to this many rows the silhouette is exact (O(n^2) distances); above it, a seeded sample of this many rows. */
export const EXACT_SILHOUETTE_ROWS = 20_000;

export interface SilhouetteResult {
  readonly score: number;
  /** Rows in the seeded sample, or null when exact. */
  readonly sampleSize: number | null;
  /** Every row's coefficient, when asked for and exact. */
  readonly samples?: Float64Array;
}

export async function silhouette(
  data: Dataset,
  labels: Int32Array,
  o: { threads?: number; signal?: AbortSignal; seed: number; sampleSize?: number; wantSamples?: boolean },
): Promise<SilhouetteResult> {
  const limit = o.sampleSize ?? EXACT_SILHOUETTE_ROWS;
  const run = { threads: o.threads, signal: o.signal };
  if (data.n > limit) {
    return { score: await silhouetteScore(data, labels, { ...run, sampleSize: limit, seed: o.seed }), sampleSize: limit };
  }
  if (!o.wantSamples) return { score: await silhouetteScore(data, labels, run), sampleSize: null };
  const samples = await silhouetteSamples(data, labels, run);
  let sum = 0;
  for (const v of samples) sum += v;
  return { score: sum / samples.length, sampleSize: null, samples };
}
