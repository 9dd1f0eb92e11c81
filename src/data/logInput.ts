import { DataType, Precision, makeVector, type Data, type Table, type Vector } from '#arrow';
import { isArrowTable } from './dataset.js';
import { utf8Data } from './arrowTable.js';
import { decimalKey, decimalNumber, unscaled } from './decimal.js';
import { parseIsoDate } from './columnBuilder.js';
import { SegkitError, badOption, describe } from '../util/errors.js';
import { DAY_MS, floorMillis } from './tableCells.js';
import { binaryKey, columnValues, utf8Text } from './utf8Text.js';
export { DAY_MS };

/** A transaction or event log: an Arrow Table or an array of plain records. */
export type LogInput = Table | readonly Readonly<Record<string, unknown>>[];

/** A customer (or invoice, session, ...) id as it appears in the log. */
export type Key = string | number | bigint;


/** The log's row count; throws unless it is a non-empty Table or array of records. */
export function logLength(log: LogInput): number {
  let n: number;
  if (isArrowTable(log)) n = log.numRows;
  else if (Array.isArray(log)) n = log.length;
  else throw new SegkitError('E_BAD_OPTION', `the log must be an Arrow Table or an array of records, got ${describe(log)}`);
  if (n === 0) throw new SegkitError('E_EMPTY_DATA', 'the log has no rows');
  return n;
}

export function columnOption(options: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const v = options[name];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || v === '') throw badOption(name, v, 'a column name');
  return v;
}

// One pass over a column, whatever its storage: `visit(value, row)` sees plain JS values (null for missing).
function scanRecords(log: readonly Readonly<Record<string, unknown>>[], column: string, visit: (v: unknown, row: number) => void): void {
  // a record may leave a key out (null there, as readJson reads it): the column is missing only when no record has it
  if (!log.some((r) => r !== null && typeof r === 'object' && Object.hasOwn(r, column))) {
    const first = log[0];
    const has = first && typeof first === 'object' ? Object.keys(first).join(', ') : describe(first);
    throw new SegkitError('E_MISSING_COLUMN', `column "${column}" is not in the log`, `row 0 has: ${has}`);
  }
  for (let i = 0; i < log.length; i++) {
    const r = log[i];
    if (r === null || typeof r !== 'object') throw new SegkitError('E_RAGGED_ROWS', `row ${i} is ${describe(r)}, not a record`);
    // own keys only: a column named "constructor" a record lacks is missing there, not Object's method
    const v = Object.hasOwn(r, column) ? r[column] : undefined;
    visit(v === undefined ? null : v, i);
  }
}

function arrowColumn(log: Table, column: string): Vector {
  const vec = log.getChild(column);
  if (!vec) {
    throw new SegkitError('E_MISSING_COLUMN', `column "${column}" is not in the log`, `it has: ${log.schema.fields.map((f) => f.name).join(', ')}`);
  }
  return vec;
}

// Visits the values of one Arrow chunk as JS values; `values` of a sliced chunk is already offset by Arrow.
function scanChunkValues(data: Data, start: number, visit: (v: unknown, row: number) => void): void {
  let i = 0;
  for (const v of columnValues(makeVector(data))) visit(v ?? null, start + i++);
}

/** Maps ids to dense codes 0..k-1 in first-seen order; `codes[row]` is -1 where the id is missing. */
export interface KeyColumn {
  readonly codes: Int32Array;
  readonly keys: Key[];
}

/**
 * An id as a Map key, null when missing: null, NaN, an invalid Date and an empty text or byte string alike (a CSV
 * reader reads an empty cell as null, a JSON one keeps ""; either way no customer, order or session is named).
 */
function normaliseKey(v: unknown, row: number, column: string): Key | null {
  if (v === null || v === '') return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isNaN(v) ? null : v;
  if (typeof v === 'bigint') return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
  if (typeof v === 'boolean') return String(v);
  // an invalid Date is missing, as NaN is
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  // a Binary column's id (Parquet strings written without their UTF8 annotation)
  if (v instanceof Uint8Array) return v.length ? binaryKey(v) : null;
  // a record or list (an extended-JSON {"$oid": ...}) is no id: as text every one is "[object Object]", one customer
  if (typeof v === 'object' && !ArrayBuffer.isView(v)) throw new SegkitError('E_PARSE', `row ${row}, column "${column}" holds ${describe(v)}, not an id`);
  return String(v);
}

