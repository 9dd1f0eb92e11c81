// logarithms from detMath, not Math: engines differ in the last bit, and a score must be the same in a browser
import { exp, log } from '../util/detMath.js';
import { checkLabels, type Labels } from './checkLabels.js';
import { sparseContingency } from './contingencyMatrix.js';
import { lgamma } from './lgamma.js';
import { mutualInfo, partitionEntropy } from './mutualInfoScore.js';
import { checkAverageMethod, generalizedAverage, type MutualInfoOptions } from './normalizedMutualInfoScore.js';

// Largest n for which the lgamma table (8 bytes per sample) is built: 64 MiB.
const TABLE_MAX = 2 ** 23;

function lgammaTable(max: number): Float64Array {
  const t = new Float64Array(max + 1);
  for (let k = 1; k <= max; k++) t[k] = lgamma(k);
  return t;
}

/**
 * Expected mutual information of two random labelings with the given class and cluster sizes under the
 * hypergeometric model (Vinh, Epps and Bailey, JMLR 2010, eq. 24a), summed term by term in the same order and
 * with the same log-gamma factoring as scikit-learn's `_expected_mutual_info_fast.expected_mutual_information`.
 * Cost: the sum over classes i and clusters j of min(a_i, b_j).
 */
export function expectedMutualInfo(a: Float64Array, b: Float64Array, n: number): number {
  const R = a.length;
  const C = b.length;
  if (R === 1 || C === 1) return 0;
  let maxSize = 0;
  for (let i = 0; i < R; i++) if (a[i] > maxSize) maxSize = a[i];
  for (let j = 0; j < C; j++) if (b[j] > maxSize) maxSize = b[j];
  const logN = log(n);
  const term1 = new Float64Array(maxSize + 1);
  const logNnij = new Float64Array(maxSize + 1);
  const glnNij = new Float64Array(maxSize + 1);
  for (let k = 0; k <= maxSize; k++) {
    // Index 0 is never summed; 1 there keeps the logs finite, as in the reference.
    const nij = k === 0 ? 1 : k;
    term1[k] = nij / n;
    logNnij[k] = logN + log(nij);
    glnNij[k] = lgamma(nij + 1);
  }
  const logA = a.map((v) => log(v));
  const logB = b.map((v) => log(v));
  const glnA = a.map((v) => lgamma(v + 1));
  const glnB = b.map((v) => lgamma(v + 1));
  const glnNa = a.map((v) => lgamma(n - v + 1));
  const glnNb = b.map((v) => lgamma(n - v + 1));
  const glnN = lgamma(n + 1);
  // When the sum has more terms than n, tabulating lgamma(1..n+1) once is cheaper than three calls per term.
  let terms = 0;
  for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) terms += Math.max(0, Math.min(a[i], b[j]) + 1 - Math.max(a[i] - n + b[j], 1));
  const table = terms > 2 * n && n < TABLE_MAX ? lgammaTable(n + 1) : null;
  let emi = 0;
  for (let i = 0; i < R; i++) {
    const ai = a[i];
    for (let j = 0; j < C; j++) {
      const bj = b[j];
      const start = Math.max(ai - n + bj, 1);
      const end = Math.min(ai, bj) + 1;
      // The leading sum is evaluated left to right exactly as the reference's single expression.
      const base = glnA[i] + glnB[j] + glnNa[i] + glnNb[j] - glnN;
      const logAi = logA[i];
      const logBj = logB[j];
      for (let nij = start; nij < end; nij++) {
        const term2 = logNnij[nij] - logAi - logBj;
        const gln =
          table !== null
            ? base - glnNij[nij] - table[ai - nij + 1] - table[bj - nij + 1] - table[n - ai - bj + nij + 1]
            : base - glnNij[nij] - lgamma(ai - nij + 1) - lgamma(bj - nij + 1) - lgamma(n - ai - bj + nij + 1);
        emi += term1[nij] * term2 * exp(gln);
      }
    }
  }
  return emi;
}

/**
 * Adjusted mutual information (Vinh, Epps and Bailey, 2010): `(MI - E[MI]) / (avg(H(U), H(V)) - E[MI])`, with the
 * exact expected mutual information, as scikit-learn's `adjusted_mutual_info_score`. 1 for identical partitions,
 * about 0 for independent ones, and may be negative. Symmetric and independent of the label ids. Costlier than
 * the adjusted Rand index when clusters are large: the expectation sums over every feasible cell count.
 *
 * @example
 * adjustedMutualInfoScore([0, 0, 1, 1], [1, 1, 0, 0]); // 1
 * adjustedMutualInfoScore([0, 0, 1, 1], [0, 0, 1, 2], { averageMethod: 'max' }); // ≈ 0.4
 */
export function adjustedMutualInfoScore(labelsTrue: Labels, labelsPred: Labels, options?: MutualInfoOptions): number {
  const method = checkAverageMethod(options, 'adjustedMutualInfoScore');
  const sc = sparseContingency(checkLabels(labelsTrue, labelsPred));
  if (sc.classes.length === 1 && sc.clusters.length === 1) return 1;
  const mi = mutualInfo(sc);
  const emi = expectedMutualInfo(sc.classSizes, sc.clusterSizes, sc.n);
  const normalizer = generalizedAverage(partitionEntropy(sc.classSizes, sc.n), partitionEntropy(sc.clusterSizes, sc.n), method);
  let denominator = normalizer - emi;
  // As the reference: keep the sign but never divide by less than machine epsilon.
  denominator = denominator < 0 ? Math.min(denominator, -Number.EPSILON) : Math.max(denominator, Number.EPSILON);
  return (mi - emi) / denominator;
}
