import { type Data, DataType, type Table, type Vector } from '#arrow';
import { badOption } from '../util/errors.js';
import { checkOptions, orDefault } from '../util/options.js';
import { type CellKind, cellKind, floatText, isoText, otherText, timeValues } from './tableCells.js';
import { decimalsAsNumbers } from './arrowTable.js';
import { columnValues, textAt, utf8Text } from './utf8Text.js';
import { arrowTableArg } from './dataset.js';

export interface WriteCsvOptions {
  /** Field separator (default ","); one holding a quote or a line break is refused, as readCsv refuses it. */
  readonly delimiter?: string;
  /** Write the header row (default true). */
  readonly header?: boolean;
  /**
   * Prefix text cells that start with = + - @ tab or CR with an apostrophe, so spreadsheets do not run them
   * as formulas (default true; OWASP "CSV injection"). Numbers are never altered.
   */
  readonly escapeFormulas?: boolean;
  /** Start with a UTF-8 byte order mark, which Excel needs to detect UTF-8 (default false). */
  readonly bom?: boolean;
  /** Line ending (default "\n"). */
  readonly eol?: '\n' | '\r\n';
}

export const WRITE_CSV_DEFAULTS = Object.freeze({ delimiter: ',', header: true, escapeFormulas: true, bom: false, eol: '\n' as const });

/** The options writeCsv takes: a misspelt one ("delimeter") would be ignored, a semicolon file written with commas. */
export const WRITE_CSV_OPTIONS: readonly string[] = Object.keys(WRITE_CSV_DEFAULTS);

// = + - @ tab CR, and the full-width = + - @ that Apple Numbers normalises (csv-stringify's escape_formulas list)
const FORMULA_START = new Set([0x3d, 0x2b, 0x2d, 0x40, 0x09, 0x0d, 0xff1d, 0xff0b, 0xff0d, 0xff20]);
// the first UTF-8 bytes of those characters (0xef leads the full-width ones)
const FORMULA_BYTE = new Set([0x3d, 0x2b, 0x2d, 0x40, 0x09, 0x0d, 0xef]);
// characters of number and boolean text ("-1.5e-7", "Infinity", "NaN", "true", "false")
const VALUE_CHARS = /[0-9.+\-eEINaifntyrulsT]/;
// a signed number written as text ("-0", "-12.50", "-1E5", "+5", "-4,78" with a decimal comma, "-Infinity"): a number
// to a spreadsheet, never a formula
const SIGNED_NUMBER_TEXT = /^[+-](?:(?:\d+[.,]?\d*|[.,]\d+)(?:[eE][+-]?\d+)?|Infinity)$/;
const TWO_POW_50 = 1125899906842624;
const POWERS_OF_TEN = [1, 10, 100, 1000, 1e4, 1e5, 1e6, 1e7];

/**
 * True when writing `separator` after `value` lets a reader find `separator` inside `value`, including a
 * multi-character separator that starts in the value's tail (csv-stringify's emits_separator).
 */
function emitsSeparator(value: string, separator: string): boolean {
  return value.includes(separator) || (separator.length > 1 && (value + separator).indexOf(separator) < value.length);
}

/** Whether escapeFormulas prefixes the non-empty `value` (`numeric`: the text of a number). */
export function isFormula(value: string, numeric: boolean): boolean {
  // behind a byte order mark, as a reader that drops it sees the cell ("\ufeff=1" is the formula =1)
  if (value.charCodeAt(0) === 0xfeff) value = value.slice(1);
  const c = value.charCodeAt(0);
  // a negative number is a number, not a formula, and so is a signed number written as text
  return FORMULA_START.has(c) && !(c === 0x2d && numeric) && !((c === 0x2d || c === 0x2b) && SIGNED_NUMBER_TEXT.test(value));
}

/** Cell text as csv-stringify writes it: quoted when it holds a quote, the delimiter, a line break (CR or LF) or the line ending; formulas prefixed. */
type TextCell = (value: string, numeric: boolean) => string;