/**
 * Integer ids spanning a modest range go through a lookup table instead of a Map: the common case of
 * numeric customer and invoice ids, several times faster. Returns false (nothing written) when the range is too wide.
 */
function denseIntKeys(chunks: readonly Data[], codes: Int32Array, keys: Key[], onMissing: (row: number) => void): boolean {
  let min = Infinity, max = -Infinity;
  for (const data of chunks) {
    const values = data.values as ArrayLike<number | bigint>;
    for (let i = 0; i < data.length; i++) {
      if (data.nullCount > 0 && !data.getValid(i)) continue;
      const v = Number(values[i]);
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (min <= max && (max - min > Math.max(1 << 20, 4 * codes.length) || !Number.isSafeInteger(min) || !Number.isSafeInteger(max))) return false;
  const table = new Int32Array(min <= max ? max - min + 1 : 0).fill(-1);
  let row = 0;
  for (const data of chunks) {
    const values = data.values as ArrayLike<number | bigint>;
    for (let i = 0; i < data.length; i++, row++) {
      if (data.nullCount > 0 && !data.getValid(i)) {
        codes[row] = -1;
        onMissing(row);
        continue;
      }
      const v = Number(values[i]) - min;
      let code = table[v];
      if (code < 0) {
        code = table[v] = keys.length;
        keys.push(v + min);
      }
      codes[row] = code;
    }
  }
  return true;
}

/**
 * Utf8 ids hashed from their bytes (FNV-1a, open addressing), so a string is decoded once per distinct id
 * rather than once per row: no per-row strings for the garbage collector.
 */
class Utf8KeyIndex {
  private slots = new Int32Array(1024).fill(-1);
  private readonly hashes: number[] = [];
  private readonly bytes: Uint8Array[] = [];
  private readonly codes: number[] = [];
  /** The codes this index gave: codeOf may give a code met before in a chunk of another type (a Dictionary's). */
  private readonly own = new Set<number>();
  /** How new bytes read: the chunk's type says (a Utf8 chunk's as text, a Binary chunk's as binaryKey reads them). */
  text = utf8Text;

  constructor(private readonly codeOf: (key: string, row: number, hex: boolean) => number, private readonly column: string) {}

  code(values: Uint8Array, from: number, to: number, row: number): number {
    let h = 0x811c9dc5;
    for (let b = from; b < to; b++) h = Math.imul(h ^ values[b], 0x01000193);
    const mask = this.slots.length - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot];
      if (entry < 0) break;
      if (this.hashes[entry] === h && sameBytes(this.bytes[entry], values, from, to)) return this.codes[entry];
    }
    // A new byte string: decode it once; codeOf shares the code with the same id met in other chunk types.
    const entry = this.hashes.push(h) - 1;
    const bytes = values.subarray(from, to);
    this.bytes.push(bytes);
    const key = this.text(bytes), code = this.codeOf(key, row, key.length > bytes.length);
    // new bytes take a code this index has not given: bytes that are not UTF-8 read leniently as text are U+FFFD
    if (this.own.size === this.own.add((this.codes[entry] = code)).size) throw twoIds(key, row, this.column);
    // entry + 1 entries: the table is kept at most half full
    if (entry * 2 + 2 > this.slots.length) {
      this.slots = new Int32Array(this.slots.length * 2).fill(-1);
      for (let e = 0; e <= entry; e++) this.insert(e);
    } else this.insert(entry);
    return code;
  }

  private insert(entry: number): void {
    const mask = this.slots.length - 1;
    let slot = this.hashes[entry] & mask;
    while (this.slots[slot] >= 0) slot = (slot + 1) & mask;
    this.slots[slot] = entry;
  }
}

/**
 * Two ids of a column read as one key: bytes that are not UTF-8 (ff 01) read as their hexadecimal, which is the text of
 * other bytes ("ff01").
 */
