// The transform of a fitted pipeline made of an imputer and a scaler, on an Arrow table: each feature in one pass
// from the table's values straight into its Float32 column, with the same float64 arithmetic as the steps one by
// one (so the same bytes), and no float64 column in between.
import { DataType, Precision, type Table } from '#arrow';
import { fromFiniteColumns, type Dataset } from '../data/dataset.js';
import type { Pipeline, PipelineResult } from './pipeline.js';
import { arrowNumeric, type ColumnMeta } from './frame.js';
import { Imputer, type ImputerReport } from './imputer.js';
import { Scaler, type ScalerReport } from './scaler.js';
import type { PrepStep, StepReport } from './step.js';
import { convertValues, type ValueStep } from './convertValues.js';

/**
 * The fitted steps' result on `table`, or undefined when this path does not apply (steps other than one imputer
 * followed by one scaler, or either alone) or when a value would raise an error: the step-by-step transform then
 * runs, and raises it as it always has.
 */
export function elementwiseTransform<R>(
  table: Table, steps: readonly PrepStep[], inputs: readonly ColumnMeta[], featureNames: readonly string[], finish: (columns: Float32Array[], reports: StepReport[]) => R,
  reuse?: Float32Array[],
): R | undefined {
  const plan = valueSteps(steps, inputs, featureNames);
  if (!plan) return undefined;
  const n = table.numRows;
  if (namesTwice(table, featureNames)) return undefined;
  const filledBy = new Map<string, number>();
  const columns: Float32Array[] = [];
  for (const [q, name] of featureNames.entries()) {
    const vec = table.getChild(name);
    if (!vec || n === 0) return undefined;
    let out: Float32Array;
    if (reuse && reuse[q] && reuse[q].length >= n) out = reuse[q].subarray(0, n);
    else {
      out = new Float32Array(n);
      if (reuse) reuse[q] = out;
    }
    const step = plan.steps[q];
    let filled = 0;
    const type = vec.type as DataType;
    const direct = (DataType.isFloat(type) && type.precision !== Precision.HALF) || DataType.isInt(type);
    let row = 0;
    for (const chunk of vec.data) {
      // the table's values as they are (fixed-width buffers are sliced to the chunk; its offset is the bitmap's)
      const values = chunk.values as ArrayLike<number | bigint>;
      if (!direct || values instanceof BigInt64Array || values instanceof BigUint64Array) break;
      const bitmap = chunk.nullCount > 0 ? chunk.nullBitmap! : undefined;
      const got = convertValues(values as ArrayLike<number>, chunk.length, bitmap, chunk.offset, out, row, step);
      if (got < 0) return undefined;
      filled += got;
      row += chunk.length;
    }
    if (row < n) {
      // booleans, half floats and 64-bit integers: Arrow's own decoding, then the same pass
      let x: Float64Array;
      try {
        x = arrowNumeric(vec, name);
      } catch {
        return undefined;
      }
      filled = convertValues(x, n, undefined, 0, out, 0, step);
      if (filled < 0) return undefined;
    }
    filledBy.set(name, filled);
    columns.push(out);
  }
  return finish(columns, plan.reports(filledBy));
}

/**
 * Whether the table names a feature twice: the step-by-step path refuses it (which of the two is meant is unknown),
 * where reading a column by name would take the first.
 */
export function namesTwice(table: Table, featureNames: readonly string[]): boolean {
  const fields = table.schema.fields.map((f) => f.name);
  return featureNames.some((name) => fields.indexOf(name) !== fields.lastIndexOf(name));
}

/**
 * The per-feature conversion of a fitted imputer followed by a scaler (or either alone) on numeric inputs, and the
 * steps' reports from the values filled per column; undefined for any other pipeline.
 */
export function valueSteps(steps: readonly PrepStep[], inputs: readonly ColumnMeta[], featureNames: readonly string[]): { steps: ValueStep[]; reports: (filledBy: ReadonlyMap<string, number>) => StepReport[] } | undefined {
  const [imputer, scaler] = steps.length === 2 ? steps : steps[0] instanceof Imputer ? [steps[0]] : [undefined, steps[0]];
  if (steps.length > 2 || (imputer && !(imputer instanceof Imputer)) || (scaler && !(scaler instanceof Scaler))) return undefined;
  const names = inputs.map((c) => c.name);
  if (inputs.some((c) => c.kind !== 'numeric') || featureNames.join('\0') !== names.join('\0')) return undefined;
  if ([...(imputer?.columns ?? []), ...(scaler?.columns ?? [])].some((c) => !names.includes(c))) return undefined;
  const out = featureNames.map((name): ValueStep => {
    const qi = imputer ? imputer.columns.indexOf(name) : -1;
    const qs = scaler ? scaler.columns.indexOf(name) : -1;
    const method = qs >= 0 ? scaler!.methods[qs] : 'none';
    const fill = qi >= 0 ? imputer!.statistics[qi] : NaN;
    const scaled = method !== 'none', log = method === 'log1p' || method === 'log1pStandard';
    const center = scaled ? scaler!.centers[qs] : 0, scale = scaled ? scaler!.scales[qs] : 1;
    return { impute: qi >= 0, fill, scaled, log, center, scale };
  });
  const reports = (filledBy: ReadonlyMap<string, number>): StepReport[] => {
    const r: StepReport[] = [];
    if (imputer) r.push({ kind: 'imputer', columns: imputer.columns.map((column) => ({ column, filled: filledBy.get(column) ?? 0 })) } as ImputerReport);
    if (scaler) r.push({ kind: 'scaler', columns: scaler.columns } as ScalerReport);
    return r;
  };
  return { steps: out, reports };
}

/**
 * The transformed rows as a Dataset when the column-by-column path applies (else undefined): scoring's transform,
 * which needs no row index. `reuse` holds float32 buffers by feature, kept between calls: a buffer large enough is
 * written again (the previous call's dataset must be done with), others are replaced by new ones. `reports` gets the
 * steps' reports (the values each column's imputer filled).
 */
export function fastDataset(pipeline: Pipeline, table: Table, reuse?: Float32Array[], reports?: (steps: StepReport[]) => void): Dataset | undefined {
  return elementwiseTransform(table, pipeline.steps, pipeline.inputs, pipeline.featureNames, (columns, steps) => {
    reports?.(steps);
    return fromFiniteColumns(columns, pipeline.featureNames);
  }, reuse);
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
    return { dataset: fromFiniteColumns(columns, pipeline.featureNames), rowIndex, report: { rowsIn: n, rowsOut: n, steps } };
  });
  return fast ?? pipeline.transform(table);
}
