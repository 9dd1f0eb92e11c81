// Reading a snapshot: its id column and feature columns, checked and named by snapshot, without copying Float32
// Arrow columns; and matching the ids of two snapshots (numeric ids: a direct table when they are integers in a narrow
// range, else a typed open-addressing table).
import { DataType, Precision, type Vector } from '#arrow';
import { textNumberClash } from '../util/numberText.js';
import { SegkitError, baseMessage, describe } from '../util/errors.js';
import { isArrowTable, nonFinite } from '../data/dataset.js';
import { binaryKey, columnValues } from '../data/utf8Text.js';
import { decimalKey, decimalNumbers, FLOAT64_DIGITS, unscaled } from '../data/decimal.js';
import { inspectTable, readColumn, type TableInput } from '../prep/frame.js';

/**
 * Numeric ids: an Arrow Int8, Int16, Int32, Uint8 or Uint16 column without nulls as int32 (one Int32 chunk is used
 * without a copy); every other number (Uint32, Int64, floats, row objects) as float64. Text ids: `hex` holds those
 * read from Binary values that are not UTF-8 (their hexadecimal), when there are any.
 */
export type Ids = { kind: 'number'; values: Float64Array | Int32Array } | { kind: 'string'; values: string[]; hex?: ReadonlySet<string> };

/** Arrow integer types whose every value fits an int32. */
function fitsInt32(type: DataType): boolean {
  return DataType.isInt(type) && (type.bitWidth < 32 || (type.bitWidth === 32 && type.isSigned));
}

function fieldNames(table: TableInput): string[] {
  return inspectTable(table).fields.map((f) => f.name);
}

function vectorOf(table: TableInput, name: string): Vector | undefined {
  if (!isArrowTable(table)) return undefined;
  const idx = table.schema.fields.findIndex((f) => f.name === name);
  return idx < 0 ? undefined : table.getChildAt(idx) ?? undefined;
}

/** Throws E_MISSING_COLUMN naming the snapshot when a column is absent. */
export function requireColumns(table: TableInput, names: readonly string[], snapshot: string, role: string): void {
  const have = fieldNames(table);
  const missing = names.filter((n) => !have.includes(n));
  if (missing.length) {
    const shown = have.length > 20 ? [...have.slice(0, 20), '…'] : have;
    throw new SegkitError('E_MISSING_COLUMN', `snapshot "${snapshot}" has no ${role} column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')}`, `it has: ${shown.join(', ') || 'no columns'}`);
  }
}

/** A numeric column as float32 (NaN where missing); a single-chunk Float32 Arrow column without nulls is used as it is. */
export function float32Column(table: TableInput, name: string, snapshot: string): Float32Array {
  const vec = vectorOf(table, name);
  if (vec && vec.data.length === 1) {
    const chunk = vec.data[0];
    if (chunk.nullCount === 0 && chunk.values instanceof Float32Array && chunk.values.length === chunk.length) return chunk.values;
  }
  try {
    const values = readColumn(table, name, 'numeric').values as Float64Array;
    const out = Float32Array.from(values);
    for (let i = 0; i < out.length; i++) {
      // a finite value beyond float32's range would read as Infinity further on: say which it was
      if (out[i] - out[i] !== 0 && Number.isFinite(values[i])) throw nonFinite(i, name, values[i]);
    }
    return out;
  } catch (e) {
    if (e instanceof SegkitError) throw new SegkitError(e.code, `snapshot "${snapshot}": ${baseMessage(e)}`, e.hint, { cause: e });
    throw e;
  }
}

/** A numeric column as float64 (NaN where missing). */
export function float64Column(table: TableInput, name: string, snapshot: string): Float64Array {
  try {
    return readColumn(table, name, 'numeric').values as Float64Array;
  } catch (e) {
    if (e instanceof SegkitError) throw new SegkitError(e.code, `snapshot "${snapshot}": ${e.message}`, undefined, { cause: e });
    throw e;
  }
}

