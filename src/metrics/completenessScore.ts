import type { Labels } from './checkLabels.js';
import { homogeneityCompletenessVMeasure } from './homogeneityCompletenessVMeasure.js';

/**
 * Completeness (Rosenberg and Hirschberg, 2007): 1 when all members of each class fall in the same cluster, as
 * scikit-learn's `completeness_score`. Not symmetric: swapping the arguments gives the homogeneity.
 *
 * @example
 * completenessScore([0, 0, 1, 1], [0, 0, 0, 0]); // 1: one cluster holds every class whole
 */
export function completenessScore(labelsTrue: Labels, labelsPred: Labels): number {
  return homogeneityCompletenessVMeasure(labelsTrue, labelsPred).completeness;
}
