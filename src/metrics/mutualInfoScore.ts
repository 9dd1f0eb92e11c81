// logarithms from detMath, not Math: engines differ in the last bit, and a score must be the same in a browser
import { log } from '../util/detMath.js';
import { checkLabels, type Labels } from './checkLabels.js';
import { sparseContingency, type SparseContingency } from './contingencyMatrix.js';

/** Entropy in nats of a partition given its part sizes (all > 0), as scikit-learn's `entropy`. */
export function partitionEntropy(sizes: Float64Array, n: number): number {
  if (sizes.length === 1) return 0;
  const logN = log(n);
  let h = 0;
  for (let k = 0; k < sizes.length; k++) h += (sizes[k] / n) * (log(sizes[k]) - logN);
  return -h;
}

/** Mutual information in nats from the non-zero cells, term by term as scikit-learn's `mutual_info_score`. */
export function mutualInfo(sc: SparseContingency): number {
  if (sc.classSizes.length === 1 || sc.clusterSizes.length === 1) return 0;
  const logN = log(sc.n);
  const { cellRow, cellCol, cellCount, classSizes, clusterSizes } = sc;
  let mi = 0;
  for (let q = 0; q < cellCount.length; q++) {
    const v = cellCount[q];
    const p = v / sc.n;
    const logOuter = -log(classSizes[cellRow[q]] * clusterSizes[cellCol[q]]) + logN + logN;
    const term = p * (log(v) - logN) + p * logOuter;
    // scikit-learn zeroes terms below machine epsilon so that independent labelings give exactly 0.
    if (Math.abs(term) >= Number.EPSILON) mi += term;
  }
  return mi > 0 ? mi : 0;
}

/**
 * Mutual information between two labelings of the same samples, in nats (natural logarithm), as scikit-learn's
 * `mutual_info_score`. Symmetric and independent of the label ids; 0 when either labeling has a single cluster.
 *
 * @example
 * mutualInfoScore([0, 0, 1, 1], [1, 1, 0, 0]); // Math.LN2
 */
export function mutualInfoScore(labelsTrue: Labels, labelsPred: Labels): number {
  return mutualInfo(sparseContingency(checkLabels(labelsTrue, labelsPred)));
}