function twoIds(key: Key, row: number, column: string): SegkitError {
  return new SegkitError('E_DUPLICATE_ID', `row ${row}, column "${column}": two ids read as ${describe(key)}`);
}

function sameBytes(a: Uint8Array, values: Uint8Array, from: number, to: number): boolean {
  if (a.length !== to - from) return false;
  for (let b = 0; b < a.length; b++) if (a[b] !== values[from + b]) return false;
  return true;
}

/**
 * The distinct values of a key column and each row's code (-1: missing). A key written as a number in some rows and
 * as text in others (7 and "7", as JSON records hold them) is one key, the spelling seen first. Records whose
 * `customers` code is -1 (skipped for want of a customer id) are not read: missing there, whatever they hold.
 */
export function readKeys(log: LogInput, column: string, onMissing: (row: number) => void, customers?: Int32Array): KeyColumn {
  const { codes, keys, hex } = readKeysAsWritten(log, column, onMissing, customers);
  if (keys.every((k) => typeof k === 'string') || !keys.some((k) => typeof k === 'string')) return { codes, keys };
  const first = new Map<string, number>();
  const kept: Key[] = [];
  const one = new Int32Array(keys.length);
  keys.forEach((k, c) => {
    const text = String(k), f = first.get(text);
    if (f === undefined) first.set(text, c), (one[c] = kept.push(k) - 1);
    // a number is not the hexadecimal of bytes (0x80 is not 80)
    else if (hex.has(c) || hex.has(f)) throw twoIds(text, codes.indexOf(c), column);
    else one[c] = one[f];
  });
  for (let i = 0; i < codes.length; i++) if (codes[i] >= 0) codes[i] = one[codes[i]];
  return { codes, keys: kept };
}

function readKeysAsWritten(log: LogInput, column: string, onMissing: (row: number) => void, customers?: Int32Array): KeyColumn & { hex: Set<number> } {
  const n = logLength(log);
  const codes = new Int32Array(n);
  const keys: Key[] = [];
  const index = new Map<Key, number>();
  // Logs are usually grouped by customer or invoice, so the previous id is the likeliest next one.
  let lastKey: Key | null = null;
  let lastCode = -1;
  // the codes of keys that are the hexadecimal of bytes that are not UTF-8: the same text met as text is other bytes
  const hex = new Set<number>();
  const codeOf = (key: Key, row: number, isHex: boolean): number => {
    if (key !== lastKey || isHex) {
      let code = index.get(key);
      if (code === undefined) {
        index.set(key, (code = keys.push(key) - 1));
        if (isHex) hex.add(code);
      } else if (hex.has(code) !== isHex) throw twoIds(key, row, column);
      // a hexadecimal key is looked up each time, and is never the one the next text skips the lookup for
      lastKey = isHex ? null : key;
      lastCode = code;
    }
    return lastCode;
  };
  const visit = (v: unknown, row: number): void => {
    const key = normaliseKey(v, row, column);
    if (key === null) {
      codes[row] = -1;
      onMissing(row);
    } else codes[row] = codeOf(key, row, v instanceof Uint8Array && (key as string).length > v.length);
  };
  if (!isArrowTable(log)) {
    scanRecords(log, column, (v, row) => visit(customers && customers[row] < 0 ? null : v, row));
    return { codes, keys, hex };
  }
  const chunks = arrowColumn(log, column).data;
  if (chunks.every((d) => DataType.isInt(d.type)) && denseIntKeys(chunks, codes, keys, onMissing)) return { codes, keys, hex };
  let start = 0;
  const dictCodes = new Map<unknown, Int32Array>();
  // each dictionary's words decoded once, however many chunks share it
  const dictWords = new Map<unknown, unknown[]>();
  let utf8: Utf8KeyIndex | undefined;
  for (const data of chunks) {
    // a Binary column (Parquet text without its UTF8 annotation) alike, each distinct id read once as binaryKey reads it
    if ((DataType.isUtf8(data.type) || DataType.isBinary(data.type)) && data.valueOffsets instanceof Int32Array) {
      // one index for both: equal bytes are one id whichever chunk holds them, distinct bytes never share a code
      (utf8 ??= new Utf8KeyIndex(codeOf, column)).text = DataType.isBinary(data.type) ? binaryKey : utf8Text;
      const offsets = data.valueOffsets;
      const values = data.values as Uint8Array;
      for (let i = 0; i < data.length; i++) {
        const row = start + i;
        if ((data.nullCount > 0 && !data.getValid(i)) || offsets[i] === offsets[i + 1]) {
          codes[row] = -1;
          onMissing(row);
        } else codes[row] = utf8.code(values, offsets[i], offsets[i + 1], row);
      }
    } else if (DataType.isDictionary(data.type) && data.dictionary) {
      // Dictionary chunks: decode each distinct dictionary entry once, not once per row.
      const dict = data.dictionary;
      let map = dictCodes.get(dict);
      if (!map) {
        map = new Int32Array(dict.length).fill(-2);
        dictCodes.set(dict, map);
      }
      const idx = data.values as ArrayLike<number>;
      let words = dictWords.get(dict);
      for (let i = 0; i < data.length; i++) {
        const row = start + i;
        if (data.nullCount > 0 && !data.getValid(i)) {
          codes[row] = -1;
          onMissing(row);
          continue;
        }
        const d = idx[i];
        if (map[d] === -2) {
          if (!words) dictWords.set(dict, (words = [...columnValues(dict)]));
          visit(words[d] ?? null, row);
          map[d] = codes[row];
        } else {
          codes[row] = map[d];
          if (map[d] === -1) onMissing(row);
        }
      }
    } else if (DataType.isDecimal(data.type)) {
      // by value, as joinCustomers keys them (the values are unscaled words)
      for (let r = 0; r < data.length; r++) visit(data.getValid(r) ? decimalKey(unscaled(data.values as Uint32Array, r, data.type.bitWidth / 32), data.type.scale) : null, start + r);
    } else {
      scanChunkValues(data, start, visit);
    }
    start += data.length;
  }
  return { codes, keys, hex };
}

