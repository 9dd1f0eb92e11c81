// A prepared feature's values in float64 where float32 would move them (segment profiles, refit summaries).
import type { Imputer } from './imputer.js';

/**
 * Rows `rows` of a feature's float64 values `raw` (the imputer's fill for `name` where missing), or its prepared
 * float32 column `c` when one of them does not round to c's value (the preparation did more than impute it).
 */
export function float64Values(c: Float32Array | Float64Array, raw: ArrayLike<number>, rows: Int32Array, name: string, imputer: Imputer | undefined): Float32Array | Float64Array {
  const q = imputer ? imputer.columns.indexOf(name) : -1;
  const fill = q >= 0 ? imputer!.statistics[q] : NaN;
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const v = raw[rows[i]];
    out[i] = v === v ? v : fill;
    if (Math.fround(out[i]) !== c[i]) return c;
  }
  return out;
}
