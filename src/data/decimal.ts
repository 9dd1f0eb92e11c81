// Arrow decimal values (unscaled two's-complement words and a scale) as numbers or exact text, without apache-arrow:
// the readers build columns from them, and a pipeline reads a decimal column of a table it is given.
import { SegkitError } from '../util/errors.js';

/** Decimal digits a float64 holds exactly: decimals up to this precision become Float64 columns, wider ones text. */
export const FLOAT64_DIGITS = 15;

/** The unscaled value of decimal slot i (bitWidth / 32 little-endian words, two's complement). */
export function unscaled(words: Uint32Array, i: number, width: number): bigint {
  let v = 0n;
  for (let w = width - 1; w >= 0; w--) v = (v << 32n) | BigInt(words[i * width + w]);
  return BigInt.asIntN(width * 32, v);
}

/** An unscaled decimal as text with `scale` fraction digits ("-0.05", "1001", "12300" for scale -2). */
export function decimalText(v: bigint, scale: number): string {
  const negative = v < 0n;
  let digits = (negative ? -v : v).toString();
  if (scale <= 0) digits += '0'.repeat(-scale);
  else {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  return negative ? `-${digits}` : digits;
}

/**
 * A decimal value as a number column prints it, the same whatever the scale (7.00 and 7.000 are "7"): as its float64
 * up to 15 significant digits (which a float64 holds exactly), beyond that its exact digits, as an Int64 column
 * prints an integer.
 */
export function decimalKey(u: bigint, scale: number): string {
  let text = decimalText(u, scale);
  if (text.includes('.')) text = text.replace(/\.?0+$/, '');
  return text.replace(/[-.]/g, '').replace(/^0+|0+$/g, '').length <= FLOAT64_DIGITS ? String(+text) : text;
}

/**
 * The decimal of at most 15 significant digits within 2 ulps of `x` (x itself when its decimal has no more digits),
 * or undefined: a value holding more digits than a float64 keeps lies further from every such decimal
 * (12345678901234567.89), while 0.30000000000000001 is 0.3, as a float64 holds it.
 */
export function nearDecimal(x: number): number | undefined {
  for (let p = 1; p <= FLOAT64_DIGITS; p++) {
    const d = +x.toPrecision(p);
    if (Math.abs(d - x) <= 4.440892098500626e-16 * Math.abs(x)) return d;
  }
}

/**
 * The float64 nearest an unscaled decimal of a type of `precision` digits: an exact integer over an exact power of ten
 * (one rounding) up to 15 digits; wider types by their text, as `nearDecimal` reads it, a value of more significant
 * digits than a float64 holds being an E_PARSE error naming column `name` (as the Parquet reader reads decimals).
 */
export function decimalNumber(u: bigint, scale: number, precision: number, name?: string): number {
  const v = Number(u), power = 10 ** Math.abs(scale);
  if (precision <= FLOAT64_DIGITS) return scale >= 0 ? v / power : v * power;
  const d = nearDecimal(+decimalText(u, scale));
  if (d === undefined) throw new SegkitError('E_PARSE', `column "${name}" holds ${decimalText(u, scale)}: more than the 15 digits a float64 holds`);
  return d;
}

/** A decimal column's chunks as float64 (see decimalNumber), nulls as NaN. */
export function decimalNumbers(chunks: readonly { length: number; offset: number; nullCount: number; nullBitmap?: Uint8Array | null; values: unknown }[], type: unknown, name: string, n: number): Float64Array {
  const { scale, precision, bitWidth } = type as { scale: number; precision: number; bitWidth: number };
  const width = bitWidth / 32;
  const out = new Float64Array(n);
  let row = 0;
  for (const d of chunks) {
    // the values are sliced to the chunk (fixed-width buffers are); the offset is the bitmap's
    const words = d.values as Uint32Array;
    for (let i = 0; i < d.length; i++) {
      const b = d.offset + i;
      out[row + i] = d.nullCount > 0 && ((d.nullBitmap![b >> 3] >> (b & 7)) & 1) === 0 ? NaN : decimalNumber(unscaled(words, i, width), scale, precision, name);
    }
    row += d.length;
  }
  return out;
}
