import { SegkitError } from '../util/errors.js';
import { encodeLabels, type EncodedLabels, type Labels } from './checkLabels.js';

/**
 * Labels for a metric on n rows: one integer per row and 2 <= clusters <= n - 1, as scikit-learn requires (any number
 * of clusters with `anyCount`: sums of squares and sizes are defined for one cluster or a row each).
 */
export function internalLabels(labels: Labels, n: number, anyCount = false): EncodedLabels {
  if (!labels || typeof labels.length !== 'number') throw new SegkitError('E_BAD_LABELS', 'labels must be an array of integers, one per row');
  if (labels.length !== n) throw new SegkitError('E_SHAPE_MISMATCH', `there are ${labels.length} labels for ${n} rows`);
  const enc = encodeLabels(labels, 'labels');
  const k = enc.values.length;
  if (!anyCount && (k < 2 || k > n - 1)) {
    throw new SegkitError('E_BAD_LABELS', `the labels form ${k} cluster${k === 1 ? '' : 's'}; valid values are 2 to n - 1 (${n - 1})`);
  }
  return enc;
}