function notANumber(row: number, column: string, v: unknown): SegkitError {
  return new SegkitError('E_NON_NUMERIC', `row ${row}, column "${column}" holds ${describe(v)}, not a number`);
}

function missingValue(row: number, column: string, v: unknown): SegkitError {
  return new SegkitError('E_NAN_INPUT', `row ${row}, column "${column}" holds ${describe(v)}; a finite number is required`);
}

/**
 * A numeric column as float64; `missing` gives the value for null (and NaN) cells, or throws when omitted. Rows whose
 * `customers` code is -1 (skipped for want of a customer id) are left 0, unread.
 */
export function readNumbers(log: LogInput, column: string, missing?: number, customers?: Int32Array): Float64Array {
  const n = logLength(log);
  const out = new Float64Array(n);
  const visit = (v: unknown, row: number): void => {
    if (customers && customers[row] < 0) return;
    if (typeof v === 'number') {
      // NaN is how pandas and float columns write a missing value, as the prep steps read it
      if (v !== v && missing !== undefined) out[row] = missing;
      else if (!Number.isFinite(v)) throw missingValue(row, column, v);
      else out[row] = v;
    } else if (typeof v === 'bigint') {
      out[row] = Number(v);
    } else if (v === null && missing !== undefined) {
      out[row] = missing;
    } else if (v === null) {
      throw missingValue(row, column, v);
    } else {
      throw notANumber(row, column, v);
    }
  };
  if (!isArrowTable(log)) {
    scanRecords(log, column, visit);
    return out;
  }
  let start = 0;
  for (const data of arrowColumn(log, column).data) {
    const type = data.type as DataType;
    if (DataType.isDecimal(type)) {
      // an amount exported as decimal(p, s): each the float64 nearest its value (E_PARSE past 15 significant digits)
      const { scale, precision, bitWidth } = type as unknown as { scale: number; precision: number; bitWidth: number };
      for (let i = 0; i < data.length; i++) {
        const skip = !data.getValid(i) || (customers && customers[start + i] < 0);
        visit(skip ? null : decimalNumber(unscaled(data.values as Uint32Array, i, bitWidth / 32), scale, precision, column), start + i);
      }
      start += data.length;
      continue;
    }
    if (!DataType.isInt(type) && !DataType.isFloat(type)) {
      // name the first value that is not a number, which is usually why a reader typed the column as text
      let row = start, bad: unknown;
      let i = 0;
      for (const v of makeVector(data)) {
        if (v !== null && (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(Number(v)))) {
          row = start + i;
          bad = v;
          break;
        }
        i++;
      }
      const what = bad === undefined ? '' : ` and holds ${describe(bad)}`;
      throw new SegkitError('E_NON_NUMERIC', `row ${row}, column "${column}" has Arrow type ${String(type)}${what}, not a number`);
    }
    const values = data.values as ArrayLike<number | bigint>;
    // Float16 is stored as raw uint16 bits, so let Arrow decode it.
    if (DataType.isFloat(type) && type.precision === 0) scanChunkValues(data, start, visit);
    else {
      for (let i = 0; i < data.length; i++) {
        visit(data.nullCount > 0 && !data.getValid(i) ? null : values[i], start + i);
      }
    }
    start += data.length;
  }
  return out;
}

