import { DataType, Precision, type Table, type Vector } from '#arrow';
import { SegkitError, describe } from '../util/errors.js';
import { checkOptions } from '../util/options.js';

/** n rows of d Float32 features, stored column-major (one array per feature), as Arrow and the kernels do. */
export interface Dataset {
  readonly n: number;
  readonly d: number;
  readonly columns: readonly Float32Array[];
  readonly names: readonly string[];
}

/** Anything `toDataset` accepts. */
export type DataInput =
  | Dataset
  | readonly (readonly number[])[]
  | { readonly columns: readonly ArrayLike<number>[]; readonly names?: readonly string[] }
  | Table;

// Datasets made by the factories here were already checked; anything else shaped like one is checked again.
const checked = new WeakSet<object>();
function seal(ds: Dataset): Dataset {
  checked.add(ds);
  return ds;
}

export function isDataset(x: unknown): x is Dataset {
  const o = x as Dataset;
  return !!o && typeof o === 'object' && typeof o.n === 'number' && typeof o.d === 'number' && Array.isArray(o.columns) && Array.isArray(o.names);
}

/** Duck-typed, so tables from another copy of apache-arrow are recognised too. */
export function isArrowTable(x: unknown): x is Table {
  const o = x as Table;
  return !!o && typeof o === 'object' && typeof o.getChildAt === 'function' && !!o.schema && Array.isArray(o.schema.fields);
}

/** `table` when it is an Arrow Table; anything else (a Dataset from fromRows included) is refused, naming what it is. */
export function arrowTableArg(table: unknown, fn: string): Table {
  if (isArrowTable(table)) return table;
  throw new SegkitError('E_BAD_OPTION', `${fn}: the table must be an Arrow Table, got ${isDataset(table) ? 'a Dataset' : describe(table)}`, 'readCsv, readJson, readParquet and readArrow give one, as does apache-arrow\'s tableFromArrays');
}

const defaultNames = (d: number) => Array.from({ length: d }, (_, j) => `x${j}`);

function checkNames(names: readonly string[] | undefined, d: number): string[] {
  if (names === undefined) return defaultNames(d);
  if (!Array.isArray(names) || names.length !== d) {
    throw new SegkitError('E_SHAPE_MISMATCH', `"names" has ${Array.isArray(names) ? names.length : describe(names)} entries for ${d} columns`);
  }
  const seen = new Set<string>();
  for (const name of names) {
    if (typeof name !== 'string') throw new SegkitError('E_BAD_OPTION', `feature names must be strings, got ${describe(name)}`);
    if (seen.has(name)) throw new SegkitError('E_BAD_OPTION', `feature name "${name}" appears twice`);
    seen.add(name);
  }
  return [...names];
}

/** E_NAN_INPUT naming a feature cell that is missing, not a number's finite value, or (finite) beyond float32's range. */
export function nonFinite(row: number, column: string, value: unknown): SegkitError {
  // a finite double beyond float32's range becomes Infinity as a feature: say which it was
  if (typeof value === 'number' && Number.isFinite(value)) {
    return new SegkitError('E_NAN_INPUT', `row ${row}, column "${column}" holds ${value}, beyond float32's range (3.4e38)`, 'rescale the column (divide it by a power of ten) before clustering');
  }
  return new SegkitError(
    'E_NAN_INPUT',
    `row ${row}, column "${column}" holds ${describe(value)}; features must be finite numbers`,
    'impute or drop missing values before clustering (see the prep module)',
  );
}

/** Throws E_NAN_INPUT naming the first non-finite cell. */
export function assertFinite(ds: Dataset): void {
  for (let j = 0; j < ds.d; j++) {
    const col = ds.columns[j];
    for (let i = 0; i < ds.n; i++) {
      const v = col[i];
      if (v - v !== 0) throw nonFinite(i, ds.names[j], v);
    }
  }
}

/**
 * Float64 copies of the columns, each value checked finite as it is copied: for fits that work from their own copy,
 * so a value the caller changed after the Dataset was made is refused (E_NAN_INPUT naming its row) in the very copy
 * the fit uses, never labelled.
 */
export function finiteCopies(ds: Dataset): Float64Array[] {
  return ds.columns.map((c, j) => {
    const out = Float64Array.from(c);
    for (let i = 0; i < out.length; i++) if (out[i] - out[i] !== 0) throw nonFinite(i, ds.names[j], out[i]);
    return out;
  });
}

