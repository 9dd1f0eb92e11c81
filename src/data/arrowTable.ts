import {
  type Data,
  DataType,
  Dictionary,
  Float64,
  Field,
  Int32,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimeUnit,
  Utf8,
  type Vector,
  makeData,
  makeVector,
} from '#arrow';
import { SegkitError } from '../util/errors.js';
import { columnValues as keptValues } from './utf8Text.js';
import { decimalNumber, decimalText, FLOAT64_DIGITS, unscaled } from './decimal.js';

// Columns here are assembled with makeData only: apache-arrow's Builders (vectorFromArray) compile
// code with new Function, which edge runtimes forbid.

/**
 * A one-batch Arrow table from equally long columns, in the given order.
 * (`new Table({ ... })` would reorder names that look like integers, as object keys do.)
 */
export function tableFromColumns(names: readonly string[], columns: readonly Data[], metadata?: Map<string, string>): Table {
  const fields = names.map((name, j) => new Field(name, columns[j].type, true));
  const schema = new Schema(fields, metadata);
  const length = columns.length > 0 ? columns[0].length : 0;
  const struct = makeData({ type: new Struct(fields), length, nullCount: 0, children: [...columns] });
  return new Table(schema, [new RecordBatch(schema, struct)]);
}

/**
 * The table's columns `keep` (by index) followed by `added` (whole columns of the table's length), named `names`, in the
 * table's own record batches: the kept columns are never copied or rebuilt from their values, so a table of several
 * batches (an Arrow file written in chunks) keeps every type as it was (Float16, dictionaries with Int8 keys, dates,
 * microseconds).
 */
export function tableWithColumns(table: Table, keep: readonly number[], names: readonly string[], added: readonly Data[], metadata = table.schema.metadata): Table {
  const batches = table.batches;
  // a table of no columns has no rows of its own: the added columns set the length
  if (batches.length <= 1 || keep.length === 0) return tableFromColumns(names, [...keep.map((j) => singleChunk(table.getChildAt(j)!)), ...added], metadata);
  // a dictionary column whose batches have dictionaries of their own (an IPC stream may replace them) is made one
  // column of one dictionary and cut at the batches' edges, since an Arrow file holds one dictionary per column
  const whole = keep.map((j) => {
    const chunks = table.getChildAt(j)!.data;
    return DataType.isDictionary(chunks[0].type) && chunks.some((d) => d.dictionary !== chunks[0].dictionary) ? singleChunk(table.getChildAt(j)!) : undefined;
  });
  const children = (b: RecordBatch, at: number): Data[] => [
    ...keep.map((j, c) => whole[c]?.slice(at, b.numRows) ?? b.data.children[j]),
    ...added.map((d) => d.slice(at, b.numRows)),
  ];
  const schema = new Schema(names.map((name, j) => new Field(name, j < keep.length ? (whole[j]?.type ?? table.schema.fields[keep[j]].type) : added[j - keep.length].type, true)), metadata);
  let at = 0;
  return new Table(
    schema,
    batches.map((b) => {
      const data = children(b, at);
      at += b.numRows;
      return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: b.numRows, nullCount: 0, children: data }));
    }),
  );
}

/** The column as one contiguous chunk (re-assembled only when it has several). */
export function singleChunk(vector: Vector): Data {
  if (vector.data.length === 1) return vector.data[0];
  return dataFromValues(columnValues(vector), vector.type);
}

/** The values of a column as JavaScript values, nulls as null (timestamps as epoch milliseconds, dictionaries as their strings). */
export function columnValues(vector: Vector): unknown[] {
  const out = new Array<unknown>(vector.length);
  let i = 0;
  for (const v of keptValues(vector)) out[i++] = v ?? null;
  return out;
}

/** The validity bitmap of `values` (undefined when nothing is null) and the null count. */
function validity(values: ArrayLike<unknown>): { nullBitmap: Uint8Array | undefined; nullCount: number } {
  let nullCount = 0;
  for (let i = 0; i < values.length; i++) if (values[i] == null) nullCount++;
  if (nullCount === 0) return { nullBitmap: undefined, nullCount };
  const nullBitmap = new Uint8Array((values.length + 7) >> 3);
  for (let i = 0; i < values.length; i++) if (values[i] != null) nullBitmap[i >> 3] |= 1 << (i & 7);
  return { nullBitmap, nullCount };
}