function textCellWriter(delimiter: string, eol: string, escapeFormulas: boolean): TextCell {
  const plain = delimiter.length === 1 && eol === '\n';
  return (value, numeric) => {
    if (value === '') return value;
    // csv-parse takes a bare CR for a line break too, so it is quoted as LF is
    const quote = plain
      ? value.includes('"') || value.includes(delimiter) || value.includes('\n') || value.includes('\r')
      : value.includes('"') || emitsSeparator(value, delimiter) || emitsSeparator(value, eol) || value.includes('\n') || value.includes('\r');
    if (escapeFormulas && isFormula(value, numeric)) value = `'${value}`;
    if (!quote) return value;
    return `"${value.includes('"') ? value.replaceAll('"', '""') : value}"`;
  };
}

/** The cell of any value, cast the way writeCsv has always cast it (the general path, via Vector.get). */
function anyCell(v: unknown, kind: CellKind, text: TextCell): string {
  if (v == null) return '';
  if (kind === 'date' || kind === 'dateOnly') return text(isoText(v as number, kind), false);
  if (kind === 'other') return text(otherText(v), false);
  switch (typeof v) {
    case 'string':
      return text(v, false);
    case 'number':
      return text(kind === 'float' || kind === 'float32' ? floatText(v, kind) : String(v), true);
    case 'bigint':
      return text(String(v), true);
    case 'boolean':
      return text(v ? 'true' : 'false', false);
    default:
      return text(v instanceof Date ? String(v.getTime()) : JSON.stringify(v), false);
  }
}

// created on first use: module-level codecs would make merely loading this file need them
let encoder: TextEncoder | undefined;

/**
 * The UTF-8 bytes of the CSV being written. Numbers are written digit by digit and UTF-8 text is copied from the
 * Arrow buffers, so most cells never become JavaScript strings; the whole text is decoded once at the end.
 */
class CsvBytes {
  bytes: Uint8Array;
  at = 0;

  constructor(capacity: number) {
    this.bytes = new Uint8Array(Math.max(1024, capacity));
  }

  reserve(n: number): Uint8Array {
    if (this.at + n > this.bytes.length) {
      let capacity = this.bytes.length * 2;
      while (capacity < this.at + n) capacity *= 2;
      const next = new Uint8Array(capacity);
      next.set(this.bytes.subarray(0, this.at));
      this.bytes = next;
    }
    return this.bytes;
  }

  text(value: string): void {
    const n = value.length;
    const bytes = this.reserve(n * 3);
    let at = this.at;
    for (let k = 0; k < n; k++) {
      const c = value.charCodeAt(k);
      if (c >= 0x80) {
        // the rest is not ASCII: encodeInto handles surrogate pairs and multi-byte characters
        this.at = at + (encoder ??= new TextEncoder()).encodeInto(value.slice(k), bytes.subarray(at)).written;
        return;
      }
      bytes[at++] = c;
    }
    this.at = at;
  }

  copy(source: Uint8Array, start: number, end: number): void {
    const bytes = this.reserve(end - start);
    let at = this.at;
    if (end - start > 64) bytes.set(source.subarray(start, end), at);
    else for (let k = start; k < end; k++) bytes[at + k - start] = source[k];
    this.at = at + end - start;
  }

  /** The decimal digits of an integer in [0, 2^53), with `decimals` of them after a point (zero-padded). */
  digits(m: number, decimals: number, negative: boolean): void {
    let length = 1;
    while (length < 16 && m >= POWERS_OF_TEN_16[length]) length++;
    const total = (negative ? 1 : 0) + (decimals > 0 ? Math.max(length, decimals + 1) + 1 : length);
    const bytes = this.reserve(total);
    let p = this.at + total;
    // below 2^53, m / 10 is close enough to its exact value that flooring it gives the exact quotient
    for (let k = 0; k < decimals; k++) {
      const q = Math.floor(m / 10);
      bytes[--p] = 48 + m - q * 10;
      m = q;
    }
    if (decimals > 0) bytes[--p] = 46; // '.'
    do {
      const q = Math.floor(m / 10);
      bytes[--p] = 48 + m - q * 10;
      m = q;
    } while (m > 0);
    if (negative) bytes[--p] = 45; // '-'
    this.at += total;
  }
}

