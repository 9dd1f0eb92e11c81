import { DataType, Precision, type Table, type Vector } from '#arrow';
import { decimalKey, decimalNumbers, unscaled } from '../data/decimal.js';
import { fieldIndex, int64Spread, isArrowTable, type Spread } from '../data/dataset.js';
import { allMidnight, DAY_MS, isoText, timeValues } from '../data/tableCells.js';
import { columnValues } from '../data/utf8Text.js';
import { SegkitError, describe } from '../util/errors.js';

/** A raw customer table: an Arrow Table or an array of plain records. */
export type TableInput = Table | readonly Readonly<Record<string, unknown>>[];

/** A numeric column in float64; NaN marks a missing value. */
export interface NumericColumn {
  readonly kind: 'numeric';
  readonly name: string;
  readonly values: Float64Array;
}

/** A categorical column; null marks a missing value. */
export interface CategoricalColumn {
  readonly kind: 'categorical';
  readonly name: string;
  readonly values: readonly (string | null)[];
}

export type FrameColumn = NumericColumn | CategoricalColumn;
export type ColumnKind = FrameColumn['kind'];

/** Name and kind of a column, without its values: what a fitted step needs to check a model's shape. */
export interface ColumnMeta {
  readonly name: string;
  readonly kind: ColumnKind;
}

/**
 * The working table the prep steps pass along. Steps never write into a frame's arrays: they return a new
 * frame that shares the columns they did not change. The one exception is a column a pipeline run owns (see
 * `ownColumns`): nothing outside the run can see it, so a step may replace its values in place.
 */
export interface Frame {
  readonly n: number;
  /** Row number in the caller's table of each row here, so errors and `rowIndex` refer to the caller's rows. */
  readonly rows: Int32Array;
  readonly columns: readonly FrameColumn[];
}

/** How a column of the raw table looks: `other` (dates, lists, ...) and `mixed` (numbers and strings) are never features. */
export type SourceType = 'numeric' | 'categorical' | 'other' | 'mixed';

export interface SourceField {
  readonly name: string;
  readonly type: SourceType;
}

export interface SourceSchema {
  readonly n: number;
  readonly fields: readonly SourceField[];
}

function checkRecords(records: readonly unknown[]): void {
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      throw new SegkitError('E_RAGGED_ROWS', `row ${i} is ${describe(r)}, not a record of column values`);
    }
  }
}

function arrowType(type: DataType): SourceType {
  if (DataType.isInt(type) || DataType.isFloat(type) || DataType.isBool(type) || DataType.isDecimal(type)) return 'numeric';
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type) || DataType.isUtf8View(type) || DataType.isDictionary(type)) return 'categorical';
  return 'other';
}

function valueType(v: unknown): SourceType | undefined {
  switch (typeof v) {
    case 'number':
      // NaN is a missing value (pandas' in text columns too), as the readers below take it: no type
      return v === v ? 'numeric' : undefined;
    case 'boolean':
    case 'bigint':
      return 'numeric';
    case 'string':
      return 'categorical';
    case 'undefined':
      return undefined;
    default:
      return v === null ? undefined : 'other';
  }
}

/** Column names and types; for records, the union of their keys in first-seen order. */
export function inspectTable(table: TableInput): SourceSchema {
  if (isArrowTable(table)) {
    return { n: table.numRows, fields: table.schema.fields.map((f) => ({ name: f.name, type: arrowType(f.type) })) };
  }
  if (!Array.isArray(table)) {
    throw new SegkitError('E_BAD_OPTION', `the table must be an Arrow Table or an array of records, got ${describe(table)}`);
  }
  checkRecords(table);
  const types = new Map<string, SourceType | undefined>();
  for (const record of table) {
    for (const key of Object.keys(record)) {
      const seen = types.get(key);
      const t = valueType(record[key]);
      if (!types.has(key)) types.set(key, t);
      else if (t !== undefined && seen !== t) types.set(key, seen === undefined ? t : seen === 'other' || t === 'other' ? 'other' : 'mixed');
    }
  }
  // A column holding only missing values has no type to go by; it is never picked by default.
  return { n: table.length, fields: [...types].map(([name, type]) => ({ name, type: type ?? 'other' })) };
}

