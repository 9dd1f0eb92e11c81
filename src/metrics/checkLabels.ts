import { SegkitError, describe } from '../util/errors.js';

/** Cluster or class labels: any integers (negative ids such as -1 for noise are fine). */
export type Labels = ArrayLike<number>;

/** One labeling re-encoded as 0..values.length-1, in ascending order of the original ids (numpy.unique order). */
export interface EncodedLabels {
  /** The distinct original ids, ascending. */
  readonly values: number[];
  /** For each sample, the position of its id in `values`. */
  readonly index: Int32Array;
}

/** Two labelings of the same samples, validated and re-encoded. */
export interface LabelPair {
  readonly n: number;
  readonly classes: EncodedLabels;
  readonly clusters: EncodedLabels;
}

// Integer typed arrays cannot hold a fractional or non-finite value, so their values need no per-element check.
function holdsIntegersOnly(a: Labels): boolean {
  return (
    a instanceof Int32Array || a instanceof Uint32Array || a instanceof Int16Array || a instanceof Uint16Array ||
    a instanceof Int8Array || a instanceof Uint8Array || a instanceof Uint8ClampedArray
  );
}

function isArrayLike(a: unknown): a is Labels {
  if (Array.isArray(a) || ArrayBuffer.isView(a)) return !(a instanceof DataView) && !(a instanceof BigInt64Array) && !(a instanceof BigUint64Array);
  return false;
}

/** Validates one labeling (integers only) and re-encodes it as dense ids 0..values.length-1. */
export function encodeLabels(labels: Labels, name: string): EncodedLabels {
  const n = labels.length;
  let min = Infinity;
  let max = -Infinity;
  const trusted = holdsIntegersOnly(labels);
  for (let i = 0; i < n; i++) {
    const v = labels[i];
    if (!trusted && (typeof v !== 'number' || !Number.isInteger(v))) {
      throw new SegkitError('E_BAD_LABELS', `${name}[${i}] is ${describe(v)}; labels must be finite integers`, 'encode string or float labels as integer ids first');
    }
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const index = new Int32Array(n);
  const span = max - min + 1;
  // A lookup table indexed by (id - min) is linear time; only sparse, far-apart ids need a hash map and a sort.
  if (span <= 2 * n + 1024) {
    const slot = new Int32Array(span).fill(-1);
    for (let i = 0; i < n; i++) slot[labels[i] - min] = 0;
    const values: number[] = [];
    for (let k = 0; k < span; k++) {
      if (slot[k] === 0) {
        slot[k] = values.length;
        values.push(min + k);
      }
    }
    for (let i = 0; i < n; i++) index[i] = slot[labels[i] - min];
    return { values, index };
  }
  const seen = new Map<number, number>();
  for (let i = 0; i < n; i++) seen.set(labels[i], 0);
  const values = Float64Array.from(seen.keys()).sort();
  for (let k = 0; k < values.length; k++) seen.set(values[k], k);
  for (let i = 0; i < n; i++) index[i] = seen.get(labels[i])!;
  return { values: Array.from(values), index };
}

/**
 * Validates two labelings of the same samples and re-encodes both as dense ids, as scikit-learn's
 * `check_clusterings` + `numpy.unique(..., return_inverse=True)` do. The inputs are never modified.
 */
export function checkLabels(labelsTrue: Labels, labelsPred: Labels): LabelPair {
  if (!isArrayLike(labelsTrue)) {
    throw new SegkitError('E_BAD_LABELS', `labelsTrue must be an array of integer labels, got ${describe(labelsTrue)}`);
  }
  if (!isArrayLike(labelsPred)) {
    throw new SegkitError('E_BAD_LABELS', `labelsPred must be an array of integer labels, got ${describe(labelsPred)}`);
  }
  if (labelsTrue.length !== labelsPred.length) {
    throw new SegkitError(
      'E_SHAPE_MISMATCH',
      `labelsTrue has ${labelsTrue.length} labels but labelsPred has ${labelsPred.length}; both must label the same samples`,
    );
  }
  if (labelsTrue.length === 0) throw new SegkitError('E_EMPTY_DATA', 'labelsTrue and labelsPred are empty');
  return { n: labelsTrue.length, classes: encodeLabels(labelsTrue, 'labelsTrue'), clusters: encodeLabels(labelsPred, 'labelsPred') };
}
