import { checkOptions, orDefault } from '../util/options.js';
import { badOption } from '../util/errors.js';
import { checkLabels, type Labels } from './checkLabels.js';
import { sparseContingency } from './contingencyMatrix.js';
import { mutualInfo, partitionEntropy } from './mutualInfoScore.js';

export interface VMeasureOptions {
  /** Weight of completeness against homogeneity: above 1 favours completeness, below 1 homogeneity. */
  readonly beta?: number;
}

export interface HomogeneityCompletenessVMeasure {
  readonly homogeneity: number;
  readonly completeness: number;
  readonly vMeasure: number;
}

const DEFAULTS: Required<VMeasureOptions> = Object.freeze({ beta: 1 });

function checkBeta(options: VMeasureOptions | undefined): number {
  checkOptions(options, ['beta'], 'vMeasureScore');
  const beta = orDefault(options?.beta, DEFAULTS.beta);
  if (typeof beta !== 'number' || !Number.isFinite(beta) || beta <= 0) throw badOption('beta', beta, 'a finite number > 0');
  return beta;
}

/**
 * Homogeneity, completeness and their weighted harmonic mean, the V-measure (Rosenberg and Hirschberg, 2007),
 * computed together from one contingency table, as scikit-learn's `homogeneity_completeness_v_measure`.
 * A labeling with a single class (or cluster) has zero entropy and is scored 1 for homogeneity (or completeness).
 *
 * @example
 * homogeneityCompletenessVMeasure([0, 0, 1, 1], [0, 0, 1, 2]);
 * // ≈ { homogeneity: 1, completeness: 0.667, vMeasure: 0.8 }
 */
export function homogeneityCompletenessVMeasure(
  labelsTrue: Labels,
  labelsPred: Labels,
  options?: VMeasureOptions,
): HomogeneityCompletenessVMeasure {
  const beta = checkBeta(options);
  const sc = sparseContingency(checkLabels(labelsTrue, labelsPred));
  const entropyC = partitionEntropy(sc.classSizes, sc.n);
  const entropyK = partitionEntropy(sc.clusterSizes, sc.n);
  const mi = mutualInfo(sc);
  const homogeneity = entropyC ? mi / entropyC : 1;
  const completeness = entropyK ? mi / entropyK : 1;
  const vMeasure =
    homogeneity + completeness === 0 ? 0 : ((1 + beta) * homogeneity * completeness) / (beta * homogeneity + completeness);
  return { homogeneity, completeness, vMeasure };
}
