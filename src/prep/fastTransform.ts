// The transform of a fitted pipeline made of an imputer and a scaler, on an Arrow table: each feature in one pass
// from the table's values straight into its Float32 column, with the same float64 arithmetic as the steps one by
// one (so the same bytes), and no float64 column in between.
import { DataType, Precision, type Table } from 'apache-arrow';
import { fromColumns } from '../data/dataset.js';
import type { Pipeline, PipelineResult } from './pipeline.js';
import { arrowNumeric, type ColumnMeta } from './frame.js';
import { Imputer, type ImputerReport } from './imputer.js';
import { Scaler, type ScalerReport } from './scaler.js';
import type { PrepStep, StepReport } from './step.js';

/**
 * The fitted steps' result on `table`, or undefined when this path does not apply (steps other than one imputer
 * followed by one scaler, or either alone) or when a value would raise an error: the step-by-step transform then
 * runs, and raises it as it always has.
 */
export function elementwiseTransform<R>(
  table: Table, steps: readonly PrepStep[], inputs: readonly ColumnMeta[], featureNames: readonly string[], finish: (columns: Float32Array[], reports: StepReport[]) => R,
): R | undefined {
  const [imputer, scaler] = steps.length === 2 ? steps : steps[0] instanceof Imputer ? [steps[0]] : [undefined, steps[0]];
  if (steps.length > 2 || (imputer && !(imputer instanceof Imputer)) || (scaler && !(scaler instanceof Scaler))) return undefined;
  const names = inputs.map((c) => c.name);
  if (inputs.some((c) => c.kind !== 'numeric') || featureNames.join('\0') !== names.join('\0')) return undefined;
  if ([...(imputer?.columns ?? []), ...(scaler?.columns ?? [])].some((c) => !names.includes(c))) return undefined;
  const n = table.numRows;
  const filledBy = new Map<string, number>();
  const columns: Float32Array[] = [];
  for (const name of featureNames) {
    const vec = table.getChild(name);
    if (!vec || n === 0) return undefined;
    const qi = imputer ? imputer.columns.indexOf(name) : -1;
    const qs = scaler ? scaler.columns.indexOf(name) : -1;
    const method = qs >= 0 ? scaler!.methods[qs] : 'none';
    const fill = qi >= 0 ? imputer!.statistics[qi] : NaN;
    const scaled = method !== 'none', log = method === 'log1p' || method === 'log1pStandard';
    const center = scaled ? scaler!.centers[qs] : 0, scale = scaled ? scaler!.scales[qs] : 1;
    const out = new Float32Array(n);
    let filled = 0;
    // one pass, with each step's float64 operations in step order; -1 when a value needs the step-by-step path
    // (log1p's domain error, missing values left, float32 overflow are its errors to raise)
    const put = (v: number, i: number): number => {
      if (v !== v && qi >= 0) {
        v = fill;
        filled++;
      }
      if (scaled) {
        if (log) {
          if (v <= -1) return -1;
          v = Math.log1p(v);
        }
        v = (v - center) / scale;
      }
      const f = Math.fround(v);
      out[i] = f;
      return f - f === 0 ? 0 : -1;
    };
    const type = vec.type as DataType;
    const direct = (DataType.isFloat(type) && type.precision !== Precision.HALF) || DataType.isInt(type);
    let row = 0;
    for (const chunk of vec.data) {
      // the table's values as they are (fixed-width buffers are sliced to the chunk; its offset is the bitmap's)
      const values = chunk.values as ArrayLike<number | bigint>;
      if (!direct || values instanceof BigInt64Array || values instanceof BigUint64Array) break;
      const m = chunk.length, bitmap = chunk.nullCount > 0 ? chunk.nullBitmap! : undefined, offset = chunk.offset;
      const nums = values as ArrayLike<number>;
      for (let i = 0; i < m; i++) {
        let v = nums[i];
        if (bitmap && ((bitmap[(offset + i) >> 3] >> ((offset + i) & 7)) & 1) === 0) v = NaN;
        // an infinite value is an error of the step-by-step path
        else if (v === Infinity || v === -Infinity) return undefined;
        if (put(v, row + i) < 0) return undefined;
      }
      row += m;
    }
    if (row < n) {
      // booleans, half floats and 64-bit integers: Arrow's own decoding, then the same pass
      let x: Float64Array;
      try {
        x = arrowNumeric(vec, name);
      } catch {
        return undefined;
      }
      filled = 0;
      for (let i = 0; i < n; i++) if (put(x[i], i) < 0) return undefined;
    }
    filledBy.set(name, filled);
    columns.push(out);
  }
  const reports: StepReport[] = [];
  if (imputer) reports.push({ kind: 'imputer', columns: imputer.columns.map((column) => ({ column, filled: filledBy.get(column)! })) } as ImputerReport);
  if (scaler) reports.push({ kind: 'scaler', columns: scaler.columns } as ScalerReport);
  return finish(columns, reports);
}

/**
 * `pipeline.transform(table)` by the column-by-column path where it applies (the command line's scoring and
 * profiles); kept out of Pipeline itself so the neutral bundle stays small.
 */
export function fastTransform(pipeline: Pipeline, table: Table): PipelineResult {
  const fast = elementwiseTransform(table, pipeline.steps, pipeline.inputs, pipeline.featureNames, (columns, steps) => {
    const n = table.numRows;
    const rowIndex = new Int32Array(n);
    for (let i = 0; i < n; i++) rowIndex[i] = i;
    return { dataset: fromColumns({ columns, names: pipeline.featureNames }), rowIndex, report: { rowsIn: n, rowsOut: n, steps } };
  });
  return fast ?? pipeline.transform(table);
}