/**
 * A column converted to float32: its name, the range of its values, and float32's largest move of one of them; or, lo
 * and hi bigints, 64-bit integers converted to float64, and float64's largest move (int64Spread).
 */
export interface Spread {
  name: string;
  lo: number;
  hi: number;
  moved: number;
}

/**
 * The Spread of a column of 64-bit integers some of which lie beyond 2^53, where float64 steps by 2 and more: a fit
 * refuses a column the conversion made coarse (2^64 - 1 - i for a few i all become 2^64), as it does float32's.
 */
export function int64Spread(vec: Iterable<unknown>, name: string): Spread {
  let lo: bigint | undefined, hi = 0n, moved = 0;
  for (const x of vec) {
    // records mix them with numbers: those at their nearest integer, as a fraction is below any move
    const v = typeof x == 'bigint' ? x : Number.isFinite(x) ? BigInt(Math.round(x as number)) : null;
    if (v === null) continue;
    if (lo === undefined) lo = hi = v;
    else if (v < lo) lo = v;
    else if (v > hi) hi = v;
    moved = Math.max(moved, Math.abs(Number(BigInt(Number(v)) - v)));
  }
  // bigints compare with numbers, and subtract from each other, as markCoarse does
  return { name, lo, hi, moved } as unknown as Spread;
}

// Datasets made from wider values than float32 holds, whose rounding to float32 moved a column's values by more than
// 1/64 of their range: recorded when the Dataset is made, refused by the fits (see assertResolution), never by
// scoring (a fitted model scores a batch of two close customers).
const coarse = new WeakMap<object, Spread>();

/** Records on a Dataset the first of its columns whose float32 rounding moved a value by more than 1/64 of the range. */
export function markCoarse(ds: object, spreads: readonly Spread[]): void {
  const c = spreads.find((s) => s.hi - s.lo > 0 && s.moved * 64 > s.hi - s.lo);
  if (c) coarse.set(ds, c);
}

/**
 * Refuses a Dataset to fit or evaluate on when float32, in which segkit computes, moved a column's values by more
 * than 1/64 of their range: a column near 1e9 that varies by 20 (float32 steps by 64 there) would be clustered as
 * one or two values. A constant column, or values float32 holds exactly, pass.
 */
export function assertResolution(ds: Dataset): void {
  const c = coarse.get(ds);
  if (!c) return;
  const int64 = typeof c.lo == 'bigint';
  throw new SegkitError(
    'E_PRECISION',
    `column "${c.name}": ${int64 ? 'float64' : 'float32, in which segkit computes,'} moves its values by up to ${c.moved.toPrecision(2)}, while they span only ${c.lo} to ${c.hi}: their differences would be lost`,
    `subtract a baseline from the column${int64 ? '' : ', or scale it (standard scaling centres it first)'}`,
  );
}

/** Rows (`number[][]`) to a Dataset; the input is copied, never kept or mutated. */
export function fromRows(rows: readonly (readonly number[])[], options: { names?: readonly string[] } = {}): Dataset {
  checkOptions(options, ['names'], 'fromRows');
  if (!Array.isArray(rows) || rows.length === 0) {
    throw new SegkitError('E_EMPTY_DATA', 'the data has no rows');
  }
  const first = rows[0];
  if (!Array.isArray(first)) throw new SegkitError('E_RAGGED_ROWS', `row 0 is ${describe(first)}, not an array of numbers`);
  const n = rows.length;
  const d = first.length;
  if (d === 0) throw new SegkitError('E_EMPTY_DATA', 'the rows have no columns');
  const names = checkNames(options.names, d);
  const columns = Array.from({ length: d }, () => new Float32Array(n));
  const lo = new Float64Array(d).fill(Infinity), hi = new Float64Array(d).fill(-Infinity), moved = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    if (!Array.isArray(row) || row.length !== d) {
      throw new SegkitError('E_RAGGED_ROWS', `row ${i} has ${Array.isArray(row) ? row.length : describe(row)} values, row 0 has ${d}`);
    }
    for (let j = 0; j < d; j++) {
      const v = row[j];
      if (typeof v !== 'number') {
        throw new SegkitError('E_NON_NUMERIC', `row ${i}, column "${names[j]}" holds ${describe(v)}, not a number`);
      }
      // a finite double can still overflow float32 (1e39): check the value as stored
      if (!Number.isFinite(Math.fround(v))) throw nonFinite(i, names[j], v);
      columns[j][i] = v;
      if (v < lo[j]) lo[j] = v;
      if (v > hi[j]) hi[j] = v;
      const m = Math.abs(columns[j][i] - v);
      if (m > moved[j]) moved[j] = m;
    }
  }
  const ds: Dataset = { n, d, columns, names };
  markCoarse(ds, names.map((name, j) => ({ name, lo: lo[j], hi: hi[j], moved: moved[j] })));
  return seal(ds);
}

