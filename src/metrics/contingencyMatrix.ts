import { SegkitError } from '../util/errors.js';
import { checkLabels, type LabelPair, type Labels } from './checkLabels.js';

/** Counts of samples per (true class, predicted cluster). */
export interface ContingencyMatrix {
  /** Distinct ids of `labelsTrue`, ascending: row i of the table is class `classes[i]`. */
  readonly classes: number[];
  /** Distinct ids of `labelsPred`, ascending: column j of the table is cluster `clusters[j]`. */
  readonly clusters: number[];
  /** Row-major counts, `classes.length * clusters.length` entries: `table[i * clusters.length + j]`. */
  readonly table: Int32Array;
}

/** The non-zero cells of a contingency matrix, row-major, with its margins; what every external metric needs. */
export interface SparseContingency {
  readonly n: number;
  readonly classes: number[];
  readonly clusters: number[];
  /** Samples per class (row sums). */
  readonly classSizes: Float64Array;
  /** Samples per cluster (column sums). */
  readonly clusterSizes: Float64Array;
  readonly cellRow: Int32Array;
  readonly cellCol: Int32Array;
  readonly cellCount: Float64Array;
}

// A dense Int32 table beyond this many cells (1 GiB) is refused; the metrics never build one.
const MAX_DENSE_CELLS = 2 ** 28;

/**
 * Builds the non-zero cells in O(n + classes + clusters) whatever the number of classes times clusters:
 * samples are bucketed by class, then each class row is counted in a scratch array that is cleared as it is read.
 */
export function sparseContingency(pair: LabelPair): SparseContingency {
  const { n, classes, clusters } = pair;
  const R = classes.values.length;
  const C = clusters.values.length;
  const ci = classes.index;
  const kj = clusters.index;
  const classSizes = new Float64Array(R);
  const clusterSizes = new Float64Array(C);
  const rowStart = new Int32Array(R + 1);
  for (let i = 0; i < n; i++) {
    rowStart[ci[i] + 1]++;
    clusterSizes[kj[i]]++;
  }
  for (let r = 0; r < R; r++) {
    classSizes[r] = rowStart[r + 1];
    rowStart[r + 1] += rowStart[r];
  }
  const fill = rowStart.slice(0, R);
  const colsByRow = new Int32Array(n);
  for (let i = 0; i < n; i++) colsByRow[fill[ci[i]]++] = kj[i];

  const cap = Math.min(n, R * C);
  const cellRow = new Int32Array(cap);
  const cellCol = new Int32Array(cap);
  const cellCount = new Float64Array(cap);
  const scratch = new Int32Array(C);
  const touched = new Int32Array(C);
  let nnz = 0;
  for (let r = 0; r < R; r++) {
    let t = 0;
    for (let p = rowStart[r]; p < rowStart[r + 1]; p++) {
      const c = colsByRow[p];
      if (scratch[c]++ === 0) touched[t++] = c;
    }
    const cols = touched.subarray(0, t).sort();
    for (let q = 0; q < t; q++) {
      const c = cols[q];
      cellRow[nnz] = r;
      cellCol[nnz] = c;
      cellCount[nnz] = scratch[c];
      scratch[c] = 0;
      nnz++;
    }
  }
  return {
    n,
    classes: classes.values,
    clusters: clusters.values,
    classSizes,
    clusterSizes,
    cellRow: cellRow.subarray(0, nnz),
    cellCol: cellCol.subarray(0, nnz),
    cellCount: cellCount.subarray(0, nnz),
  };
}

/**
 * The contingency matrix of two labelings, as scikit-learn's `contingency_matrix`: rows are the true classes and
 * columns the predicted clusters, both in ascending order of their ids.
 *
 * @example
 * const { classes, clusters, table } = contingencyMatrix([2, -1, 2, 7, 7], [0, 0, 5, 5, 5]);
 * // classes [-1, 2, 7], clusters [0, 5], table Int32Array [1, 0,  1, 1,  0, 2]
 */
export function contingencyMatrix(labelsTrue: Labels, labelsPred: Labels): ContingencyMatrix {
  const sc = sparseContingency(checkLabels(labelsTrue, labelsPred));
  const R = sc.classes.length;
  const C = sc.clusters.length;
  if (R * C > MAX_DENSE_CELLS) {
    throw new SegkitError(
      'E_MEMORY',
      `a dense contingency table of ${R} classes x ${C} clusters would hold ${R * C} cells`,
      'the clustering metrics work without a dense table; compare fewer distinct labels to build one',
    );
  }
  const table = new Int32Array(R * C);
  for (let q = 0; q < sc.cellCount.length; q++) table[sc.cellRow[q] * C + sc.cellCol[q]] = sc.cellCount[q];
  return { classes: sc.classes, clusters: sc.clusters, table };
}
