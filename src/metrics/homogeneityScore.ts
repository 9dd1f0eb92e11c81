import type { Labels } from './checkLabels.js';
import { homogeneityCompletenessVMeasure } from './homogeneityCompletenessVMeasure.js';

/**
 * Homogeneity (Rosenberg and Hirschberg, 2007): 1 when every cluster holds members of a single class, as
 * scikit-learn's `homogeneity_score`. Not symmetric: swapping the arguments gives the completeness.
 *
 * @example
 * homogeneityScore([0, 0, 1, 1], [0, 1, 2, 3]); // ≈ 1: splitting classes keeps clusters pure
 */
export function homogeneityScore(labelsTrue: Labels, labelsPred: Labels): number {
  return homogeneityCompletenessVMeasure(labelsTrue, labelsPred).homogeneity;
}