/** Typed-array columns to a Dataset; Float32Array columns are used as they are (not copied). */
export function fromColumns(input: { readonly columns: readonly ArrayLike<number>[]; readonly names?: readonly string[] }): Dataset {
  if (input === null || typeof input !== 'object') throw new SegkitError('E_BAD_OPTION', `fromColumns takes { columns, names? }, got ${describe(input)}`);
  const cols = input.columns;
  if (!Array.isArray(cols) || cols.length === 0) throw new SegkitError('E_EMPTY_DATA', 'the data has no columns');
  const n = cols[0]?.length;
  if (typeof n !== 'number') throw new SegkitError('E_NON_NUMERIC', 'column 0 is not an array of numbers');
  if (n === 0) throw new SegkitError('E_EMPTY_DATA', 'the data has no rows');
  const names = checkNames(input.names, cols.length);
  // columns converted from wider values: float32's largest move of each, checked once the Dataset exists
  const wide: Spread[] = [];
  const columns = cols.map((c, j) => {
    if (!c || typeof c.length !== 'number') throw new SegkitError('E_NON_NUMERIC', `column "${names[j]}" is ${describe(c)}, not an array of numbers`);
    if (c.length !== n) throw new SegkitError('E_RAGGED_ROWS', `column "${names[j]}" has ${c.length} rows, column "${names[0]}" has ${n}`);
    if (c instanceof Float32Array) return c;
    const out = new Float32Array(n);
    let lo = Infinity, hi = -Infinity, moved = 0;
    for (let i = 0; i < n; i++) {
      const v = c[i];
      if (typeof v !== 'number') throw new SegkitError('E_NON_NUMERIC', `row ${i}, column "${names[j]}" holds ${describe(v)}, not a number`);
      out[i] = v;
      if (out[i] - out[i] !== 0 && v - v === 0) throw nonFinite(i, names[j], v);
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      const m = Math.abs(out[i] - v);
      if (m > moved) moved = m;
    }
    wide.push({ name: names[j], lo, hi, moved });
    return out;
  });
  const ds: Dataset = { n, d: columns.length, columns, names };
  markCoarse(ds, wide);
  assertFinite(ds);
  return seal(ds);
}

/**
 * Float32 columns of equal length that the caller has just found finite (the prep transform's column-by-column
 * path, which checks each chunk's results): the Dataset without a second scan. Not for data from outside the package.
 */
export function fromFiniteColumns(columns: Float32Array[], names: readonly string[]): Dataset {
  const n = columns[0]?.length ?? 0;
  if (n === 0 || columns.some((c) => c.length !== n)) throw new SegkitError('E_SHAPE_MISMATCH', 'finite columns must be non-empty and of one length');
  return seal({ n, d: columns.length, columns, names: checkNames(names, columns.length) });
}