const POWERS_OF_TEN_16 = Array.from({ length: 16 }, (_, k) => 10 ** k);

/**
 * Writes a Float64 as String(v) does, with ".0" on whole values. A value with at most 7 decimals is written from an
 * integer: below 2^50 the nearest m / 10^k is the only k-decimal text that reads back as v, so the fewest k that
 * round-trips gives the shortest text, which is what Number.prototype.toString prints (ECMA-262 Number::toString);
 * m / 10^k is correctly rounded, so comparing it with v is an exact check (Clinger, PLDI 1990).
 */
function writeFloat64(out: CsvBytes, v: number, hint: { k: number }): void {
  const a = v < 0 ? -v : v;
  if (Number.isInteger(v)) {
    if (a < TWO_POW_50) {
      // -0 keeps its sign, as String(-0) does not
      out.digits(a, 0, v < 0 || 1 / v < 0);
      out.reserve(2);
      out.bytes[out.at++] = 46; // ".0": whole floats stay floats when read back
      out.bytes[out.at++] = 48;
    } else {
      const text = String(v);
      out.text(text.includes('e') ? text : `${text}.0`);
    }
    return;
  }
  if (a >= 1e-6 && a < 1e14) {
    // A column's values mostly share their decimals: the count that worked last is tried first. Below 2^50, once k
    // decimals round-trip so do all more (m * 10 is then the exact nearest), so k is the fewest when k - 1 fails.
    const h = hint.k;
    const m = Math.round(a * POWERS_OF_TEN[h]);
    if (m < TWO_POW_50 && m / POWERS_OF_TEN[h] === a && (h === 1 || Math.round(a * POWERS_OF_TEN[h - 1]) / POWERS_OF_TEN[h - 1] !== a)) {
      return out.digits(m, h, v < 0);
    }
    for (let k = 1; k < POWERS_OF_TEN.length; k++) {
      const m = Math.round(a * POWERS_OF_TEN[k]);
      if (m >= TWO_POW_50) break;
      if (m / POWERS_OF_TEN[k] === a) {
        hint.k = k;
        return out.digits(m, k, v < 0);
      }
    }
  }
  out.text(String(v));
}

/** Writes the cell of row `r` of one chunk (known not null); `row` is its row in the whole column. */
type CellWriter = (out: CsvBytes, data: Data, r: number, row: number) => void;

const INTEGER_ARRAYS: readonly Function[] = [Int8Array, Int16Array, Int32Array, Uint8Array, Uint16Array, Uint32Array];

interface Dialect {
  escapeFormulas: boolean;
  text: TextCell;
  /** Numbers and booleans never need quotes (the delimiter holds none of their characters). */
  numbersPlain: boolean;
  /** The delimiter as one ASCII byte, or -1. */
  delimiterByte: number;
}

/**
 * How one column's cells are written: typed arrays are read directly for numbers, UTF-8 text is copied when it needs
 * no quotes, dictionary entries are formatted once; anything else goes through Vector.get.
 */
