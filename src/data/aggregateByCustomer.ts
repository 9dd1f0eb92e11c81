import { type Data, DataType, Float64, Int32, makeData, type Table, type Vector } from '#arrow';
import { SegkitError, badOption } from '../util/errors.js';
import { tableFromColumns } from './arrowTable.js';
import { takeRows } from './takeRows.js';
import { decimalText, unscaled } from './decimal.js';
import { isArrowTable } from './dataset.js';
import { columnValues } from './utf8Text.js';
import { lostBits, roundedSum } from '../util/compensatedSum.js';

export type AggregateOp = 'count' | 'sum' | 'mean' | 'min' | 'max' | 'distinct' | 'first' | 'last';

export const AGGREGATE_OPS: readonly AggregateOp[] = Object.freeze(['count', 'sum', 'mean', 'min', 'max', 'distinct', 'first', 'last']);

export interface Aggregation {
  /** The log column to aggregate; optional for "count", which then counts rows. */
  readonly column?: string;
  /**
   * count: non-null values (rows without a column); sum, mean, min, max: over non-null values (null when there are none;
   * NaN is a value, so a NaN makes them NaN; min and max order decimals and 64-bit values exactly, bytes bytewise, text by code point); distinct: distinct non-null values; first, last: the value in the
   * customer's first or last row, in log order.
   */
  readonly op: AggregateOp;
}

export interface AggregateByCustomerOptions {
  /** The customer key column of the log. */
  readonly key: string;
  /** Output column name -> aggregation. */
  readonly aggregations: Readonly<Record<string, Aggregation>>;
}

/**
 * Aggregates an event or transaction log to one row per customer, in one pass over each column with no code
 * generated at run time (so it runs in edge functions too): the key column first (customers in order of first
 * appearance; rows without a key, null, NaN or an empty id, are dropped), then one column per aggregation. count and distinct are Int32,
 * sum and mean Float64 (compensated sums in log order, so ten 0.1s are 1; a Decimal column exactly, rounded once; an Int64 or Uint64 column exactly,
 * its mean rounded once and a sum float64 does not hold exactly an E_PRECISION error), and min, max, first and last keep
 * the column's type and exact values.
 * @example
 * const perCustomer = await aggregateByCustomer(orders, {
 *   key: 'customer_id',
 *   aggregations: { orders: { op: 'count' }, spend: { column: 'amount', op: 'sum' }, lastOrder: { column: 'date', op: 'max' } },
 * });
 */
export async function aggregateByCustomer(log: Table, options: AggregateByCustomerOptions): Promise<Table> {
  if (!isArrowTable(log)) throw badOption('log', log, 'an Arrow Table');
  if (!options || typeof options.key !== 'string' || options.key === '') throw badOption('key', options?.key, 'the name of the customer key column');
  const { key, aggregations } = options;
  if (!aggregations || typeof aggregations !== 'object' || Object.keys(aggregations).length === 0) {
    throw badOption('aggregations', aggregations, 'an object of output name -> { column, op }');
  }
  const available = log.schema.fields.map((f) => f.name);
  const column = (name: string, what: string): Vector => {
    const vector = log.getChild(name);
    if (!vector) throw new SegkitError('E_MISSING_COLUMN', `${what} names column "${name}", which the log does not have`, `it has: ${available.join(', ')}`);
    return vector;
  };
  const keyVector = column(key, 'option "key"');
  const outputs = Object.entries(aggregations);
  for (const [out, agg] of outputs) {
    if (out === key) throw badOption(`aggregations.${out}`, out, 'a name other than the key column');
    if (!agg || typeof agg !== 'object' || !AGGREGATE_OPS.includes(agg.op)) {
      throw badOption(`aggregations.${out}.op`, agg?.op, `one of ${AGGREGATE_OPS.join(', ')}`);
    }
    if (agg.column === undefined) {
      if (agg.op !== 'count') throw badOption(`aggregations.${out}.column`, agg.column, `a column name (op "${agg.op}" needs one)`);
      continue;
    }
    if (typeof agg.column !== 'string') throw badOption(`aggregations.${out}.column`, agg.column, 'a column name');
    const vector = column(agg.column, `aggregation "${out}"`);
    const type = vector.type as DataType;
    if ((agg.op === 'sum' || agg.op === 'mean') && !DataType.isInt(type) && !DataType.isFloat(type) && !DataType.isDecimal(type)) {
      throw new SegkitError('E_NON_NUMERIC', `aggregation "${out}" takes the ${agg.op} of column "${agg.column}", which has type ${String(type)}, not a number type`);
    }
  }

  const { group, firstRow, lastRow } = groupRows(keyVector);
  const groups = firstRow.length;
  const names = [key];
  const columns: Data[] = [takeRows(keyVector, firstRow, `key column "${key}"`)];
  for (const [out, agg] of outputs) {
    names.push(out);
    if (agg.column === undefined) {
      columns.push(int32Data(countRows(group, groups)));
      continue;
    }
    const vector = log.getChild(agg.column)!;
    const what = `column "${agg.column}"`;
    switch (agg.op) {
      case 'count': columns.push(int32Data(countValid(vector, group, groups))); break;
      case 'distinct': columns.push(int32Data(countDistinct(vector, group, groups))); break;
      case 'sum': case 'mean': columns.push(sumOrMean(vector, group, groups, agg.op === 'mean', (g) => `${what}: the sum of customer ${String(keyVector.get(firstRow[g]))}`)); break;
      case 'min': case 'max': columns.push(takeRows(vector, extremeRows(vector, group, groups, agg.op === 'max'), what)); break;
      case 'first': columns.push(takeRows(vector, firstRow, what)); break;
      case 'last': columns.push(takeRows(vector, lastRow, what)); break;
    }
  }
  return tableFromColumns(names, columns);
}

