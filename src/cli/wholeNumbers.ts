// Float64 columns of whole numbers as integer columns, so that CSV writes them as they were written (33, not 33.0).
import { type Data, DataType, type Float, Int32, Int64, Precision, type Table, makeData } from '#arrow';
import { singleChunk, tableFromColumns } from '../data/arrowTable.js';

/**
 * The batch with Float64 columns that hold only whole numbers as integer columns. Streamed batches read every
 * number column as Float64 (a later batch may hold fractions), which CSV would print as "33.0"; printed as integers,
 * scored CSV keeps the input's text for whole-number columns. `only`: that column alone (an id column).
 */
export function wholeNumbersAsIntegers(table: Table, only?: string): Table {
  let changed = false;
  const data = table.schema.fields.map((field, j) => {
    const d = singleChunk(table.getChildAt(j)!);
    if ((only !== undefined && field.name !== only) || !DataType.isFloat(field.type) || (field.type as Float).precision !== Precision.DOUBLE || d.offset !== 0) return d;
    const values = d.values as Float64Array;
    const bitmap = d.nullCount > 0 ? d.nullBitmap : undefined;
    let small = true;
    for (let i = 0; i < d.length; i++) {
      // null slots hold arbitrary values; they are masked by the validity bitmap
      if (bitmap && ((bitmap[i >> 3] >> (i & 7)) & 1) === 0) continue;
      const v = values[i];
      if (!Number.isSafeInteger(v) || (v === 0 && 1 / v < 0)) return d;
      if (v > 2147483647 || v < -2147483648) small = false;
    }
    changed = true;
    let out: Int32Array | BigInt64Array;
    if (small) {
      // null slots become 0 or a wrapped integer, masked as before
      out = new Int32Array(d.length);
      out.set(values);
    } else {
      const big = new BigInt64Array(d.length);
      for (let i = 0; i < d.length; i++) big[i] = BigInt(Number.isSafeInteger(values[i]) ? values[i] : 0);
      out = big;
    }
    return makeData({ type: small ? new Int32() : new Int64(), length: d.length, nullCount: d.nullCount, nullBitmap: d.nullBitmap, data: out } as never);
  });
  return changed ? tableFromColumns(table.schema.fields.map((f) => f.name), data as Data[], table.schema.metadata) : table;
}
