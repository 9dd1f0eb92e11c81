import type { DataInput } from '../data/dataset.js';
import { checkOptions, RUN_OPTIONS } from '../util/options.js';
import type { Labels } from './checkLabels.js';
import { silhouetteInput, silhouetteSamples, type SilhouetteOptions } from './silhouetteSamples.js';

/**
 * Mean silhouette coefficient, exact (as scikit-learn's `silhouette_score`), or over a seeded sample of
 * `sampleSize` rows for millions of rows.
 * @example
 * const s = await silhouetteScore(rows, model.labels, { sampleSize: 20_000, seed: 1 });
 */
export async function silhouetteScore(data: DataInput, labels: Labels, options: SilhouetteOptions = {}): Promise<number> {
  checkOptions(options, [...RUN_OPTIONS, 'sampleSize', 'seed'], 'silhouetteScore');
  const { ds, labels: lab } = silhouetteInput(data, labels, options);
  const { executor, threads, signal } = options;
  const s = await silhouetteSamples(ds, lab, { executor, threads, signal });
  let sum = 0;
  for (const v of s) sum += v;
  return sum / s.length;
}
