import { checkLabels, type Labels } from './checkLabels.js';

/** How well predicted classes match the true ones, overall and per class. */
export interface ClassificationScores {
  /** The classes scored: every label in either array, ascending (scikit-learn's unique_labels). */
  readonly labels: number[];
  readonly accuracy: number;
  /** Mean recall over the classes present in the truth (scikit-learn's balanced_accuracy_score). */
  readonly balancedAccuracy: number;
  /** Per class, in `labels` order; 0 where a class is never predicted (precision) or never true (recall). */
  readonly precision: number[];
  readonly recall: number[];
  readonly f1: number[];
  /** True rows of each class. */
  readonly support: number[];
  readonly precisionMacro: number;
  readonly recallMacro: number;
  readonly f1Macro: number;
  /** confusion[t][p]: rows of true class labels[t] predicted as labels[p]. */
  readonly confusion: number[][];
}

/**
 * Accuracy, balanced accuracy, precision, recall and F1 per class and macro-averaged, and the confusion matrix,
 * as scikit-learn 1.2 computes them with zero_division = 0.
 * @example
 * classificationScores(truth, predicted).f1Macro;
 */
export function classificationScores(truth: Labels, predicted: Labels): ClassificationScores {
  const { n, classes, clusters } = checkLabels(truth, predicted);
  const labels = [...new Set([...classes.values, ...clusters.values])].sort((a, b) => a - b);
  const L = labels.length;
  const at = new Map(labels.map((l, i) => [l, i]));
  const t = Int32Array.from(classes.values, (v) => at.get(v)!);
  const p = Int32Array.from(clusters.values, (v) => at.get(v)!);
  const confusion = Array.from({ length: L }, () => new Array<number>(L).fill(0));
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const a = t[classes.index[i]], b = p[clusters.index[i]];
    confusion[a][b]++;
    if (a === b) correct++;
  }
  const support = confusion.map((row) => row.reduce((s, v) => s + v, 0));
  const predictedCount = labels.map((_, j) => confusion.reduce((s, row) => s + row[j], 0));
  const precision = labels.map((_, j) => (predictedCount[j] > 0 ? confusion[j][j] / predictedCount[j] : 0));
  const recall = labels.map((_, j) => (support[j] > 0 ? confusion[j][j] / support[j] : 0));
  const f1 = labels.map((_, j) => (precision[j] + recall[j] > 0 ? (2 * precision[j] * recall[j]) / (precision[j] + recall[j]) : 0));
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const present = labels.map((_, j) => j).filter((j) => support[j] > 0);
  return {
    labels, accuracy: correct / n, balancedAccuracy: mean(present.map((j) => recall[j])),
    precision, recall, f1, support,
    precisionMacro: mean(precision), recallMacro: mean(recall), f1Macro: mean(f1),
    confusion,
  };
}