function cellWriter(vector: Vector, kind: CellKind, d: Dialect): CellWriter {
  const { text, numbersPlain } = d;
  // times as whole milliseconds floored from their stored counts (Vector.get rounds a nanosecond count's fraction)
  const times = kind.startsWith('date') && timeValues(vector);
  const general: CellWriter = (out, _data, _r, row) => out.text(anyCell(times ? times[row] : vector.get(row), kind, text));
  const values = vector.data[0]?.values;
  if (!numbersPlain && (kind === 'float' || kind === 'float32' || kind === 'integer' || kind === 'boolean')) return general;
  if (kind === 'float' && values instanceof Float64Array) {
    const hint = { k: 1 };
    return (out, data, r) => writeFloat64(out, (data.values as Float64Array)[r], hint);
  }
  if (kind === 'integer' && INTEGER_ARRAYS.some((A) => values instanceof A)) {
    return (out, data, r) => {
      const v = (data.values as Int32Array)[r];
      out.digits(v < 0 ? -v : v, 0, v < 0);
    };
  }
  if (kind === 'boolean') {
    const utf8 = (encoder ??= new TextEncoder());
    const words = [utf8.encode('false'), utf8.encode('true')];
    return (out, data, r) => {
      // booleans are bits, and their buffer is not sliced: the chunk's offset applies
      const bit = data.offset + r;
      const word = words[((data.values as Uint8Array)[bit >> 3] >> (bit & 7)) & 1];
      out.copy(word, 0, word.length);
    };
  }
  if (kind === 'text' && DataType.isUtf8(vector.type) && d.delimiterByte !== -1) {
    const delimiter = d.delimiterByte;
    const formulas = d.escapeFormulas;
    // first bytes that need a look: formula starts when those are escaped
    const risky = new Uint8Array(256);
    if (formulas) for (const b of FORMULA_BYTE) risky[b] = 1;
    // whether a chunk's text holds no quote, line break or delimiter at all: found once, by native scans
    let seen: Data | undefined;
    let clean = false;
    return (out, data, r) => {
      const offsets = data.valueOffsets as Int32Array;
      const bytes = data.values as Uint8Array;
      const start = offsets[r];
      const end = offsets[r + 1];
      if (start === end) return;
      if (data !== seen) {
        seen = data;
        const from = offsets[0], to = offsets[data.length];
        const none = (b: number) => {
          const at = bytes.indexOf(b, from);
          return at === -1 || at >= to;
        };
        clean = none(0x22) && none(0x0a) && none(0x0d) && none(delimiter);
      }
      let plain = risky[bytes[start]] === 0;
      if (plain && clean) {
        out.copy(bytes, start, end);
        return;
      }
      for (let k = start; plain && k < end; k++) {
        const b = bytes[k];
        if (b === 0x22 || b === 0x0a || b === 0x0d || b === delimiter) plain = false;
      }
      if (plain) out.copy(bytes, start, end);
      else out.text(text(utf8Text(bytes.subarray(start, end)), false));
    };
  }
  if (kind === 'text' && DataType.isDictionary(vector.type)) {
    const formatted = new Map<Vector, Uint8Array[]>();
    return (out, data, r) => {
      const dictionary = data.dictionary!;
      let cells = formatted.get(dictionary);
      if (!cells) {
        const utf8 = (encoder ??= new TextEncoder());
        const words = [...columnValues(dictionary)];
        cells = words.map((word) => utf8.encode(anyCell(word, kind, text)));
        formatted.set(dictionary, cells);
      }
      const cell = cells[Number((data.values as ArrayLike<number | bigint>)[r])];
      out.copy(cell, 0, cell.length);
    };
  }
  // other text (a multi-character delimiter or line ending, large offsets) read by utf8Text, as above
  if (kind === 'text') return (out, data, r) => out.text(anyCell(textAt(data, r), kind, text));
  return general;
}

/**
 * Writes an Arrow table as CSV text, quoting and escaping formulas as csv-stringify does: fields holding a quote,
 * the delimiter, CR or LF are quoted, quotes doubled. Nulls are empty cells (`""` in a one-column table, whose empty
 * line a reader would skip, as csv-stringify's quoted_empty writes them; there a cell of only spaces and tabs, a blank
 * line to pandas, is quoted too), booleans true/false,
 * timestamps ISO 8601 (plain dates when every value is a whole UTC day), and whole floats keep a ".0"
 * so that readCsv infers the same types back.
 * @example
 * const text = writeCsv(segments);
 */
