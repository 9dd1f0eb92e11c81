// Scoring a batch with a k-means model behind an imputer and a scaler, with the preparation done in the pass: the
// batch's float64 columns are loaded as they are and every thread converts, centres and labels its own shards
// (`transformLabelOp`), where the column-by-column transform would convert every value on the calling thread first.
import { DataType, Precision, type Table } from '#arrow';
import type { RunOptions } from '../engine/executor.js';
import { scanThenMap } from '../engine/executor.js';
import { resolveExecutor } from '../engine/defaultExecutor.js';
import { rangeScale, SQUARED_NORM_LIMIT } from '../engine/matrix.js';
import { KMeansModel } from '../core/kmeansModel.js';
import { transformLabelOp, type NullBits } from '../core/transformLabelOp.js';
import { namesTwice, valueSteps } from '../prep/fastTransform.js';
import type { StepReport } from '../prep/step.js';
import type { SegmentModel } from '../workflow/segmentModel.js';

/** Shards per thread for a batch: the calling thread and the workers each take several, so they finish together. */
const SHARDS_PER_THREAD = 4;

/**
 * The labels `model.predict(batch)` gives and the preparation's reports (the values each column's imputer filled),
 * or undefined where this path does not apply: another model or pipeline, an explicit executor, a feature named
 * twice, a feature column that is not one chunk of float64 (nulls are read from its bitmap), a model whose centres make
 * scoring scale the rows, or a value the conversion cannot carry or a row too far from the model (the caller's path
 * then raises its error). `meanwhile`: the caller's work beside the pass (`LoadOptions.meanwhile`).
 */
export async function transformLabel(model: SegmentModel, batch: Table, run: RunOptions, meanwhile?: () => void): Promise<{ labels: Int32Array; steps: StepReport[] } | undefined> {
  const km = model.model;
  if (!(km instanceof KMeansModel) || run.executor !== undefined) return undefined;
  const { pipeline } = model;
  const plan = valueSteps(pipeline.steps, pipeline.inputs, pipeline.featureNames);
  const n = batch.numRows;
  if (!plan || n === 0 || namesTwice(batch, pipeline.featureNames)) return undefined;
  const columns: Float64Array[] = [];
  const nulls: NullBits[] = [];
  for (const [j, name] of pipeline.featureNames.entries()) {
    const vec = batch.getChild(name);
    if (!vec || vec.data.length !== 1) return undefined;
    const chunk = vec.data[0];
    const type = chunk.type as DataType;
    const values = chunk.values as unknown;
    if (!DataType.isFloat(type) || type.precision !== Precision.DOUBLE || !(values instanceof Float64Array) || values.length < n) return undefined;
    if (chunk.nullCount !== 0 && !chunk.nullBitmap) return undefined;
    columns.push(values.length === n ? values : values.subarray(0, n));
    // the bitmap's own bytes for these rows (a view into the batch's body would carry the whole body to each worker)
    const at = chunk.offset;
    if (chunk.nullCount !== 0) nulls.push({ j, bits: chunk.nullBitmap!.slice(at >> 3, (at + n + 7) >> 3), offset: at & 7 });
  }
  const state = km.scoringState();
  // scoring holds every row at the model's range: a scale other than 1 is the load's to apply
  if (rangeScale(state.far, 1) !== 1) return undefined;
  const ex = resolveExecutor(run);
  const shardRows = Math.max(16, Math.ceil(n / (SHARDS_PER_THREAD * ex.threads) / 16) * 16);
  const { handle, partials } = await scanThenMap(ex, { columns, rows: {} }, transformLabelOp,
    { steps: plan.steps, nulls, offset: state.offset, cent: state.cent, norms: state.norms, k: km.k }, { dtype: 'f64', shardRows, signal: run.signal, meanwhile });
  try {
    let sumSquares = 0;
    for (const p of partials) sumSquares += p.sumSquares;
    // a value the conversion cannot carry, or rows far enough from the model for the load's range check
    if (!partials.every((p) => p.ok) || !(sumSquares <= SQUARED_NORM_LIMIT)) return undefined;
    const labels = (await ex.readRows(handle, 'labels')) as Int32Array;
    const filledBy = new Map<string, number>();
    pipeline.featureNames.forEach((name, j) => {
      let filled = 0;
      for (const p of partials) filled += p.filled[j];
      filledBy.set(name, filled);
    });
    return { labels, steps: plan.reports(filledBy) };
  } finally {
    await ex.release(handle);
  }
}