/** A Utf8 column from strings and nulls. */
export function utf8Data(values: ArrayLike<string | null | undefined>): Data<Utf8> {
  const encoder = new TextEncoder();
  const n = values.length;
  const valueOffsets = new Int32Array(n + 1);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v != null) {
      const bytes = encoder.encode(v);
      parts.push(bytes);
      total += bytes.length;
    }
    valueOffsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    data.set(part, at);
    at += part.length;
  }
  return makeData({ type: new Utf8(), length: n, ...validity(values), valueOffsets, data });
}

const MS_PER_UNIT: Readonly<Record<number, number>> = Object.freeze({
  [TimeUnit.SECOND]: 1000,
  [TimeUnit.MILLISECOND]: 1,
  [TimeUnit.MICROSECOND]: 0.001,
  [TimeUnit.NANOSECOND]: 0.000001,
});

const NEGATIVE_ZERO = Symbol('-0');

/**
 * A column of the given type from JavaScript values (null or undefined for null): numbers (bigints for 64-bit
 * integers), booleans, epoch milliseconds for timestamps, strings for Utf8, bytes for Binary, and a dictionary's values.
 */
export function dataFromValues(values: ArrayLike<unknown>, type: DataType): Data {
  const n = values.length;
  const { nullBitmap, nullCount } = validity(values);
  if (DataType.isInt(type) || DataType.isFloat(type)) {
    const ArrayType = type.ArrayType as unknown as new (n: number) => Record<number, number | bigint>;
    const data = new ArrayType(n);
    const big = type.ArrayType === BigInt64Array || type.ArrayType === BigUint64Array;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v != null) data[i] = big ? BigInt(v as number | bigint) : Number(v);
    }
    return makeData({ type, length: n, nullCount, nullBitmap, data } as never);
  }
  if (DataType.isBool(type)) {
    const data = new Uint8Array((n + 7) >> 3);
    for (let i = 0; i < n; i++) if (values[i]) data[i >> 3] |= 1 << (i & 7);
    return makeData({ type, length: n, nullCount, nullBitmap, data });
  }
  if (DataType.isTimestamp(type)) {
    const scale = MS_PER_UNIT[type.unit];
    const data = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v != null) data[i] = BigInt(Math.round(Number(v) / scale));
    }
    return makeData({ type, length: n, nullCount, nullBitmap, data });
  }
  if (DataType.isUtf8(type)) return utf8Data(values as ArrayLike<string | null>);
  if (DataType.isDictionary(type)) {
    const codes = new Map<unknown, number>();
    const keys: unknown[] = [];
    const indices = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v == null) continue;
      // -0 is an entry of its own (a Map holds it as 0)
      const key = v === 0 && 1 / (v as number) < 0 ? NEGATIVE_ZERO : v;
      let code = codes.get(key);
      if (code === undefined) {
        code = keys.length;
        codes.set(key, code);
        keys.push(v);
      }
      indices[i] = code;
    }
    const dictionary = makeVector(DataType.isUtf8(type.dictionary) ? utf8Data(keys as string[]) : dataFromValues(keys, type.dictionary));
    // the type's own index width when the entries fit it (a dictionary made of several may not), else Int32
    const { bitWidth, isSigned: signed } = type.indices as Int32;
    const own = bitWidth <= 32 && keys.length <= 2 ** (signed ? bitWidth - 1 : bitWidth);
    const out = own ? type : new Dictionary(type.dictionary, new Int32(), type.id, type.isOrdered);
    const data = own ? new (type.indices.ArrayType as Int32ArrayConstructor)(n) : indices;
    if (own) data.set(indices);
    return makeData({ type: out, length: n, nullCount, nullBitmap, data, dictionary } as never);
  }
  if (DataType.isBinary(type)) {
    const valueOffsets = new Int32Array(n + 1);
    let total = 0;
    for (let i = 0; i < n; i++) {
      total += (values[i] as Uint8Array | null)?.length ?? 0;
      valueOffsets[i + 1] = total;
    }
    const data = new Uint8Array(total);
    for (let i = 0; i < n; i++) if (values[i] != null) data.set(values[i] as Uint8Array, valueOffsets[i]);
    return makeData({ type, length: n, nullCount, nullBitmap, valueOffsets, data });
  }
  throw new SegkitError('E_BAD_OPTION', `cannot build an Arrow column of type ${String(type)}`);
}

/**
 * Whether a decimal type becomes exact text rather than Float64: more digits of precision than a float64 holds, and,
 * for a reader, no fraction digits (an account number held as decimal(38, 0); a decimal(38, 2) is an amount).
 */
