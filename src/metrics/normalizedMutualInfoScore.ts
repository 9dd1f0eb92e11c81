import { checkOptions, orDefault } from '../util/options.js';
import { badOption } from '../util/errors.js';
import { checkLabels, type Labels } from './checkLabels.js';
import { sparseContingency } from './contingencyMatrix.js';
import { mutualInfo, partitionEntropy } from './mutualInfoScore.js';

/** How the two entropies are averaged into the normaliser. */
export type AverageMethod = 'arithmetic' | 'geometric' | 'min' | 'max';

export interface MutualInfoOptions {
  readonly averageMethod?: AverageMethod;
}

const DEFAULTS: Required<MutualInfoOptions> = Object.freeze({ averageMethod: 'arithmetic' });
const METHODS: readonly string[] = ['arithmetic', 'geometric', 'min', 'max'];

export function checkAverageMethod(options: MutualInfoOptions | undefined, fn = 'normalizedMutualInfoScore'): AverageMethod {
  checkOptions(options, ['averageMethod'], fn);
  const method = orDefault(options?.averageMethod, DEFAULTS.averageMethod);
  if (!METHODS.includes(method)) throw badOption('averageMethod', method, `one of ${METHODS.map((m) => `"${m}"`).join(', ')}`);
  return method;
}

/** scikit-learn's `_generalized_average`. */
export function generalizedAverage(u: number, v: number, method: AverageMethod): number {
  switch (method) {
    case 'min':
      return Math.min(u, v);
    case 'geometric':
      return Math.sqrt(u * v);
    case 'arithmetic':
      return (u + v) / 2;
    case 'max':
      return Math.max(u, v);
  }
}

/**
 * Normalized mutual information: MI divided by an average of the two entropies, as scikit-learn's
 * `normalized_mutual_info_score`. 1 when both labelings are a single cluster, 0 when the MI is 0. Symmetric; with
 * the arithmetic average (the default) it equals the V-measure.
 *
 * @example
 * normalizedMutualInfoScore([0, 0, 1, 1], [0, 0, 1, 2]); // ≈ 0.8
 * normalizedMutualInfoScore([0, 0, 1, 1], [0, 0, 1, 2], { averageMethod: 'min' }); // ≈ 1
 */
export function normalizedMutualInfoScore(labelsTrue: Labels, labelsPred: Labels, options?: MutualInfoOptions): number {
  const method = checkAverageMethod(options);
  const sc = sparseContingency(checkLabels(labelsTrue, labelsPred));
  if (sc.classes.length === 1 && sc.clusters.length === 1) return 1;
  const mi = mutualInfo(sc);
  if (mi === 0) return 0;
  const normalizer = generalizedAverage(partitionEntropy(sc.classSizes, sc.n), partitionEntropy(sc.clusterSizes, sc.n), method);
  return mi / normalizer;
}