/** The significand bits of a column's numbers: 24 for an Arrow Float32 column, 11 for Float16, else 53 (float64, records). */
export function floatBits(log: LogInput, column: string): number {
  const type = isArrowTable(log) ? log.getChild(column)?.type : undefined;
  return type && DataType.isFloat(type) ? [11, 24, 53][type.precision] : 53;
}

/** Epoch milliseconds of any accepted date value, or NaN. */
export function toEpochMs(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? v : NaN;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string') return parseIsoDate(v);
  if (typeof v === 'bigint') return Number(v);
  return NaN;
}

// ECMAScript's time range: 100,000,000 days either side of 1970 (years -271821 to 275760).
const MAX_DATE_MS = 8.64e15;

function badDate(row: number, column: string, v: unknown): SegkitError {
  return new SegkitError(
    'E_PARSE',
    `row ${row}, column "${column}" holds ${describe(typeof v === 'bigint' ? Number(v) : v)}, not a date`,
    'use Date objects, epoch milliseconds, ISO 8601 strings (no offset means UTC) or an Arrow Timestamp/Date column',
  );
}

function outOfRange(row: number, column: string, v: unknown): SegkitError {
  return new SegkitError(
    'E_PARSE',
    `row ${row}, column "${column}" holds ${describe(typeof v === 'bigint' ? Number(v) : v)}, outside the dates a calendar can hold (years -271821 to 275760 as epoch milliseconds)`,
    'check the unit: dates are epoch milliseconds, not microseconds or nanoseconds',
  );
}

const UNIT_TO_MS = [1000, 1, 1e-3, 1e-6];

/**
 * Plain numbers are epoch milliseconds; below this (1973-03-03) they are far likelier a date written as digits
 * (20240101) or epoch seconds (1704067200), both of which would read as January 1970.
 */
const EARLIEST_NUMBER_MS = 1e11;

/**
 * Plain numbers past this (the year 3000), or before its negative (the year 940), are far likelier epoch microseconds
 * (1704067200000000; -220924800000000 for 1963) than milliseconds.
 */
const LATEST_NUMBER_MS = 32503680000000;

/** Whether a plain number cannot be epoch milliseconds of a customer's date (see EARLIEST_NUMBER_MS, LATEST_NUMBER_MS). */
const implausibleMs = (t: number): boolean => Math.abs(t) < EARLIEST_NUMBER_MS || Math.abs(t) > LATEST_NUMBER_MS;

/** What an implausible number of milliseconds likelier is, as a question. */
function numberGuess(n: number): string {
  const digits = Number.isInteger(n) && n >= 10000101 && n <= 99991231;
  return Math.abs(n) > LATEST_NUMBER_MS ? 'epoch microseconds?' : digits ? 'a date written as digits (YYYYMMDD), or epoch seconds?' : 'epoch seconds?';
}