/**
 * Each row's group (customers numbered in order of first appearance; -1 without a key: null, NaN, which a Map
 * would make one customer, or an empty id) and each group's first and last row.
 */
function groupRows(keys: Vector): { group: Int32Array; firstRow: Int32Array; lastRow: Int32Array } {
  const group = new Int32Array(keys.length);
  const ids = new Map<unknown, number>();
  const first: number[] = [];
  const last: number[] = [];
  let i = 0;
  for (const v of exactValues(keys)) {
    // an empty id ("" or empty bytes) is a missing one, as rfm, behaviourFeatures and compareSnapshots read it
    if (v == null || v !== v || v === '' || (v instanceof Uint8Array && v.length === 0)) {
      group[i++] = -1;
      continue;
    }
    const k = sameKey(v);
    let g = ids.get(k);
    if (g === undefined) {
      g = first.length;
      ids.set(k, g);
      first.push(i);
      last.push(i);
    }
    last[g] = i;
    group[i++] = g;
  }
  return { group, firstRow: Int32Array.from(first), lastRow: Int32Array.from(last) };
}

/** A value Map and Set compare by what it holds: dates by their time, bytes and decimals (their words) by their content. */
const sameKey = (v: unknown): unknown => (v instanceof Date ? v.getTime() : ArrayBuffer.isView(v) ? Array.prototype.join.call(v, ',') : v);

const int32Data = (values: Int32Array): Data => makeData({ type: new Int32(), length: values.length, nullCount: 0, data: values });

function countRows(group: Int32Array, groups: number): Int32Array {
  const out = new Int32Array(groups);
  for (const g of group) if (g >= 0) out[g]++;
  return out;
}

function countValid(vector: Vector, group: Int32Array, groups: number): Int32Array {
  const out = new Int32Array(groups);
  let i = 0;
  for (const v of vector) {
    const g = group[i++];
    if (g >= 0 && v != null) out[g]++;
  }
  return out;
}

function countDistinct(vector: Vector, group: Int32Array, groups: number): Int32Array {
  const seen = Array.from({ length: groups }, () => new Set<unknown>());
  let i = 0;
  for (const v of exactValues(vector)) {
    const g = group[i++];
    if (g >= 0 && v != null) seen[g].add(sameKey(v));
  }
  return Int32Array.from(seen, (s) => s.size);
}

