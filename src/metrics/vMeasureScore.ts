import type { Labels } from './checkLabels.js';
import { homogeneityCompletenessVMeasure, type VMeasureOptions } from './homogeneityCompletenessVMeasure.js';

/**
 * V-measure (Rosenberg and Hirschberg, 2007): `(1 + beta) * h * c / (beta * h + c)` of homogeneity h and
 * completeness c, as scikit-learn's `v_measure_score`. With beta = 1 (the default) it equals the normalized mutual
 * information with arithmetic averaging, and it is symmetric.
 *
 * @example
 * vMeasureScore([0, 0, 1, 2], [0, 0, 1, 1]); // ≈ 0.8
 * vMeasureScore([0, 0, 1, 2], [0, 0, 1, 1], { beta: 2 }); // weighs completeness more
 */
export function vMeasureScore(labelsTrue: Labels, labelsPred: Labels, options?: VMeasureOptions): number {
  return homogeneityCompletenessVMeasure(labelsTrue, labelsPred, options).vMeasure;
}