/** The id column: numbers (integers, floats) or text; a missing id is an error naming its row. */
export function readIds(table: TableInput, name: string, snapshot: string): Ids {
  const vec = vectorOf(table, name);
  if (vec) {
    const type = vec.type as DataType;
    if (fitsInt32(type) && vec.data.every((chunk) => chunk.nullCount === 0)) {
      // integer ids without nulls hold no NaN: the column itself when it is one Int32 chunk, else one int32 copy
      const only = vec.data.length === 1 ? vec.data[0].values : undefined;
      if (only instanceof Int32Array) return { kind: 'number', values: only.subarray(0, vec.length) };
      const values = new Int32Array(vec.length);
      let row = 0;
      for (const chunk of vec.data) {
        values.set((chunk.values as Int32Array | Int16Array | Int8Array | Uint16Array | Uint8Array).subarray(0, chunk.length), row);
        row += chunk.length;
      }
      return { kind: 'number', values };
    }
    if (DataType.isDecimal(type)) {
      // a decimal's words are its unscaled value (101.00 is stored as 10100): read as its value, as segkit's readers
      // read it, a number up to 15 digits; a wider type's id as its value's text ("101" for 101.00 and 101.000, as the
      // number 101 of the same file read by readArrow prints), exact past 15 significant digits
      const empty = (row: number) => new SegkitError('E_NAN_INPUT', `snapshot "${snapshot}", row ${row}: the id column "${name}" is empty`);
      if (type.precision <= FLOAT64_DIGITS) {
        const values = decimalNumbers(vec.data, type, name, vec.length);
        const row = values.findIndex((v) => v !== v);
        if (row >= 0) throw empty(row);
        return { kind: 'number', values };
      }
      const values: string[] = [];
      for (const d of vec.data) {
        for (let r = 0; r < d.length; r++) {
          if (!d.getValid(r)) throw empty(values.length);
          values.push(decimalKey(unscaled(d.values as Uint32Array, r, type.bitWidth / 32), type.scale));
        }
      }
      return { kind: 'string', values };
    }
    if (DataType.isInt(type) || DataType.isFloat(type)) {
      const values = new Float64Array(vec.length);
      // a half float's buffer holds its bits (1.0 is 15360): Arrow decodes its values
      const half = DataType.isFloat(type) && type.precision === Precision.HALF;
      let row = 0;
      for (const chunk of vec.data) {
        const raw = chunk.values as ArrayLike<number | bigint>;
        if (chunk.nullCount === 0 && !half && !(raw instanceof BigInt64Array || raw instanceof BigUint64Array)) {
          // plain numbers without nulls: one native copy, then the NaN check
          const from = row;
          values.set((raw as Float64Array).subarray(0, chunk.length), row);
          // integers hold no NaN
          if (DataType.isInt(type)) { row += chunk.length; continue; }
          for (row = from; row < from + chunk.length; row++) {
            if (values[row] !== values[row]) throw new SegkitError('E_NAN_INPUT', `snapshot "${snapshot}", row ${row}: the id column "${name}" holds NaN`);
          }
          continue;
        }
        for (let i = 0; i < chunk.length; i++, row++) {
          if (chunk.nullCount > 0 && !chunk.getValid(i)) throw new SegkitError('E_NAN_INPUT', `snapshot "${snapshot}", row ${row}: the id column "${name}" is empty`);
          const v = half ? (vec.get(row) as number) : raw[i];
          values[row] = typeof v === 'bigint' ? Number(v) : v;
          if (typeof v === 'bigint' && !Number.isSafeInteger(values[row])) throw new SegkitError('E_BAD_OPTION', `snapshot "${snapshot}", row ${row}: id ${v} is too large to match exactly as a number`, 'store ids as text');
          if (values[row] !== values[row]) throw new SegkitError('E_NAN_INPUT', `snapshot "${snapshot}", row ${row}: the id column "${name}" holds NaN`);
        }
      }
      return { kind: 'number', values };
    }
    const values: string[] = [];
    const hex = new Set<string>();
    let row = 0;
    // text keeps a U+FEFF that begins it ("\uFEFFc1" is not "c1"), and a Binary id is the text rfm and the writers give it
    for (const v of columnValues(vec)) {
      if (v == null) throw new SegkitError('E_NAN_INPUT', `snapshot "${snapshot}", row ${row}: the id column "${name}" is empty`);
      const key = v instanceof Uint8Array ? binaryKey(v) : String(v);
      // hexadecimal is twice as long as its bytes, UTF-8 text at most as long
      if (v instanceof Uint8Array && v.length < key.length) hex.add(key);
      values.push(key);
      row++;
    }
    return hex.size ? { kind: 'string', values, hex } : { kind: 'string', values };
  }
  const records = table as readonly Readonly<Record<string, unknown>>[];
  let numeric = true;
  for (const r of records) if (typeof r[name] !== 'number') { numeric = false; break; }
  if (numeric) {
    const values = Float64Array.from(records, (r, i) => {
      const v = r[name] as number;
      if (v !== v) throw new SegkitError('E_NAN_INPUT', `snapshot "${snapshot}", row ${i}: the id column "${name}" holds NaN`);
      return v;
    });
    return { kind: 'number', values };
  }
  return {
    kind: 'string',
    values: records.map((r, i) => {
      const v = r[name];
      if (v == null || v === '') throw new SegkitError('E_NAN_INPUT', `snapshot "${snapshot}", row ${i}: the id column "${name}" is empty`);
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'bigint') throw new SegkitError('E_NON_NUMERIC', `snapshot "${snapshot}", row ${i}: id ${describe(v)} is neither text nor a number`);
      return String(v);
    }),
  };
}

