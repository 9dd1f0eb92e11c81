import { checkLabels, type Labels } from './checkLabels.js';
import { sparseContingency, type SparseContingency } from './contingencyMatrix.js';

// Below this many samples every pair count (at most n^2) is an exact double, so plain sums are exact.
const EXACT_N = 94_906_265;

/** Pair counts [tn, fp, fn, tp] as scikit-learn's `pair_confusion_matrix`, exact at any n. */
function pairConfusion(sc: SparseContingency): [bigint, bigint, bigint, bigint] {
  const { n, cellCount, classSizes, clusterSizes } = sc;
  if (n <= EXACT_N) {
    let sumSquares = 0;
    let sumClass = 0;
    let sumCluster = 0;
    for (let q = 0; q < cellCount.length; q++) sumSquares += cellCount[q] * cellCount[q];
    for (let r = 0; r < classSizes.length; r++) sumClass += classSizes[r] * classSizes[r];
    for (let c = 0; c < clusterSizes.length; c++) sumCluster += clusterSizes[c] * clusterSizes[c];
    const tp = sumSquares - n;
    const fp = sumCluster - sumSquares;
    const fn = sumClass - sumSquares;
    const tn = n * n - fp - fn - sumSquares;
    return [BigInt(tn), BigInt(fp), BigInt(fn), BigInt(tp)];
  }
  const sq = (a: Float64Array): bigint => {
    let s = 0n;
    for (let k = 0; k < a.length; k++) s += BigInt(a[k]) * BigInt(a[k]);
    return s;
  };
  const N = BigInt(n);
  const sumSquares = sq(cellCount);
  const fp = sq(clusterSizes) - sumSquares;
  const fn = sq(classSizes) - sumSquares;
  return [N * N - fp - fn - sumSquares, fp, fn, sumSquares - N];
}

/**
 * Adjusted Rand index (Hubert and Arabie, 1985), as scikit-learn's `adjusted_rand_score`: 1 for identical
 * partitions, about 0 for independent ones, down to -0.5 for discordant ones. Symmetric and independent of the
 * label ids. The products of pair counts are formed exactly (BigInt), as Python's integers do.
 *
 * @example
 * adjustedRandScore([0, 0, 1, 1], [1, 1, 0, 0]); // 1
 * adjustedRandScore([0, 0, 1, 1], [0, 1, 0, 1]); // -0.5
 */
export function adjustedRandScore(labelsTrue: Labels, labelsPred: Labels): number {
  return adjustedRandFromContingency(sparseContingency(checkLabels(labelsTrue, labelsPred)));
}

/** The adjusted Rand index of a contingency table. */
export function adjustedRandFromContingency(sc: SparseContingency): number {
  const [tn, fp, fn, tp] = pairConfusion(sc);
  // No pair is split by one labeling and joined by the other (this covers a single cluster on both sides).
  if (fn === 0n && fp === 0n) return 1;
  const numerator = tp * tn - fn * fp;
  const denominator = (tp + fn) * (fn + tn) + (tp + fp) * (fp + tn);
  return (2 * Number(numerator)) / Number(denominator);
}