function arrowColumn(vec: Vector, name: string, wide?: Spread[]): Float32Array {
  const type = vec.type as DataType;
  if (!DataType.isInt(type) && !DataType.isFloat(type)) {
    const hint = DataType.isDecimal(type) ? 'segkit\'s readers (readArrow, readTable) read decimals as numbers; or cast the column to Float64' : 'encode categorical columns first (see the prep module) or exclude them';
    throw new SegkitError('E_NON_NUMERIC', `column "${name}" has Arrow type ${String(type)}, not a number type`, hint);
  }
  const chunks = vec.data;
  const single = chunks.length === 1 ? chunks[0] : undefined;
  // Arrow JS slices fixed-width value buffers already; `offset` only applies to the validity bitmap
  if (single && single.nullCount === 0 && single.values instanceof Float32Array && single.values.length === single.length) {
    return single.values;
  }
  const out = new Float32Array(vec.length);
  let row = 0;
  if (DataType.isFloat(type) && type.precision === Precision.HALF) {
    // half floats are stored as raw 16-bit patterns: Arrow's own iterator decodes them
    for (const v of vec) {
      if (v == null) throw nonFinite(row, name, null);
      out[row++] = v as number;
    }
    return out;
  }
  let lo = Infinity, hi = -Infinity, moved = 0;
  for (const chunk of chunks) {
    const values = chunk.values as ArrayLike<number | bigint>;
    for (let i = 0; i < chunk.length; i++, row++) {
      if (chunk.nullCount > 0 && !chunk.getValid(i)) throw nonFinite(row, name, null);
      const v = values[i];
      const x = typeof v === 'bigint' ? Number(v) : v;
      out[row] = x;
      if (out[row] - out[row] !== 0 && x - x === 0) throw nonFinite(row, name, x);
      if (x < lo) lo = x;
      if (x > hi) hi = x;
      const m = Math.abs(out[row] - x);
      if (m > moved) moved = m;
    }
  }
  wide?.push({ name, lo, hi, moved });
  // 64-bit integers past 2^53 were rounded to float64 first: the fits refuse a column that made coarse, as prepare does
  if (DataType.isInt(type) && type.bitWidth === 64 && Math.max(hi, -lo) >= 2 ** 53) wide?.push(int64Spread(vec, name));
  return out;
}

/** Where a table's column of this name is (-1 if none); a name two columns share is refused, as either could be meant. */
export function fieldIndex(fields: readonly string[], name: string): number {
  const idx = fields.indexOf(name);
  if (idx !== fields.lastIndexOf(name)) throw new SegkitError('E_BAD_OPTION', `column name "${name}" appears twice in the table (columns ${idx + 1} and ${fields.lastIndexOf(name) + 1})`, 'rename one of them');
  return idx;
}

/** An Arrow table to a Dataset: single-chunk Float32 columns are zero-copy views, other numeric columns are converted. */
export function fromArrow(table: Table, options: { columns?: readonly string[] } = {}): Dataset {
  arrowTableArg(table, 'fromArrow');
  checkOptions(options, ['columns'], 'fromArrow');
  const fields = table.schema.fields.map((f) => f.name);
  const wanted = options.columns ?? fields;
  if (wanted.length === 0) throw new SegkitError('E_EMPTY_DATA', 'the table has no columns');
  if (table.numRows === 0) throw new SegkitError('E_EMPTY_DATA', 'the table has no rows');
  const wide: Spread[] = [];
  const columns = wanted.map((name) => {
    const idx = fieldIndex(fields, name);
    if (idx < 0) throw new SegkitError('E_MISSING_COLUMN', `column "${name}" is not in the table`, `it has: ${fields.join(', ')}`);
    return arrowColumn(table.getChildAt(idx)!, name, wide);
  });
  const ds: Dataset = { n: table.numRows, d: columns.length, columns, names: [...wanted] };
  markCoarse(ds, wide);
  assertFinite(ds);
  return seal(ds);
}

/** Normalises every accepted input shape to a validated Dataset. */
export function toDataset(input: DataInput, options: { names?: readonly string[] } = {}): Dataset {
  checkOptions(options, ['names'], 'toDataset');
  if (input == null) throw new SegkitError('E_EMPTY_DATA', `the data is ${input}`);
  if (isArrowTable(input)) return fromArrow(input);
  if (Array.isArray(input)) return fromRows(input as readonly (readonly number[])[], options);
  if (isDataset(input)) {
    if (checked.has(input)) return input;
    if (input.columns.length !== input.d || input.columns.some((c) => c.length !== input.n)) {
      throw new SegkitError('E_SHAPE_MISMATCH', `the dataset says ${input.n} x ${input.d} but its columns disagree`);
    }
    return fromColumns(input);
  }
  if (typeof input === 'object' && Array.isArray((input as { columns?: unknown }).columns)) {
    const c = input as { columns: ArrayLike<number>[]; names?: string[] };
    return fromColumns({ columns: c.columns, names: c.names ?? options.names });
  }
  throw new SegkitError('E_BAD_OPTION', `data must be rows (number[][]), { columns, names } or an Arrow Table, got ${describe(input)}`);
}