function sumOrMean(vector: Vector, group: Int32Array, groups: number, mean: boolean, whose: (g: number) => string): Data {
  const sum = new Float64Array(groups);
  const count = new Int32Array(groups);
  const type = vector.type as DataType & { scale: number; bitWidth: number };
  // decimals (money) are summed exactly in their unscaled integers and rounded once; 64-bit integers exactly too
  // (float64 additions past 2^53 drop units: 2^53 + 1 + 1 was 2^53), a sum float64 does not hold exactly refused
  const wide = DataType.isInt(type) && type.bitWidth === 64;
  const exactly = wide || DataType.isDecimal(type);
  if (exactly) {
    const exact = new Array<bigint>(groups).fill(0n);
    let i = 0;
    for (const d of vector.data) {
      for (let r = 0; r < d.length; r++) {
        const g = group[i++];
        if (g < 0 || !d.getValid(r)) continue;
        exact[g] += wide ? BigInt(d.values[r]) : unscaled(d.values as Uint32Array, r, type.bitWidth / 32);
        count[g]++;
      }
    }
    exact.forEach((v, g) => {
      // a decimal's mean is its exact sum over count x 10^scale, rounded once (0.10, 0.20, 0.00: 0.1, not 0.3 / 3)
      const scale = wide ? 0 : type.scale;
      if (mean) sum[g] = count[g] && quotient(scale < 0 ? v * 10n ** BigInt(-scale) : v, BigInt(count[g]) * 10n ** BigInt(Math.max(scale, 0)));
      else if (!wide) sum[g] = +decimalText(v, scale);
      else if (BigInt((sum[g] = Number(v))) !== v) throw new SegkitError('E_PRECISION', `${whose(g)} is ${v}, which float64 does not hold exactly`);
    });
  } else {
    // compensated (Neumaier): ten 0.1s are 1, as in pandas' groupby, not 0.9999999999999999; the lost low bits kept apart
    const lost = new Float64Array(groups);
    let i = 0;
    for (const v of vector) {
      const g = group[i++];
      if (g < 0 || v == null) continue;
      const x = Number(v), s = sum[g], t = s + x;
      lost[g] += lostBits(s, x, t);
      sum[g] = t;
      count[g]++;
    }
    for (let g = 0; g < groups; g++) sum[g] = roundedSum(sum[g], lost[g]);
  }
  const bits = new Uint8Array((groups + 7) >> 3);
  let nullCount = 0;
  for (let g = 0; g < groups; g++) {
    if (count[g] === 0) {
      nullCount++;
      sum[g] = 0;
      continue;
    }
    bits[g >> 3] |= 1 << (g & 7);
    if (mean && !exactly) sum[g] /= count[g];
  }
  return makeData({ type: new Float64(), length: groups, nullCount, nullBitmap: nullCount > 0 ? bits : undefined, data: sum });
}

/** The float64 nearest a / b (b > 0), rounded once: the quotient to 128 bits or more, its last bit set when inexact. */
function quotient(a: bigint, b: bigint): number {
  const shift = 128 + Math.max(0, b.toString(2).length - (a < 0n ? -a : a).toString(2).length);
  const n = (a < 0n ? -a : a) << BigInt(shift);
  const q = ((n / b) << 1n) | (n % b === 0n ? 0n : 1n);
  return (a < 0n ? -1 : 1) * (Number(q) / 2 ** (shift + 1));
}

/** A decimal's unscaled integer, or a 64-bit value as stored (null where null). */
function* storedValues(vector: Vector): Iterable<bigint | null> {
  for (const d of vector.data) {
    for (let r = 0; r < d.length; r++) yield !d.getValid(r) ? null : DataType.isDecimal(d.type) ? unscaled(d.values as Uint32Array, r, d.type.bitWidth / 32) : d.values[r];
  }
}

/**
 * A column's values to compare: decimals as their unscaled integers (exact past 2^53, where Arrow's conversion to a
 * number throws) and 64-bit values as stored (Arrow reads a nanosecond timestamp as float64 milliseconds, which do not
 * tell nanoseconds apart); others as columnValues gives them.
 */
const exactValues = (vector: Vector): Iterable<unknown> =>
  !DataType.isDictionary(vector.type) && vector.data.every((d) => DataType.isDecimal(d.type) || d.values instanceof BigInt64Array || d.values instanceof BigUint64Array)
    ? storedValues(vector)
    : columnValues(vector);

/** A UTF-16 code unit placed so that code units compare as code points do (surrogates above U+E000-U+FFFF). */
const unit = (u: number): number => (u < 0xd800 ? u : u < 0xe000 ? u + 0x2000 : u - 0x800);

/** x < y: text by code point and bytes bytewise, as UTF-8 bytes and pandas order them; other values by `<`. */
function less(x: unknown, y: unknown): boolean {
  if (typeof x === 'string' || x instanceof Uint8Array) {
    const a = x as ArrayLike<number> & string, b = y as ArrayLike<number> & string, text = typeof x === 'string';
    for (let k = 0; k < a.length && k < b.length; k++) {
      const p = text ? a.charCodeAt(k) : a[k], q = text ? b.charCodeAt(k) : b[k];
      if (p !== q) return text ? unit(p) < unit(q) : p < q;
    }
    return a.length < b.length;
  }
  return (x as number) < (y as number);
}

/**
 * The row holding each group's smallest (or largest) non-null value, the earliest on ties; a NaN wins, as in Math.min.
 * Decimals and 64-bit values compare exactly (exactValues).
 */
function extremeRows(vector: Vector, group: Int32Array, groups: number, max: boolean): Int32Array {
  const best = new Int32Array(groups).fill(-1);
  const value: unknown[] = new Array(groups);
  let i = 0;
  for (const v of exactValues(vector)) {
    const row = i++;
    const g = group[row];
    if (g < 0 || v == null) continue;
    if (best[g] >= 0) {
      const b = value[g];
      if (Number.isNaN(b)) continue;
      if (!(Number.isNaN(v) || (max ? less(b, v) : less(v, b)))) continue;
    }
    best[g] = row;
    value[g] = v;
  }
  return best;
}