function numberNotMs(row: number, column: string, v: unknown): SegkitError {
  const n = typeof v === 'bigint' ? Number(v) : (v as number);
  const guess = numberGuess(n);
  return new SegkitError(
    'E_PARSE',
    `row ${row}, column "${column}" holds the number ${n}, which as epoch milliseconds is ${new Date(n).toISOString()}: ${guess}`,
    'write dates as ISO 8601 text (2024-01-01), or give epoch milliseconds (seconds times 1000, microseconds divided by 1000)',
  );
}

/** A date column as epoch milliseconds (UTC); rows whose `customers` code is -1 are left 0, unread (see readNumbers). */
export function readTimes(log: LogInput, column: string, customers?: Int32Array): Float64Array {
  const n = logLength(log);
  const out = new Float64Array(n);
  let lastString = '';
  let lastMs = NaN;
  const visit = (v: unknown, row: number): void => {
    if (customers && customers[row] < 0) return;
    let t: number;
    // Logs repeat timestamps (one per invoice line), so reuse the last parse.
    if (typeof v === 'string') {
      if (v !== lastString || Number.isNaN(lastMs)) {
        lastString = v;
        lastMs = parseIsoDate(v);
      }
      t = lastMs;
    } else t = toEpochMs(v);
    if (Number.isNaN(t)) throw badDate(row, column, v);
    if (Math.abs(t) > MAX_DATE_MS) throw outOfRange(row, column, v);
    if ((typeof v === 'number' || typeof v === 'bigint') && implausibleMs(t)) throw numberNotMs(row, column, v);
    out[row] = t;
  };
  if (!isArrowTable(log)) {
    scanRecords(log, column, visit);
    return out;
  }
  let start = 0;
  for (const data of arrowColumn(log, column).data) {
    const type = data.type as DataType;
    const values = data.values as ArrayLike<number | bigint>;
    let scale = 0, plain = false;
    if (DataType.isTimestamp(type)) scale = UNIT_TO_MS[type.unit];
    else if (DataType.isDate(type)) scale = type.unit === 0 ? DAY_MS : 1;
    else if (DataType.isFloat(type) && type.precision === Precision.SINGLE) {
      // float32 has 24 bits: epoch milliseconds of today's dates are kept only to 131,072 ms (about 2 minutes)
      throw new SegkitError('E_PARSE', `column "${column}" is float32, which holds epoch milliseconds only to about 2 minutes, so its dates are already rounded`, 'write the dates as int64 or float64 epoch milliseconds, an Arrow Timestamp/Date column or ISO 8601 text');
    } else if (DataType.isInt(type) || (DataType.isFloat(type) && type.precision === Precision.DOUBLE)) { scale = 1; plain = true; }
    if (scale !== 0 && (values instanceof BigInt64Array || values instanceof Int32Array || values instanceof Float64Array || values instanceof Float32Array || values instanceof Uint32Array)) {
      for (let i = 0; i < data.length; i++) {
        const row = start + i;
        if (customers && customers[row] < 0) continue;
        if (data.nullCount > 0 && !data.getValid(i)) throw badDate(row, column, null);
        const v = values[i];
        // a microsecond or nanosecond count floored to its millisecond in integers: as a float64 times 1e-6,
        // 23:59:59.999999999 rounded up to the next day's midnight, a purchase moved to the next day
        const t = typeof v === 'bigint' && scale < 1 ? floorMillis(v, BigInt(1 / scale)) : Number(v) * scale;
        if (!Number.isFinite(t)) throw badDate(row, column, values[i]);
        if (Math.abs(t) > MAX_DATE_MS) throw outOfRange(row, column, values[i]);
        if (plain && implausibleMs(t)) throw numberNotMs(row, column, values[i]);
        out[row] = t;
      }
    } else if (scale !== 0 || DataType.isUtf8(type) || DataType.isLargeUtf8(type) || DataType.isDictionary(type) || DataType.isUtf8View(type)) {
      scanChunkValues(data, start, visit);
    } else {
      throw new SegkitError('E_PARSE', `row ${start}, column "${column}" has Arrow type ${String(type)}, not a date type`);
    }
    start += data.length;
  }
  return out;
}