function notFinite(row: number, column: string, value: unknown): SegkitError {
  return new SegkitError('E_NAN_INPUT', `row ${row}, column "${column}" holds ${describe(value)}; features must be finite numbers or missing`);
}

function notNumber(row: number, column: string, value: unknown): SegkitError {
  return new SegkitError('E_NON_NUMERIC', `row ${row}, column "${column}" holds ${describe(value)}, not a number`, 'list the column in `encode` to treat it as categorical');
}

function numericValue(v: unknown, row: number, column: string): number {
  if (typeof v === 'number') {
    if (v === Infinity || v === -Infinity) throw notFinite(row, column, v);
    return v;
  }
  if (v == null) return NaN;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  throw notNumber(row, column, v);
}

function categoryValue(v: unknown, row: number, column: string): string | null {
  if (typeof v === 'string') return v;
  if (v == null || (typeof v === 'number' && v !== v)) return null;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  // the category of an Arrow time column's value at the same instant (see arrowCategorical); an invalid Date (its time
  // NaN) is refused below
  if (v instanceof Date && v.getTime() === v.getTime()) return timeText(v.getTime());
  throw new SegkitError('E_NON_NUMERIC', `row ${row}, column "${column}" holds ${v instanceof Date ? 'an invalid Date' : describe(v)}, not a category (string or number)`);
}

/**
 * A number column (integers, floats, booleans) as float64, nulls as NaN; any other type is refused, never
 * reinterpreted. 64-bit integers beyond 2^53 add their Spread to `wide` (see int64Spread).
 */
export function arrowNumeric(vec: Vector, name: string, wide?: Spread[]): Float64Array {
  const type = vec.type as DataType;
  // a column of nulls alone (Arrow's null type, as pyarrow types one) holds missing values, which the imputer fills
  if (DataType.isNull(type)) return new Float64Array(vec.length).fill(NaN);
  if (arrowType(type) !== 'numeric') {
    // text's bytes, a dictionary's codes or a timestamp's count in its own unit are not the column's numbers
    throw new SegkitError('E_NON_NUMERIC', `column "${name}" has Arrow type ${String(type)}, not a number type`, 'list the column in `encode` to treat it as categorical');
  }
  // a decimal's words are its unscaled value: read as the float64 nearest each decimal, as readArrow does
  if (DataType.isDecimal(type)) return decimalNumbers(vec.data, type, name, vec.length);
  const out = new Float64Array(vec.length);
  if (DataType.isBool(type) || (DataType.isFloat(type) && type.precision === Precision.HALF)) {
    // Bit-packed booleans and half floats need Arrow's own decoding.
    let row = 0;
    for (const v of vec) {
      out[row] = numericValue(v, row, name);
      row++;
    }
    return out;
  }
  let row = 0, big = false;
  for (const chunk of vec.data) {
    // Fixed-width value buffers are already sliced to the chunk; its offset only applies to the validity bitmap.
    const values = chunk.values as ArrayLike<number | bigint>;
    const n = chunk.length;
    if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
      for (let i = 0; i < n; i++) if (Math.abs((out[row + i] = Number(values[i]))) >= 2 ** 53) big = true;
    } else {
      // one native copy (with conversion) per chunk; nulls and infinities are looked at afterwards
      out.set((values as Float64Array).subarray(0, n), row);
    }
    if (chunk.nullCount > 0) {
      const bitmap = chunk.nullBitmap!;
      const offset = chunk.offset;
      for (let i = 0; i < n; i++) {
        const b = offset + i;
        if (((bitmap[b >> 3] >> (b & 7)) & 1) === 0) out[row + i] = NaN;
      }
    }
    if (DataType.isFloat(type)) {
      for (let i = 0; i < n; i++) {
        const v = out[row + i];
        if (v === Infinity || v === -Infinity) throw notFinite(row + i, name, v);
      }
    }
    row += n;
  }
  if (big && wide) wide.push(int64Spread(vec, name));
  return out;
}

