// Segment profiles in the customers' own float64 values where float32 would move them (segment, train).
import { DataType, type Table, type Vector } from '#arrow';
import type { Dataset } from '../data/dataset.js';
import { arrowNumeric } from '../prep/frame.js';
import { Imputer } from '../prep/imputer.js';
import type { PrepStep } from '../prep/step.js';
import { float64Values } from '../prep/float64Values.js';

/**
 * The profile's columns in float64 where a feature is a numeric column of the table that the preparation at most
 * imputed (its values, the imputer's fill where missing), else its float32 column: float32 keeps about 7 significant
 * digits of a value, so a column near 1e9 that varies by 20 would profile every segment at one mean. A float64
 * column is made only where float32 moves some value by more than 1e-5 of the column's range (most columns keep
 * their float32 values, and no copy), and used only where it rounds to the float32 one row for row.
 */
export function float64Profile(profile: Dataset, table: Table, rows: Int32Array, steps: readonly PrepStep[]): { n: number; d: number; names: readonly string[]; columns: (Float32Array | Float64Array)[] } {
  const imputer = steps.find((s): s is Imputer => s instanceof Imputer);
  const columns = profile.columns.map((c, j): Float32Array | Float64Array => {
    const name = profile.names[j];
    const vec = table.getChild(name);
    const type = vec?.type as DataType | undefined;
    if (!vec || !type || !(DataType.isFloat(type) || DataType.isInt(type))) return c;
    if (!float32Moves(vec)) return c;
    return float64Values(c, arrowNumeric(vec, name), rows, name, imputer);
  });
  return { n: profile.n, d: profile.d, names: profile.names, columns };
}

/** Whether float32 moves some value of a numeric column by more than 1e-5 of its range (nulls and non-finite skipped). */
function float32Moves(vec: Vector): boolean {
  let lo = Infinity, hi = -Infinity, moved = 0;
  for (const chunk of vec.data) {
    const values = chunk.values as ArrayLike<number | bigint>;
    // 64-bit integers and half floats: decided on the column's float64 values
    if (values instanceof BigInt64Array || values instanceof BigUint64Array || values instanceof Uint16Array) return true;
    const bitmap = chunk.nullCount > 0 ? chunk.nullBitmap : undefined;
    for (let i = 0; i < chunk.length; i++) {
      if (bitmap && ((bitmap[(chunk.offset + i) >> 3] >> ((chunk.offset + i) & 7)) & 1) === 0) continue;
      const v = values[i] as number;
      if (!(v - v === 0)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      const m = Math.abs(Math.fround(v) - v);
      if (m > moved) moved = m;
    }
  }
  return moved * 1e5 > hi - lo;
}