export function writeCsv(table: Table, options: WriteCsvOptions = {}): string {
  // utf8Text keeps a requested byte order mark in the text instead of dropping it
  return utf8Text(writeCsvBytes(table, options));
}

/** writeCsv as UTF-8 bytes, for writers that send bytes on to a file or a stream without a round trip through a string. */
export function writeCsvBytes(table: Table, options: WriteCsvOptions = {}): Uint8Array {
  const w = csvRowWriter(table, options);
  const out = new CsvBytes(Math.min(1 << 26, w.n * (w.width * 8 + w.eolBytes.length) + 64));
  w.start(out);
  w.rows(out, 0, w.n);
  return out.bytes.subarray(0, out.at);
}

/**
 * writeCsv as UTF-8 chunks of `rows` rows each (the header with the first), for writing a large table as it is
 * formatted: memory holds one chunk of text, never the whole file. Each chunk is a view of one reused buffer, valid
 * until the next one is asked for. The chunks joined are writeCsvBytes' bytes.
 */
export function* writeCsvChunks(table: Table, options: WriteCsvOptions = {}, rows = 65_536): Generator<Uint8Array> {
  if (!Number.isInteger(rows) || rows < 1) throw badOption('rows', rows, 'a positive integer');
  const w = csvRowWriter(table, options);
  const out = new CsvBytes(Math.min(1 << 24, Math.min(rows, w.n) * (w.width * 8 + w.eolBytes.length) + 64));
  w.start(out);
  for (let from = 0; from < w.n || from === 0; from += rows) {
    w.rows(out, from, Math.min(w.n, from + rows));
    yield out.bytes.subarray(0, out.at);
    out.at = 0;
    if (w.n === 0) break;
  }
}

/** The options checked and every column's cell writer chosen once; writes the header and then rows, in any slices. */
interface CsvRowWriter {
  readonly n: number;
  readonly width: number;
  readonly eolBytes: Uint8Array;
  /** The byte order mark and the header line, as asked for. */
  start(out: CsvBytes): void;
  /** Rows [from, to). */
  rows(out: CsvBytes, from: number, to: number): void;
}