/** An `asOf`-style option as epoch milliseconds; a number is held to the log's rule (see implausibleMs). */
export function dateOption(name: string, v: unknown): number {
  const t = toEpochMs(v);
  if (Number.isNaN(t) || Math.abs(t) > MAX_DATE_MS) throw badOption(name, v, 'a Date, epoch milliseconds or an ISO 8601 string (years -271821 to 275760)');
  if ((typeof v === 'number' || typeof v === 'bigint') && implausibleMs(t)) {
    throw badOption(name, v, `epoch milliseconds of the years 1973 to 3000 (or 940 to 1966), a Date or an ISO 8601 string (as epoch milliseconds it is ${new Date(t).toISOString()}: ${numberGuess(t)})`);
  }
  return t;
}

export const utcDay = (ms: number): number => Math.floor(ms / DAY_MS);

/** Refuses one column in two roles, a slip (a unit price taken as the quantity too would square the spend). */
export function distinctRoles(roles: readonly (readonly [string, string | undefined])[]): void {
  for (const [role, column] of roles) {
    const first = roles.find(([, c]) => c === column);
    if (column !== undefined && first && first[0] !== role) throw badOption(role, column, `a column other than option "${first[0]}"'s`);
  }
}

/** Codes of `keys` in ascending id order (numbers numerically, strings by code unit), so output order never depends on log order. */
export function sortedKeyOrder(keys: readonly Key[], include?: (code: number) => boolean): Int32Array {
  const codes: number[] = [];
  for (let c = 0; c < keys.length; c++) if (!include || include(c)) codes.push(c);
  // ids mixing numbers and text are written as text (keyVector), and sorted as text: compared number to number and
  // text to text, 10 < "5" < 9 < 10 had no one order. A number and a bigint (an Int64 column's ids past 2^53) compare by value
  const asText = codes.some((c) => typeof keys[c] === 'string') && codes.some((c) => typeof keys[c] !== 'string');
  const key = asText ? keys.map(String) : keys;
  codes.sort((x, y) => (key[x] < key[y] ? -1 : key[x] > key[y] ? 1 : 0));
  return Int32Array.from(codes);
}

const INT64_MIN = -(2n ** 63n), INT64_MAX = 2n ** 63n - 1n, UINT64_MAX = 2n ** 64n - 1n;

/**
 * The id column of a per-customer table: Int32 or Float64 for numeric ids, Int64 (Uint64 from 2^63 up) for big ones,
 * Utf8 otherwise: an id is never wrapped or rounded to fit a type.
 */
export function keyVector(keys: readonly Key[], order: Int32Array): Vector {
  const picked = Array.from(order, (c) => keys[c]);
  if (picked.every((k) => typeof k === 'number')) {
    const nums = Float64Array.from(picked as number[]);
    const int32 = nums.every((x) => Number.isInteger(x) && x >= -2147483648 && x <= 2147483647);
    return int32 ? makeVector(Int32Array.from(nums)) : makeVector(nums);
  }
  if (picked.every((k) => typeof k === 'bigint' || Number.isInteger(k))) {
    const big = picked.map((k) => BigInt(k));
    if (big.every((k) => k >= INT64_MIN && k <= INT64_MAX)) return makeVector(BigInt64Array.from(big));
    if (big.every((k) => k >= 0n && k <= UINT64_MAX)) return makeVector(BigUint64Array.from(big));
  }
  // built without Arrow's Builders, which compile code at run time (refused in edge functions)
  return makeVector(utf8Data(picked.map(String)));
}

/** Customer keys of a log; rows without one are an error naming the row, or skipped (code -1) when asked. */
export function readCustomerKeys(log: LogInput, column: string, missing: 'error' | 'skip'): KeyColumn {
  const onMissing = missing === 'skip'
    ? () => {}
    : (row: number) => {
        throw new SegkitError('E_NAN_INPUT', `row ${row}, column "${column}" has no customer id`, 'drop those rows first or pass missingCustomer: "skip"');
      };
  return readKeys(log, column, onMissing);
}
