import { SegkitError, describe } from '../util/errors.js';
import { closestName } from '../util/options.js';

/** Rows to explain: arrays (or typed arrays) in the model's feature order, or objects keyed by feature name. */
export type RowsInput = readonly (readonly number[] | Float64Array | Float32Array | Readonly<Record<string, number>>)[];

/**
 * Rows as float32 values in the model's feature order (what predict compares). An object naming a feature the
 * model does not have, or missing one it has, is an error naming it.
 */
export function readRows(featureNames: readonly string[], rows: RowsInput, fn: string): Float64Array[] {
  if (!Array.isArray(rows)) throw new SegkitError('E_BAD_OPTION', `${fn}: rows must be an array of rows, got ${describe(rows)}`);
  const d = featureNames.length;
  // index by index: map and forEach skip the holes of a sparse array, which would leave a row out or read a value as 0
  return Array.from(rows, (row, i) => {
    const out = new Float64Array(d);
    // a Float64Array is a row in feature order too, not an object whose keys "0", "1" would be read as feature names
    const list = Array.isArray(row) || (ArrayBuffer.isView(row) && !(row instanceof DataView)) ? (row as ArrayLike<unknown>) : null;
    if (list) {
      if (list.length !== d) throw new SegkitError('E_SHAPE_MISMATCH', `${fn}: row ${i} has ${list.length} values, the model has ${d} features (${featureNames.join(', ')})`);
      for (let j = 0; j < d; j++) out[j] = value(list[j], i, featureNames[j], fn);
      return out;
    }
    if (!row || typeof row !== 'object') throw new SegkitError('E_BAD_OPTION', `${fn}: row ${i} is ${describe(row)}, not an array or an object of feature values`);
    for (const key of Object.keys(row)) {
      if (!featureNames.includes(key)) {
        const near = closestName(key, featureNames);
        throw new SegkitError('E_MISSING_COLUMN', `${fn}: row ${i} has feature "${key}", which the model does not use${near ? `; did you mean "${near}"?` : ''}`, `the model's features: ${featureNames.join(', ')}`);
      }
    }
    featureNames.forEach((name, j) => {
      if (!Object.hasOwn(row, name)) throw new SegkitError('E_MISSING_COLUMN', `${fn}: row ${i} has no value for feature "${name}"`, `the model's features: ${featureNames.join(', ')}`);
      out[j] = value((row as Record<string, number>)[name], i, name, fn);
    });
    return out;
  });
}

function value(v: unknown, i: number, name: string, fn: string): number {
  if (typeof v !== 'number' || !Number.isFinite(Math.fround(v))) {
    throw new SegkitError('E_NAN_INPUT', `${fn}: row ${i}, feature "${name}" holds ${describe(v)}; features must be finite numbers`);
  }
  return Math.fround(v);
}
