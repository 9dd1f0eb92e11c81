import { type Data, DataType, makeData, type Vector } from '#arrow';
import { SegkitError } from '../util/errors.js';
import { columnValues, dataFromValues } from './arrowTable.js';

// Built with makeData over copied buffers, never with apache-arrow's Builders (vectorFromArray), which compile
// code with new Function: edge runtimes forbid it.

/** Where each chunk of a vector starts, for mapping a row of the whole column to (chunk, row in chunk). */
function chunkStarts(vector: Vector): Int32Array {
  const starts = new Int32Array(vector.data.length + 1);
  vector.data.forEach((d, c) => (starts[c + 1] = starts[c] + d.length));
  return starts;
}

function locate(starts: Int32Array, row: number): number {
  let lo = 0, hi = starts.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= row) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Validity of the picked rows (undefined when none is null) and the null count. */
function pickValidity(chunks: readonly Data[], starts: Int32Array, rows: Int32Array): { nullBitmap: Uint8Array | undefined; nullCount: number } {
  const n = rows.length;
  const bits = new Uint8Array((n + 7) >> 3);
  let nullCount = 0;
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    let valid = r >= 0;
    if (valid) {
      const c = locate(starts, r);
      valid = chunks[c].getValid(r - starts[c]);
    }
    if (valid) bits[i >> 3] |= 1 << (i & 7);
    else nullCount++;
  }
  return nullCount === 0 ? { nullBitmap: undefined, nullCount } : { nullBitmap: bits, nullCount };
}

/**
 * The rows of a column at the given row numbers (-1 gives null), as one chunk of the same type: a gather over
 * the column's own buffers, so every fixed-width type (ints, floats, dates, times, timestamps, decimals,
 * intervals, durations), booleans, UTF-8 and binary text, and dictionaries keep their exact values (a dictionary
 * column whose chunks have different dictionaries comes out as its values, in the dictionary's value type). `what` names the column in errors.
 */
export function takeRows(vector: Vector, rows: Int32Array, what: string): Data {
  const type = vector.type as DataType;
  const chunks = vector.data;
  const starts = chunkStarts(vector);
  const n = rows.length;
  for (let i = 0; i < n; i++) {
    if (rows[i] >= vector.length || rows[i] < -1) throw new RangeError(`row ${rows[i]} is outside ${what} (${vector.length} rows)`);
  }
  const { nullBitmap, nullCount } = pickValidity(chunks, starts, rows);
  const at = (i: number): [Data, number] | undefined => {
    const r = rows[i];
    if (r < 0) return undefined;
    const c = locate(starts, r);
    return [chunks[c], r - starts[c]];
  };

  if (DataType.isBool(type)) {
    const data = new Uint8Array((n + 7) >> 3);
    for (let i = 0; i < n; i++) {
      const p = at(i);
      if (!p) continue;
      const [d, r] = p;
      const bit = d.offset + r;
      if ((d.values as Uint8Array)[bit >> 3] & (1 << (bit & 7))) data[i >> 3] |= 1 << (i & 7);
    }
    return makeData({ type, length: n, nullCount, nullBitmap, data } as never);
  }
  if (DataType.isUtf8(type) || DataType.isBinary(type) || DataType.isLargeUtf8(type) || DataType.isLargeBinary(type)) {
    const large = DataType.isLargeUtf8(type) || DataType.isLargeBinary(type);
    const valueOffsets = large ? new BigInt64Array(n + 1) : new Int32Array(n + 1);
    const pieces: Uint8Array[] = [];
    let total = 0;
    for (let i = 0; i < n; i++) {
      const p = at(i);
      if (p) {
        const [d, r] = p;
        const offs = d.valueOffsets as Int32Array | BigInt64Array;
        const from = Number(offs[r]), to = Number(offs[r + 1]);
        pieces.push((d.values as Uint8Array).subarray(from, to));
        total += to - from;
      }
      if (large) (valueOffsets as BigInt64Array)[i + 1] = BigInt(total);
      else (valueOffsets as Int32Array)[i + 1] = total;
    }
    if (!large && total > 0x7fffffff) throw new SegkitError('E_MEMORY', `${what}: the picked text is over 2 GiB`);
    const data = new Uint8Array(total);
    let pos = 0;
    for (const piece of pieces) {
      data.set(piece, pos);
      pos += piece.length;
    }
    return makeData({ type, length: n, nullCount, nullBitmap, valueOffsets, data } as never);
  }
  if (DataType.isDictionary(type)) {
    // the indices are gathered like any integer column; every chunk of a column shares one dictionary in Arrow JS
    const dictionary = chunks[0]?.dictionary;
    if (chunks.some((d) => d.dictionary !== dictionary)) {
      // batches of a stream with replacement dictionaries: the values themselves, in the dictionary's value type
      const values = columnValues(vector);
      return dataFromValues(Array.from(rows, (r) => (r < 0 ? null : values[r])), type.dictionary);
    }
    const indices = gather(rows, at, type.indices.ArrayType as unknown as TypedArrayClass, 1);
    return makeData({ type, length: n, nullCount, nullBitmap, data: indices, dictionary } as never);
  }
  const fixed = type as DataType & { ArrayType?: TypedArrayClass };
  const stride = chunks[0]?.stride ?? 1;
  if (
    fixed.ArrayType &&
    (DataType.isInt(type) || DataType.isFloat(type) || DataType.isDate(type) || DataType.isTime(type) || DataType.isTimestamp(type) ||
      DataType.isDecimal(type) || DataType.isInterval(type) || DataType.isDuration(type))
  ) {
    const data = gather(rows, at, fixed.ArrayType, stride);
    return makeData({ type, length: n, nullCount, nullBitmap, data } as never);
  }
  throw new SegkitError('E_BAD_OPTION', `${what} has type ${String(type)}, which segkit cannot join or aggregate`, 'cast it to numbers, text or timestamps first');
}

type TypedArrayClass = new (length: number) => { [i: number]: number | bigint; length: number };

/** Copies `stride` elements per picked row from each chunk's values (fixed-width values are sliced with the chunk). */
function gather(rows: Int32Array, at: (i: number) => [Data, number] | undefined, ArrayType: TypedArrayClass, stride: number): InstanceType<TypedArrayClass> {
  const out = new ArrayType(rows.length * stride);
  for (let i = 0; i < rows.length; i++) {
    const p = at(i);
    if (!p) continue;
    const [d, r] = p;
    const values = d.values as unknown as { [i: number]: number | bigint };
    for (let e = 0; e < stride; e++) out[i * stride + e] = values[r * stride + e];
  }
  return out;
}
