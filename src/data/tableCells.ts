import { DataType, type Field, type Vector } from '#arrow';
import { SegkitError } from '../util/errors.js';
import { binaryKey } from './utf8Text.js';

/** How a writer should present one Arrow column's values. */
export type CellKind = 'float' | 'float32' | 'integer' | 'boolean' | 'date' | 'dateOnly' | 'text' | 'other';

/** Milliseconds in a day (Arrow Date32 columns count days). */
export const DAY_MS = 86_400_000;

/** ECMAScript's time range, and so ISO 8601 text's here: 100,000,000 days either side of 1970. */
const MAX_DATE_MS = 8.64e15;

/** Whole milliseconds of a count of `per` to the millisecond, floored (-1.5 ms is -2 ms), as the writers cut them. */
export function floorMillis(count: bigint, per: bigint): number {
  const q = count / per;
  return Number(q * per > count ? q - 1n : q);
}

/**
 * A time column's values as milliseconds from 1970 (null where null), a microsecond or nanosecond count floored to its
 * whole millisecond from the stored count, as the text writers and NumPy cut them: Arrow's own reading adds the
 * fraction in float64, which rounds 23:59:59.999999999 up to the next day's midnight. A count Arrow cannot give as a
 * float64 (2^63 - 1 microseconds, a database's "infinity") is Infinity, as far out.
 */
export function timeValues(vector: Vector): (number | null)[] {
  const out = new Array<number | null>(vector.length);
  let row = 0;
  for (const data of vector.data) {
    const type = data.type as DataType & { unit?: number };
    const per = DataType.isTimestamp(type) && data.values instanceof BigInt64Array ? [0n, 0n, 1000n, 1_000_000n][type.unit!] : 0n;
    for (let r = 0; r < data.length; r++, row++) {
      if (data.nullCount > 0 && !data.getValid(r)) out[row] = null;
      else if (per) out[row] = floorMillis((data.values as BigInt64Array)[r], per);
      else {
        try {
          out[row] = vector.get(row);
        } catch {
          out[row] = Infinity;
        }
      }
    }
  }
  return out;
}

/**
 * Whether every time is a whole UTC day; a time that ISO 8601 text cannot give (a 64-bit count of seconds may hold one)
 * is refused, with `hint` if given.
 */
export function allMidnight(name: string, vector: Vector, hint?: string): boolean {
  const times = timeValues(vector);
  let midnight = true;
  for (let row = 0; row < vector.length; row++) {
    const ms = times[row];
    if (ms != null) {
      if (!(Math.abs(ms) <= MAX_DATE_MS)) {
        throw new SegkitError(
          'E_PRECISION',
          `row ${row}, column "${name}": ${ms} ms from 1970 is outside the dates ISO 8601 text holds (years -271821 to 275760)`,
          hint,
        );
      }
      if (ms % DAY_MS !== 0) midnight = false;
    }
  }
  return midnight;
}

/** Classifies a column; timestamps that are all whole UTC days are written as plain dates. */
export function cellKind(field: Field, vector: Vector): CellKind {
  const type = field.type as DataType;
  if (DataType.isFloat(type)) return type.precision === 2 ? 'float' : 'float32';
  if (DataType.isInt(type)) return 'integer';
  if (DataType.isBool(type)) return 'boolean';
  if (DataType.isTimestamp(type) || DataType.isDate(type)) return allMidnight(field.name, vector, 'write Arrow or Parquet, which keep it') ? 'dateOnly' : 'date';
  // a dictionary of bytes is written as its bytes are (otherText), not as the JSON of a Uint8Array
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type) || (DataType.isDictionary(type) && !isBytes(type.dictionary))) return 'text';
  return 'other';
}

/** The shortest decimal that reads back as the same Float32 value (so 0.1f prints as 0.1, not 0.10000000149011612). */
export function float32Text(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  for (let p = 1; p < 9; p++) {
    const text = v.toPrecision(p);
    if (Math.fround(+text) === v) return String(+text);
  }
  return String(v);
}

/** A float as text that type inference reads back as a float: whole values keep a ".0". */
export function floatText(v: number, kind: 'float' | 'float32'): string {
  const text = kind === 'float32' ? float32Text(v) : String(v);
  // String(-0) is "0": the sign is kept
  if (Object.is(v, -0)) return '-0.0';
  return Number.isInteger(v) && !/e/i.test(text) ? `${text}.0` : text;
}

export function isoText(ms: number, kind: 'date' | 'dateOnly'): string {
  const iso = new Date(Math.floor(ms)).toISOString();
  // years past 9999 or before 0 have six digits and a sign (+010000-01-01)
  return kind === 'dateOnly' ? iso.slice(0, iso.indexOf('T')) : iso;
}

/** Binary or LargeBinary: values that are bytes. */
export const isBytes = (type: DataType): boolean => DataType.isBinary(type) || DataType.isLargeBinary(type);

/** Any other value as text: bytes as binaryKey reads them, JSON for nested values (bigints as strings). */
export function otherText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return binaryKey(v);
  if (v !== null && typeof v === 'object') {
    const plain = typeof (v as { toJSON?: () => unknown }).toJSON === 'function' ? (v as { toJSON: () => unknown }).toJSON() : v;
    return JSON.stringify(plain, (_, x) => (typeof x === 'bigint' ? String(x) : x));
  }
  return String(v);
}
