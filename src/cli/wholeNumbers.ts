// Float64 columns of whole numbers as integer columns, so that CSV writes them as they were written (33, not 33.0).
import { type Data, DataType, type Float, Field, Int32, Int64, Precision, RecordBatch, Schema, Struct, Table, makeData } from '#arrow';

/** Int32 or Int64 when every present value of the chunks is a whole number (not -0) within 2^53; else undefined. */
function integerType(chunks: readonly Data[]): 'i32' | 'i64' | undefined {
  let small = true;
  for (const d of chunks) {
    if (d.offset !== 0) return undefined;
    const values = d.values as Float64Array;
    const bitmap = d.nullCount > 0 ? d.nullBitmap : undefined;
    for (let i = 0; i < d.length; i++) {
      // null slots hold arbitrary values; they are masked by the validity bitmap
      if (bitmap && ((bitmap[i >> 3] >> (i & 7)) & 1) === 0) continue;
      const v = values[i];
      if (!Number.isSafeInteger(v) || (v === 0 && 1 / v < 0)) return undefined;
      if (v > 2147483647 || v < -2147483648) small = false;
    }
  }
  return small ? 'i32' : 'i64';
}

function asIntegers(d: Data, kind: 'i32' | 'i64'): Data {
  const values = d.values as Float64Array;
  let out: Int32Array | BigInt64Array;
  if (kind === 'i32') {
    // null slots become 0 or a wrapped integer, masked as before
    out = new Int32Array(d.length);
    out.set(values);
  } else {
    const big = new BigInt64Array(d.length);
    for (let i = 0; i < d.length; i++) big[i] = BigInt(Number.isSafeInteger(values[i]) ? values[i] : 0);
    out = big;
  }
  return makeData({ type: kind === 'i32' ? new Int32() : new Int64(), length: d.length, nullCount: d.nullCount, nullBitmap: d.nullBitmap, data: out } as never);
}

/**
 * The table with Float64 columns that hold only whole numbers as integer columns, chunk by chunk. Streamed batches
 * read every number column as Float64 (a later batch may hold fractions), which CSV would print as "33.0"; printed
 * as integers, scored CSV keeps the input's text for whole-number columns. `only`: that column alone (an id
 * column). Every other column keeps its chunks as they are.
 */
export function wholeNumbersAsIntegers(table: Table, only?: string): Table {
  const fields = table.schema.fields;
  const kinds = new Map<number, 'i32' | 'i64'>();
  fields.forEach((field, j) => {
    if ((only !== undefined && field.name !== only) || !DataType.isFloat(field.type) || (field.type as Float).precision !== Precision.DOUBLE) return;
    const kind = integerType(table.getChildAt(j)!.data);
    if (kind) kinds.set(j, kind);
  });
  if (kinds.size === 0) return table;
  const schema = new Schema(fields.map((f, j) => (kinds.has(j) ? new Field(f.name, kinds.get(j) === 'i32' ? new Int32() : new Int64(), f.nullable, f.metadata) : f)), table.schema.metadata);
  return new Table(schema, table.batches.map((b) => new RecordBatch(schema, makeData({
    type: new Struct(schema.fields), length: b.numRows, nullCount: 0,
    children: b.data.children.map((c, j) => (kinds.has(j) ? asIntegers(c, kinds.get(j)!) : c)),
  }))));
}