/** A time's ISO 8601 text: the date alone for a whole UTC day, else in full (see arrowCategorical). */
const timeText = (ms: number): string => isoText(ms, ms % DAY_MS === 0 ? 'dateOnly' : 'date');

function arrowCategorical(vec: Vector, name: string): (string | null)[] {
  if (DataType.isTimestamp(vec.type) || DataType.isDate(vec.type)) {
    // a time is the category of its ISO 8601 text, as a CSV file segkit writes holds it, not of its count of
    // milliseconds: the date alone for a whole UTC day (2023-11-14), else in full (2023-11-14T22:13:20.000Z). Value
    // by value, so a batch's categories never depend on its other rows; the encoder takes a whole day in either form
    // (a file whose column mixes times writes midnight in full). allMidnight refuses a time ISO text cannot give
    allMidnight(name, vec);
    return timeValues(vec).map((v) => (v == null ? null : timeText(v)));
  }
  const out = new Array<string | null>(vec.length);
  if (DataType.isDecimal(vec.type)) {
    // a decimal is the category of its number as a number column gives it (2.00 is "2"), not of its unscaled words
    const { scale, bitWidth } = vec.type;
    let row = 0;
    for (const d of vec.data) for (let i = 0; i < d.length; i++) out[row++] = d.getValid(i) ? decimalKey(unscaled(d.values, i, bitWidth / 32), scale) : null;
    return out;
  }
  // a float32 is the category of its shortest decimal that reads back as it (0.1, as written and as a float64 column
  // or a CSV file gives it), not of its float64 expansion (0.10000000149011612)
  const single = DataType.isFloat(vec.type) && vec.type.precision === Precision.SINGLE;
  let row = 0;
  for (let v of columnValues(vec)) {
    if (single && typeof v === 'number') {
      let p = 1;
      while (p < 9 && Math.fround(+v.toPrecision(p)) !== v) p++;
      v = +v.toPrecision(p);
    }
    out[row] = categoryValue(v, row, name);
    row++;
  }
  return out;
}

/** True when the table has the column (for records: when at least one record has it as an own key). */
export function hasColumn(schema: SourceSchema, name: string): boolean {
  return schema.fields.some((f) => f.name === name);
}

/** Reads one column as the given kind into new arrays; the table itself is only read. */
export function readColumn(table: TableInput, name: string, kind: ColumnKind, wide?: Spread[]): FrameColumn {
  if (isArrowTable(table)) {
    const names = table.schema.fields.map((f) => f.name);
    const idx = fieldIndex(names, name);
    if (idx < 0) throw missingColumn(name, names);
    const vec = table.getChildAt(idx)!;
    if (kind === 'categorical') return { kind, name, values: arrowCategorical(vec, name) };
    return { kind, name, values: arrowNumeric(vec, name, wide) };
  }
  const records = table as readonly Readonly<Record<string, unknown>>[];
  const n = records.length;
  if (kind === 'categorical') {
    const values = new Array<string | null>(n);
    for (let i = 0; i < n; i++) values[i] = categoryValue(Object.hasOwn(records[i], name) ? records[i][name] : undefined, i, name);
    return { kind, name, values };
  }
  const values = new Float64Array(n);
  let big = false;
  for (let i = 0; i < n; i++) {
    const v = Object.hasOwn(records[i], name) ? records[i][name] : undefined;
    values[i] = numericValue(v, i, name);
    big ||= typeof v == 'bigint';
  }
  // bigints, as an Arrow column's 64-bit integers: float64 may have made the column coarse past 2^53
  if (big && wide) wide.push(int64Spread(records.map((r) => r[name]), name));
  return { kind, name, values };
}

