import type { DataInput } from '../data/dataset.js';
import type { RunOptions } from '../engine/executor.js';

export type { RunOptions };

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
  /** Of those, rows in no cluster (the noise of a density model); absent means none. */
  readonly nUnassigned?: number;
  /** Segment of each row: Arrow tables are matched by column name, other inputs by position. */
  predict(data: DataInput, options?: RunOptions): Promise<Int32Array>;
  toJSON(): ModelJSON;
}