/**
 * Throws E_SHAPE_MISMATCH when the ids are text in one snapshot and numbers in the other and a text id equals one of
 * the numbers only once read as a number ("00042" and 42, "7.0" and 7): matched as written, every such customer
 * would count as gone and new at once. Throws E_DUPLICATE_ID when a number is the hexadecimal that bytes that are not
 * UTF-8 read as (bytes 80 and the number 80): two ids read as one, as rfm refuses them in one column.
 */
export function checkIdKinds(before: Ids, after: Ids, idName: string): void {
  if (before.kind === after.kind) return;
  const [text, numbers, snapshot] = before.kind === 'string' ? [before, after, 'before'] : [after, before, 'after'];
  const values = text.values as string[];
  const numberTexts = Array.from(numbers.values as Float64Array | Int32Array, String), numberSet = new Set(numberTexts);
  const other = snapshot === 'before' ? 'after' : 'before';
  for (const h of (text as { hex?: ReadonlySet<string> }).hex ?? []) {
    if (numberSet.has(h)) {
      throw new SegkitError('E_DUPLICATE_ID', `snapshot "${snapshot}" has ${idName} ${JSON.stringify(h)} (row ${values.indexOf(h)}) as bytes that are not UTF-8, read as their hexadecimal, and snapshot "${other}" has the number ${h} (row ${numberTexts.indexOf(h)}): two ids read as one`,
        'write the ids the same way in both snapshots (the same bytes, or numbers in both)');
    }
  }
  const clash = textNumberClash(values, numberSet);
  if (clash) {
    throw new SegkitError('E_SHAPE_MISMATCH', `snapshot "${snapshot}" has ${idName} ${JSON.stringify(values[clash.row])} (row ${clash.row}) as text, and snapshot "${other}" has the number ${clash.form}`,
      'write the ids the same way in both snapshots (the same text, or numbers in both)');
  }
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

function hashNumber(v: number): number {
  F64[0] = v === 0 ? 0 : v;
  let h = Math.imul(U32[0] ^ Math.imul(U32[1], 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Position of each id in the table of `ids` (an index by id); throws E_DUPLICATE_ID naming both rows. */
export class IdIndex {
  private readonly slots?: Int32Array;
  private readonly mask: number = 0;
  private readonly map?: Map<string, number>;
  /** The smallest id when the table is direct (slot id - min holds its row + 1, 0 when empty); undefined when hashed. */
  private readonly min?: number;
  constructor(private readonly ids: Ids, snapshot: string, idName: string) {
    if (ids.kind === 'string') {
      this.map = new Map();
      ids.values.forEach((v, i) => {
        const had = this.map!.get(v);
        if (had !== undefined) throw duplicate(snapshot, idName, v, had, i);
        this.map!.set(v, i);
      });
      return;
    }
    const n = ids.values.length;
    const v = ids.values;
    // integer ids spanning fewer than 4n + 1,024 values (customer numbers, mostly): a direct table by id - min
    const range = narrowIntegerRange(v);
    if (range) {
      const [min, max] = range;
      this.min = min;
      const slots = (this.slots = new Int32Array(max - min + 1));
      for (let i = 0; i < n; i++) {
        const s = v[i] - min;
        if (slots[s] > 0) throw duplicate(snapshot, idName, v[i], slots[s] - 1, i);
        slots[s] = i + 1;
      }
      return;
    }
    let size = 16;
    while (size < 2 * n) size *= 2;
    this.mask = size - 1;
    this.slots = new Int32Array(size).fill(-1);
    for (let i = 0; i < n; i++) {
      let s = hashNumber(v[i]) & this.mask;
      for (;;) {
        const at = this.slots[s];
        if (at < 0) { this.slots[s] = i; break; }
        if (v[at] === v[i]) throw duplicate(snapshot, idName, v[i], at, i);
        s = (s + 1) & this.mask;
      }
    }
  }

  /** Row of an id of the other snapshot (same kind), or -1. */
  find(other: Ids, i: number): number {
    if (this.map) return this.map.get(other.kind === 'string' ? other.values[i] : String(other.values[i])) ?? -1;
    if (other.kind === 'string') {
      const x = Number(other.values[i]);
      return Number.isFinite(x) && String(x) === other.values[i] ? this.findNumber(x) : -1;
    }
    return this.findNumber(other.values[i]);
  }

  /** `find` for every row of the other snapshot: its row here, or -1. */
  findAll(other: Ids): Int32Array {
    const n = other.values.length;
    const out = new Int32Array(n);
    if (this.min !== undefined && other.kind === 'number') {
      const x = other.values;
      for (let j = 0; j < n; j++) out[j] = this.directRow(x[j]);
      return out;
    }
    for (let j = 0; j < n; j++) out[j] = this.find(other, j);
    return out;
  }

  /** Row of number x in the direct table, or -1. */
  private directRow(x: number): number {
    // x - min may round a fraction to a whole slot: the id found must equal x
    const s = x - this.min!;
    const at = s >= 0 && s < this.slots!.length && Number.isInteger(s) ? this.slots![s] - 1 : -1;
    return at >= 0 && (this.ids as { values: Float64Array | Int32Array }).values[at] === x ? at : -1;
  }

  private findNumber(x: number): number {
    if (this.min !== undefined) return this.directRow(x);
    const v = (this.ids as { values: Float64Array | Int32Array }).values;
    let s = hashNumber(x) & this.mask;
    for (;;) {
      const at = this.slots![s];
      if (at < 0) return -1;
      if (v[at] === x) return at;
      s = (s + 1) & this.mask;
    }
  }
}

/** The smallest and largest id when every id is an integer and they span fewer than 4n + 1,024 values. */
function narrowIntegerRange(v: Float64Array | Int32Array): [number, number] | undefined {
  const n = v.length;
  const r = v instanceof Int32Array ? int32Range(v) : integerRange(v);
  return r && n > 0 && r[1] - r[0] < 4 * n + 1024 ? r : undefined;
}

// one loop per array type, so each reads its elements through a monomorphic load

/** The smallest and largest of int32 ids (integers already). */
function int32Range(v: Int32Array): [number, number] {
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return [min, max];
}

/** The smallest and largest id when every id is an integer, else undefined. */
function integerRange(v: Float64Array): [number, number] | undefined {
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!Number.isInteger(x)) return undefined;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return [min, max];
}

/**
 * Throws E_DUPLICATE_ID naming both rows when an id appears twice, as `new IdIndex` would, without keeping an index:
 * integer ids in a narrow range are checked against a bitmap.
 */
export function checkUniqueIds(ids: Ids, snapshot: string, idName: string): void {
  const range = ids.kind === 'number' ? narrowIntegerRange(ids.values) : undefined;
  if (range) checkUniqueInRange(ids.values as Float64Array | Int32Array, range, snapshot, idName);
  else void new IdIndex(ids, snapshot, idName);
}

function checkUniqueInRange(v: Float64Array | Int32Array, [min, max]: [number, number], snapshot: string, idName: string): void {
  const bits = new Int32Array(Math.floor((max - min) / 32) + 1);
  const i = v instanceof Int32Array ? firstRepeatInt32(v, min, bits) : firstRepeat(v, min, bits);
  if (i >= 0) throw duplicate(snapshot, idName, v[i], v.indexOf(v[i]), i);
}

/** The first row whose id (in [min, min + 32 x bits.length)) an earlier row holds, or -1; marks the ids in `bits`. */
function firstRepeatInt32(v: Int32Array, min: number, bits: Int32Array): number {
  for (let i = 0; i < v.length; i++) {
    const s = v[i] - min, w = s >>> 5, b = 1 << (s & 31);
    if (bits[w] & b) return i;
    bits[w] |= b;
  }
  return -1;
}

/** firstRepeatInt32 for integer ids held as float64. */
function firstRepeat(v: Float64Array, min: number, bits: Int32Array): number {
  for (let i = 0; i < v.length; i++) {
    const s = v[i] - min, w = s >>> 5, b = 1 << (s & 31);
    if (bits[w] & b) return i;
    bits[w] |= b;
  }
  return -1;
}

/**
 * For int32 ids in a narrow range (customer numbers, mostly): checks them as `checkUniqueIds` does and returns the
 * smallest and largest, so a table by id - min can stand in for an index. Undefined (nothing checked) otherwise.
 */
export function uniqueInt32Range(ids: Ids, snapshot: string, idName: string): [number, number] | undefined {
  if (ids.kind !== 'number' || !(ids.values instanceof Int32Array)) return undefined;
  const range = narrowIntegerRange(ids.values);
  if (range) checkUniqueInRange(ids.values, range, snapshot, idName);
  return range;
}

function duplicate(snapshot: string, idName: string, id: unknown, a: number, b: number): SegkitError {
  return new SegkitError('E_DUPLICATE_ID', `snapshot "${snapshot}" has ${idName} ${typeof id === 'string' ? JSON.stringify(id) : String(id)} twice (rows ${a} and ${b})`, 'each customer must appear once per snapshot');
}
