import { type Data, Float32, Float64, Int32, makeData, type Table } from '#arrow';
import { SegkitError, badOption, describe } from '../util/errors.js';
import { tableWithColumns, utf8Data } from './arrowTable.js';
import { arrowTableArg } from './dataset.js';

/** Values of a new column: numbers (Int32, Float32 or Float64, by the array's type) or text (null for missing). */
export type NewColumn = Int32Array | Float32Array | Float64Array | readonly (string | null)[];

function columnData(name: string, values: NewColumn, n: number): Data {
  if (values.length !== n) throw new SegkitError('E_SHAPE_MISMATCH', `new column "${name}" has ${values.length} values for ${n} rows`);
  if (values instanceof Int32Array) return makeData({ type: new Int32(), length: n, nullCount: 0, data: values });
  if (values instanceof Float32Array) return makeData({ type: new Float32(), length: n, nullCount: 0, data: values });
  if (values instanceof Float64Array) return makeData({ type: new Float64(), length: n, nullCount: 0, data: values });
  if (Array.isArray(values)) {
    values.forEach((v, i) => {
      if (v !== null && typeof v !== 'string') throw new SegkitError('E_BAD_OPTION', `new column "${name}", row ${i} is ${describe(v)}, not a string or null`);
    });
    return utf8Data(values);
  }
  throw badOption(`columns.${name}`, values, 'an Int32Array, Float32Array, Float64Array or an array of strings');
}

/**
 * The table with columns added after its own (which are kept as they are): segment labels and names beside the
 * customers, say. A name the table already has is an error, not a silent overwrite.
 * @example
 * const out = withColumns(customers, { segment: labels, segment_name: Array.from(labels, (l) => names[l]) });
 */
export function withColumns(table: Table, columns: Readonly<Record<string, NewColumn>>): Table {
  arrowTableArg(table, 'withColumns');
  const fields = table.schema.fields;
  const taken = new Set(fields.map((f) => f.name));
  const added = Object.entries(columns ?? {});
  for (const [name] of added) {
    if (taken.has(name)) throw new SegkitError('E_BAD_OPTION', `the table already has a column "${name}"`, 'choose another name for the new column');
  }
  return tableWithColumns(
    table,
    fields.map((_, j) => j),
    [...fields.map((f) => f.name), ...added.map(([name]) => name)],
    added.map(([name, values]) => columnData(name, values, table.numRows)),
  );
}