const asText = (type: DataType, read: boolean): boolean => {
  const { precision, scale } = type as unknown as { precision: number; scale: number };
  return precision > FLOAT64_DIGITS && !(read && scale > 0);
};

/** One chunk of a decimal column as Float64 (see decimalNumber, which refuses a value it cannot hold) or exact text. */
function decimalData(d: Data, type: DataType, name: string, text: boolean): Data {
  const { scale, precision, bitWidth } = type as unknown as { scale: number; precision: number; bitWidth: number };
  const width = bitWidth / 32;
  // the values are sliced to the chunk (fixed-width buffers are); the offset is the bitmap's
  const words = d.values as unknown as Uint32Array;
  const valid = (i: number): boolean => d.nullCount === 0 || ((d.nullBitmap![(d.offset + i) >> 3] >> ((d.offset + i) & 7)) & 1) === 1;
  const n = d.length;
  const out: (number | string | null)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    if (!valid(i)) out[i] = null;
    else {
      const u = unscaled(words, i, width);
      out[i] = text ? decimalText(u, scale) : decimalNumber(u, scale, precision, name);
    }
  }
  return text ? utf8Data(out as (string | null)[]) : dataFromValues(out, new Float64());
}

/**
 * Refuses a schema that names a column twice (Arrow and Parquet allow it; a CSV header does not): which of the two a
 * name selects, and what JSON output keeps of them, would be up to chance.
 */
export function checkColumnNames(names: readonly string[], what: string): void {
  const first = new Map<string, number>();
  names.forEach((name, j) => {
    const before = first.get(name);
    if (before !== undefined) throw new SegkitError('E_PARSE', `${what}: column name "${name}" appears twice (columns ${before + 1} and ${j + 1})`, 'rename one of them before export');
    first.set(name, j);
  });
}

/** Whether the data's buffers hold its rows (and its children's and dictionary's theirs). */
function holdsRows(d: Data): boolean {
  // an empty column may come without buffers (no offsets either)
  if (d.length === 0) return true;
  const end = d.offset + d.length;
  if (d.nullBitmap && d.nullBitmap.length > 0 && d.nullBitmap.length * 8 < end) return false;
  if (DataType.isBool(d.type)) {
    if (d.values.length * 8 < end) return false;
  } else if (d.valueOffsets) {
    if (d.valueOffsets.length < end + 1 || (d.values && Number(d.valueOffsets[end]) > d.values.length)) return false;
  } else if (d.values && d.values.length < end * d.stride) return false;
  if (d.dictionary && !d.dictionary.data.every(holdsRows)) return false;
  return d.children.every(holdsRows);
}

/**
 * Refuses IPC record batches that claim more rows than their buffers hold (a corrupt length in a batch's header):
 * apache-arrow reads such a batch as a table of that many rows, most of them made up.
 */
export function checkBatchRows(table: Table, what: string, firstBatch = 0): void {
  table.batches.forEach((batch, b) => {
    batch.data.children.forEach((d, j) => {
      if (!holdsRows(d)) throw new SegkitError('E_PARSE', `${what} is corrupt: record batch ${firstBatch + b + 1} says it holds ${batch.numRows} rows, more than column "${table.schema.fields[j].name}" holds`);
    });
  });
}

/**
 * The table with its Decimal columns (Arrow's decimal128 and decimal256, as databases export amounts) as numbers:
 * Float64 up to 15 digits of precision (10.01 stays 10.01 when written), exact text above (an account number held
 * as decimal(38, 0)), batch by batch. For a reader (`read`), a wide type with fraction digits (decimal(38, 2), as
 * Spark and warehouses type money) is Float64 too, a value of more than 15 significant digits being E_PARSE. Other
 * columns are kept as they are; a table without decimals is returned unchanged.
 */
export function decimalsAsNumbers(table: Table, read = false): Table {
  const fields = table.schema.fields;
  if (!fields.some((f) => DataType.isDecimal(f.type))) return table;
  const schema = new Schema(
    fields.map((f) => (DataType.isDecimal(f.type) ? new Field(f.name, asText(f.type, read) ? new Utf8() : new Float64(), f.nullable, f.metadata) : f)),
    table.schema.metadata,
  );
  const batches = table.batches.map((batch) => {
    const children = batch.data.children.map((d, c) => (DataType.isDecimal(d.type) ? decimalData(d, d.type, fields[c].name, asText(d.type, read)) : d));
    return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: batch.numRows, nullCount: 0, children }));
  });
  return new Table(schema, batches);
}
