// The transform of a fitted pipeline made only of imputers and scalers, on an Arrow table: each feature in one pass
// from the table's buffers straight into its Float32 column, with the same float64 arithmetic as the steps one by
// one (so the same bytes), and no float64 column in between.
import { DataType, Precision, type Table, type Vector } from 'apache-arrow';
import type { PipelineResult } from './pipeline.js';
import { Imputer, type ImputerReport } from './imputer.js';
import { Scaler, type ScalerReport } from './scaler.js';
import type { ColumnMeta } from './frame.js';
import type { PrepStep, StepReport } from './step.js';

/** What one step does to one column: fill missing values, or (x - center) / scale, after log1p for the log methods. */
type Stage = { fill: number; counter: { filled: number } } | { log: boolean; center: number; scale: number };

// fixed-width value arrays copied as they are (converted to float64 by one native copy)
const PLAIN = [Float64Array, Float32Array, Int32Array, Int16Array, Int8Array, Uint32Array, Uint16Array, Uint8Array];

/** The column's values as float64 with NaN for nulls, chunk by chunk into `scratch`; false for types this path leaves alone. */
function readNumbers(vec: Vector, scratch: Float64Array): boolean {
  const type = vec.type as DataType;
  if (!DataType.isInt(type) && !DataType.isFloat(type)) return false;
  if (DataType.isFloat(type) && type.precision === Precision.HALF) return false;
  let row = 0;
  for (const chunk of vec.data) {
    const values = chunk.values as ArrayLike<number>;
    if (!PLAIN.some((A) => values instanceof A)) return false;
    const n = chunk.length;
    scratch.set((values as Float64Array).subarray(0, n), row);
    if (chunk.nullCount > 0) {
      const bitmap = chunk.nullBitmap!;
      const offset = chunk.offset;
      for (let i = 0; i < n; i++) {
        const b = offset + i;
        if (((bitmap[b >> 3] >> (b & 7)) & 1) === 0) scratch[row + i] = NaN;
      }
    }
    row += n;
  }
  return true;
}

/**
 * The fitted steps' result on `table`, or undefined when this path does not apply (a step other than an imputer or
 * a scaler, a column that is not a plain number column) or when a value would raise an error: the step-by-step
 * transform then runs, and raises it as it always has.
 */
export function elementwiseTransform(
  table: Table, steps: readonly PrepStep[], inputs: readonly ColumnMeta[], featureNames: readonly string[], finish: (columns: Float32Array[], reports: StepReport[]) => PipelineResult,
): PipelineResult | undefined {
  if (!steps.every((s) => s instanceof Imputer || s instanceof Scaler)) return undefined;
  if (inputs.some((c) => c.kind !== 'numeric') || featureNames.length !== inputs.length || featureNames.some((name, j) => inputs[j].name !== name)) return undefined;
  const fields = table.schema.fields.map((f) => f.name);
  const n = table.numRows;
  if (n === 0) return undefined;
  // each column's stages, in step order
  const stages = new Map<string, Stage[]>(featureNames.map((name) => [name, []]));
  const reports: (() => StepReport)[] = [];
  for (const step of steps) {
    if (step instanceof Imputer) {
      const counters = step.columns.map((column, j) => {
        const counter = { filled: 0 };
        stages.get(column)?.push({ fill: step.statistics[j], counter });
        return { column, counter };
      });
      if (step.columns.some((c) => !stages.has(c))) return undefined;
      reports.push((): ImputerReport => ({ kind: 'imputer', columns: counters.map(({ column, counter }) => ({ column, filled: counter.filled })) }));
    } else {
      const s = step as Scaler;
      if (s.columns.some((c) => !stages.has(c))) return undefined;
      s.columns.forEach((column, j) => {
        const method = s.methods[j];
        if (method === 'none') return;
        stages.get(column)!.push({ log: method === 'log1p' || method === 'log1pStandard', center: s.centers[j], scale: s.scales[j] });
      });
      const columns = s.columns;
      reports.push((): ScalerReport => ({ kind: 'scaler', columns }));
    }
  }
  const scratch = new Float64Array(n);
  const columns: Float32Array[] = [];
  for (const name of featureNames) {
    const idx = fields.indexOf(name);
    if (idx < 0 || !readNumbers(table.getChildAt(idx)!, scratch)) return undefined;
    const out = new Float32Array(n);
    const list = stages.get(name)!;
    // the common case, a fill then a linear scaling, in one pass: the same operations, in the same order
    if (list.length === 2 && 'fill' in list[0] && !('fill' in list[1]) && !list[1].log) {
      const { fill, counter } = list[0];
      const { center, scale } = list[1];
      let filled = 0;
      for (let i = 0; i < n; i++) {
        let v = scratch[i];
        if (v !== v) {
          v = fill;
          filled++;
        }
        const x = (v - center) / scale;
        out[i] = x;
        if (out[i] - out[i] !== 0) return undefined;
      }
      counter.filled = filled;
      columns.push(out);
      continue;
    }
    for (const stage of list) {
      if ('fill' in stage) {
        const fill = stage.fill;
        let filled = 0;
        for (let i = 0; i < n; i++) {
          if (scratch[i] !== scratch[i]) {
            scratch[i] = fill;
            filled++;
          }
        }
        stage.counter.filled = filled;
      } else {
        const { center, scale } = stage;
        if (stage.log) {
          for (let i = 0; i < n; i++) {
            const v = scratch[i];
            // log1p's domain error is raised by the step-by-step path
            if (v <= -1) return undefined;
            scratch[i] = (Math.log1p(v) - center) / scale;
          }
        } else {
          for (let i = 0; i < n; i++) scratch[i] = (scratch[i] - center) / scale;
        }
      }
    }
    out.set(scratch);
    // infinite inputs, missing values left and float32 overflows are all errors of the step-by-step path
    for (let i = 0; i < n; i++) if (out[i] - out[i] !== 0) return undefined;
    columns.push(out);
  }
  return finish(columns, reports.map((r) => r()));
}