function csvRowWriter(input: Table, options: WriteCsvOptions): CsvRowWriter {
  arrowTableArg(input, 'writeCsv');
  // decimals as the numbers they hold (Arrow's own text of them drops the scale)
  checkOptions(options, WRITE_CSV_OPTIONS, 'writeCsv');
  const table = decimalsAsNumbers(input);
  const defaults = WRITE_CSV_DEFAULTS;
  const delimiter = orDefault(options.delimiter, defaults.delimiter);
  // a quote or a line break between fields is read as quoting or as the end of the record: no reader reads the file back
  // (readCsv refuses such a delimiter, and a U+FEFF)
  if (typeof delimiter !== 'string' || delimiter.length === 0 || /["\r\n\ufeff]/.test(delimiter)) {
    throw badOption('delimiter', delimiter, 'a non-empty string without \'"\', a line break or U+FEFF');
  }
  const header = orDefault(options.header, defaults.header);
  if (typeof header !== 'boolean') throw badOption('header', header, 'a boolean');
  const escapeFormulas = orDefault(options.escapeFormulas, defaults.escapeFormulas);
  if (typeof escapeFormulas !== 'boolean') throw badOption('escapeFormulas', escapeFormulas, 'a boolean');
  const bom = orDefault(options.bom, defaults.bom);
  if (typeof bom !== 'boolean') throw badOption('bom', bom, 'a boolean');
  const eol = orDefault(options.eol, defaults.eol);
  if (eol !== '\n' && eol !== '\r\n') throw badOption('eol', eol, '"\\n" or "\\r\\n"');

  const text = textCellWriter(delimiter, eol, escapeFormulas);
  const dialect: Dialect = {
    escapeFormulas,
    text,
    numbersPlain: !VALUE_CHARS.test(delimiter),
    delimiterByte: delimiter.length === 1 && delimiter.charCodeAt(0) < 0x80 ? delimiter.charCodeAt(0) : -1,
  };
  const fields = table.schema.fields;
  const width = fields.length;
  const n = table.numRows;
  const vectors = fields.map((_, j) => table.getChildAt(j)!);
  const writers = vectors.map((vector, j) => cellWriter(vector, cellKind(fields[j], vector), dialect));
  const utf8 = (encoder ??= new TextEncoder());
  const delimiterBytes = utf8.encode(delimiter);
  const eolBytes = utf8.encode(eol);
  // rows run in stretches where every column stays within one chunk
  const bounds = new Set<number>([0, n]);
  for (const vector of vectors) {
    let start = 0;
    for (const data of vector.data) bounds.add((start += data.length));
  }
  const edges = [...bounds].filter((b) => b <= n).sort((a, b) => a - b);
  const start = (out: CsvBytes): void => {
    if (bom) out.text('\ufeff');
    if (header) {
      const line = fields.map((f) => text(f.name, false)).join(delimiter);
      out.text(width === 1 && /^[ \t]*$/.test(line) ? `"${line}"` : line);
      out.copy(eolBytes, 0, eolBytes.length);
    }
  };
  const rows = (out: CsvBytes, from: number, to: number): void => {
    const delimiterByte = delimiterBytes.length === 1 ? delimiterBytes[0] : -1;
    const lone = width === 1;
    const chunk = new Array<Data>(width);
    const first = new Int32Array(width);
    const nullable = new Uint8Array(width);
    const bitmaps = new Array<Uint8Array>(width);
    const offsets = new Int32Array(width);
    for (let e = 0; e + 1 < edges.length; e++) {
      const lo = Math.max(from, edges[e]);
      const hi = Math.min(to, edges[e + 1]);
      if (lo >= hi) continue;
      for (let j = 0; j < width; j++) {
        let start = 0;
        for (const data of vectors[j].data) {
          if (lo < start + data.length) {
            chunk[j] = data;
            first[j] = start;
            // 1: read the validity bits here; 2: unions, whose validity Arrow works out
            nullable[j] = data.nullCount <= 0 ? 0 : DataType.isUnion(data.type) || !(data.nullBitmap && data.nullBitmap.byteLength > 0) ? 2 : 1;
            bitmaps[j] = data.nullBitmap!;
            offsets[j] = data.offset;
            break;
          }
          start += data.length;
        }
      }
      for (let i = lo; i < hi; i++) {
        const start = out.at;
        for (let j = 0; j < width; j++) {
          if (j > 0) {
            if (delimiterByte >= 0) {
              if (out.at >= out.bytes.length) out.reserve(1);
              out.bytes[out.at++] = delimiterByte;
            } else out.copy(delimiterBytes, 0, delimiterBytes.length);
          }
          const data = chunk[j];
          const r = i - first[j];
          const valid = nullable[j] === 0 || (nullable[j] === 1 ? ((bitmaps[j][(offsets[j] + r) >> 3] >> ((offsets[j] + r) & 7)) & 1) === 1 : data.getValid(r));
          if (valid) writers[j](out, data, r, i);
        }
        if (lone) {
          // a line of nothing but spaces and tabs is a blank line to pandas.read_csv, which skips it: the cell is quoted
          let k = start;
          while (k < out.at && (out.bytes[k] === 0x20 || out.bytes[k] === 0x09)) k++;
          if (k === out.at) {
            const bytes = out.reserve(2);
            bytes.copyWithin(start + 1, start, out.at);
            bytes[start] = bytes[out.at + 1] = 0x22;
            out.at += 2;
          }
        }
        out.copy(eolBytes, 0, eolBytes.length);
      }
    }
  };
  return { n, width, eolBytes, start, rows };
}