export function missingColumn(name: string, available: readonly string[]): SegkitError {
  const shown = available.length > 20 ? [...available.slice(0, 20), '…'] : available;
  return new SegkitError('E_MISSING_COLUMN', `column "${name}" is not in the table`, `it has: ${shown.join(', ') || 'no columns'}`);
}

/** The column named `name`, or E_MISSING_COLUMN naming the step that needs it. */
export function frameColumn(frame: Frame, name: string, step: string): FrameColumn {
  for (const c of frame.columns) if (c.name === name) return c;
  throw new SegkitError('E_MISSING_COLUMN', `${step} needs column "${name}", which is not among its input columns`, `they are: ${frame.columns.map((c) => c.name).join(', ')}`);
}

// Numeric columns a pipeline run made itself (its copies of the table's columns, and the imputer's and scaler's
// results from them), in a run of segkit's own steps only: the run hands none of them out, so those steps write their
// results over them. A step called on its own, or in a run with a step of the caller's (which may keep a reference to
// a column it was given), never does. A fresh 8 MB array costs 2,048 first-touch page faults, 19 ms on the machine we
// measure on: writing over the copy saves that per step and column.
const owned = new WeakSet<Float64Array>();

/** Marks the numeric columns of a frame a pipeline run has just made (and will never hand out) as the run's own. */
export function ownColumns(frame: Frame): void {
  for (const c of frame.columns) if (c.kind === 'numeric') owned.add(c.values);
}

/**
 * Where a step writes the new values of `column` of `frame`: over the old ones when a pipeline run owns them and no
 * other column of the frame shares the array, else in a new array (the run's own when the old one was).
 */
export function outputFor(frame: Frame, column: NumericColumn): Float64Array {
  const v = column.values;
  if (!owned.has(v)) return new Float64Array(v.length);
  if (frame.columns.every((c) => c === column || c.values !== v)) return v;
  const out = new Float64Array(v.length);
  owned.add(out);
  return out;
}

/** The numeric column named `name`, or an error naming the step that needs it. */
export function numericColumn(frame: Frame, name: string, step: string): NumericColumn {
  const c = frameColumn(frame, name, step);
  if (c.kind !== 'numeric') throw new SegkitError('E_NON_NUMERIC', `${step} needs column "${name}" to be numeric, but it is categorical`, 'encode it first');
  return c;
}

/** A frame with some columns replaced by others (one column may become several, or none), order kept. */
export function replaceColumns(frame: Frame, replace: ReadonlyMap<string, readonly FrameColumn[]>): Frame {
  const columns: FrameColumn[] = [];
  for (const c of frame.columns) {
    const r = replace.get(c.name);
    if (r === undefined) columns.push(c);
    else columns.push(...r);
  }
  return { n: frame.n, rows: frame.rows, columns };
}

/** A frame keeping only the rows whose `keep` flag is set. */
export function keepRows(frame: Frame, keep: Uint8Array): Frame {
  const m = frame.n, from = frame.rows;
  let n = 0;
  for (let i = 0; i < m; i++) n += keep[i];
  if (n === m) return frame;
  const rows = new Int32Array(n);
  for (let i = 0, k = 0; i < m; i++) if (keep[i]) rows[k++] = from[i];
  const columns = frame.columns.map((c): FrameColumn => {
    if (c.kind === 'numeric') {
      const values = new Float64Array(n), src = c.values;
      for (let i = 0, k = 0; i < m; i++) if (keep[i]) values[k++] = src[i];
      return { kind: 'numeric', name: c.name, values };
    }
    const values = new Array<string | null>(n), src = c.values;
    for (let i = 0, k = 0; i < m; i++) if (keep[i]) values[k++] = src[i];
    return { kind: 'categorical', name: c.name, values };
  });
  return { n, rows, columns };
}
