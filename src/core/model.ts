import type { DataInput } from '../data/dataset.js';
import type { Executor } from '../engine/executor.js';

/** Where a scan runs and how to stop it: every function that scans data takes these. */
export interface RunOptions {
  /** The executor to run on (default: the shared one for `threads`). */
  executor?: Executor;
  /** Threads of the shared default executor (default: every core in Node, 1 elsewhere); not with `executor`. */
  threads?: number;
  signal?: AbortSignal;
}

/** The JSON form every model shares: `kind` says which reader `loadModel` uses. */
export interface ModelJSON {
  readonly kind: string;
  readonly version: number;
  readonly k: number;
  readonly featureNames: readonly string[];
}

/**
 * What every fitted segmentation model offers (scikit-learn's estimator contract): chooseK, SegmentModel, the
 * report and the command line speak to this, never to one algorithm.
 */
export interface SegmentationModel {
  readonly kind: string;
  readonly k: number;
  /** Labels of the training rows (empty for a model loaded from JSON). */
  readonly labels: Int32Array;
  readonly featureNames: readonly string[];
  /** Rows the model was fitted on. */
  readonly nSamples: number;
  /** Segment of each row: Arrow tables are matched by column name, other inputs by position. */
  predict(data: DataInput, options?: RunOptions): Promise<Int32Array>;
  toJSON(): ModelJSON;
}
