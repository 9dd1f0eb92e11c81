import {
  Bool,
  type Data,
  Dictionary,
  Float32,
  Float64,
  Int32,
  TimestampMillisecond,
  Utf8,
  makeData,
  makeVector,
} from '#arrow';
import { SegkitError } from '../util/errors.js';
import { utf8Data } from './arrowTable.js';
import { DAY_MS } from './tableCells.js';

/** The column types a caller can ask the readers for. */
export type ColumnType = 'number' | 'integer' | 'string' | 'date' | 'boolean' | 'category';

export const COLUMN_TYPES: readonly ColumnType[] = Object.freeze(['number', 'integer', 'string', 'date', 'boolean', 'category']);

/** The type `types` gives a column, ignoring inherited keys (a column may be called "constructor"). */
export function typeOf(types: Readonly<Record<string, ColumnType>> | undefined, name: string): ColumnType | undefined {
  return types && Object.hasOwn(types, name) ? types[name] : undefined;
}

export type Kind = 'empty' | 'number' | 'boolean' | 'date' | 'string' | 'category';

const KIND_OF: Readonly<Record<ColumnType, Kind>> = Object.freeze({
  number: 'number',
  integer: 'number',
  string: 'string',
  date: 'date',
  boolean: 'boolean',
  category: 'category',
});

// Spaces around a number are ASCII white space, as pandas.read_csv skips: a no-break space or a U+FEFF (a byte order
// mark where two exports were joined) makes the cell text, so "\uFEFF1001" is not customer 1001
const NUMBER_TEXT = /^[\t-\r ]*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[\t-\r ]*$/;
const INTEGER_TEXT = /^[\t-\r ]*[+-]?\d+[\t-\r ]*$/;
// "007" or "02134" are identifiers (account numbers, postcodes): reading them as numbers would drop the zeros.
const LEADING_ZERO = /^[\t-\r ]*[+-]?0\d/;
// Maps, not object literals: a cell reading "constructor" must not find Object.prototype's
const SPECIAL_NUMBERS: ReadonlyMap<string, number> = new Map([
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['+Infinity', Infinity],
  ['-Infinity', -Infinity],
]);
const BOOLEAN_STRICT: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['false', false],
]);
const BOOLEAN_LOOSE: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['false', false],
  ['t', true],
  ['f', false],
  ['yes', true],
  ['no', false],
  ['y', true],
  ['n', false],
  ['1', true],
  ['0', false],
]);
// white space around a date is ASCII white space alone, as around a number (NUMBER_TEXT): a U+FEFF or a no-break space
// before "2024-01-01" makes the cell text, which the readers keep and the writers write back
const ISO_DATE = /^[\t-\r ]*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?[\t-\r ]*(Z|[+-]\d{2}(?::?\d{2})?)?)?[\t-\r ]*$/i;
const INT32_MAX = 2147483647;
const MAX_TEXT_BYTES = 2147483647;
const CHUNK_BITS = 14;
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;

const isInt32 = (v: number) => Number.isInteger(v) && v >= -INT32_MAX - 1 && v <= INT32_MAX;

/** A number in CSV text; `strict` (type inference) refuses leading-zero identifiers. */
export function parseNumberText(text: string, strict: boolean): number | undefined {
  if (NUMBER_TEXT.test(text)) return strict && LEADING_ZERO.test(text) ? undefined : +text;
  return SPECIAL_NUMBERS.get(text.replace(/^[\t-\r ]+|[\t-\r ]+$/g, ''));
}

/** Whether `text` holds no lone surrogate, which UTF-8 has no character for (TextEncoder would write U+FFFD). */
export const wellFormed = (text: string): boolean => (text as { isWellFormed?(): boolean }).isWellFormed?.() ?? !/\p{Cs}/u.test(text);
export const LONE_SURROGATE = 'holds a lone surrogate, which UTF-8 text has no character for';

// Powers of ten that doubles hold exactly (10^22 is the last), for the fast path below.
const EXACT_POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

// Whether the text the last readNumber call accepted was written as an integer (no point, no exponent).
export let integerText = false;

// How the text the last readNumber call accepted was written, for a column that may turn to text and must then give
// its earlier cells as written: 0 as String(value) writes it; EXOTIC_FORM other than any fixed notation (kept as
// text); else 1 + the fraction digits (bits 0-3), a "+" sign (bit 4), no integer digit (".5", bit 5) and a
// trailing point ("5.", bit 6), which fixedForm turns back into the text.
export let numberForm = 0;
const EXOTIC_FORM = 255;

/** The text of `v` read with form `form` (1 to 128): toFixed gives the digits, and the marks are put back. */
function fixedForm(v: number, form: number): string {
  const f = form - 1;
  let text = v.toFixed(f & 15);
  if (v === 0 && 1 / v < 0) text = `-${text}`;
  if (f & 32) text = text.replace(/^(-?)0\./, '$1.');
  if (f & 16) text = `+${text}`;
  if (f & 64) text = `${text}.`;
  return text;
}

/**
 * parseNumberText in one pass over the characters for plain decimals ("-12.345"), the common case; anything else
 * (exponents, spaces, Infinity, NaN) takes the regular-expression path. Up to 15 digits the digits form an exact
 * integer and the power of ten is exact, so one division rounds correctly and equals `+text`
 * (Clinger, "How to read floating point numbers accurately", PLDI 1990).
 */
export function readNumber(text: string, strict: boolean): number | undefined {
  const v = readSimpleNumber(text, 0, text.length, strict);
  if (v !== undefined) return v;
  const w = parseNumberText(text, strict);
  integerText = w !== undefined && INTEGER_TEXT.test(text);
  numberForm = w !== undefined && String(w) === text ? 0 : EXOTIC_FORM;
  // an integer float64 cannot hold exactly (an id, a card or account number), or digits past float64's range (1e400,
  // Infinity as a number; pandas keeps it as text): text, unless the column is typed
  if (strict && w !== undefined && (integerText ? !Number.isSafeInteger(w) : w - w !== 0 && /\d/.test(text))) return undefined;
  return w;
}

/**
 * readNumber's one-pass path on text[s, e): the value of a plain decimal, or undefined for anything else (which
 * readNumber then reads, or refuses, from the cell's string, as parseNumberText does). Sets integerText.
 */
function readSimpleNumber(text: string, s: number, e: number, strict: boolean): number | undefined {
  let i = s;
  let c = text.charCodeAt(i);
  if (c === 45 || c === 43) i++; // a sign
  const intStart = i;
  let digits = 0;
  for (; i < e; i++) {
    c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    digits = digits * 10 + c;
  }
  const intDigits = i - intStart;
  let fracDigits = 0;
  if (i < e && text.charCodeAt(i) === 46) {
    const fracStart = ++i;
    for (; i < e; i++) {
      c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      digits = digits * 10 + c;
    }
    fracDigits = i - fracStart;
  }
  if (i < e || intDigits + fracDigits === 0 || intDigits + fracDigits > 15) return undefined;
  if (strict && intDigits > 1 && text.charCodeAt(intStart) === 48) return undefined;
  return plainNumber(digits, text.charCodeAt(s), text.charCodeAt(intStart), text.charCodeAt(e - 1), intDigits, fracDigits, intStart !== s);
}

/**
 * The value of a plain decimal (a sign or none, intDigits digits, then a point and fracDigits digits, at most 15 in
 * all) from its digits, `digits` their value (`first` its first character, `lead` its first digit, `last` its last
 * character, `signed` whether it starts with a sign), as readSimpleNumber reads it; sets integerText and numberForm
 * (imported, they are read live). The CSV reader reads such cells while splitting records (RecordFiller.lanes).
 */
export function plainNumber(digits: number, first: number, lead: number, last: number, intDigits: number, fracDigits: number, signed: boolean): number {
  const negative = first === 45;
  integerText = fracDigits === 0 && last !== 46;
  const v = fracDigits === 0 ? digits : digits / EXACT_POWERS_OF_TEN[fracDigits];
  // String(v) gives the text back unless it has a sign "+", "-0", no integer digit, a trailing point or zero, a
  // leading zero, or is below 1e-6 (written with an exponent); the usual cell ends in a digit 1-9 after one
  numberForm = 0;
  if (last === 48 || last === 46 || intDigits !== 1 || fracDigits > 6 || signed) {
    const plus = first === 43, noInt = intDigits === 0, dot = last === 46;
    if (plus || noInt || dot || (fracDigits > 0 && last === 48) || (intDigits > 1 && lead === 48) || (v < 1e-6 && (v > 0 || negative))) {
      numberForm = 1 + (fracDigits | (plus ? 16 : 0) | (noInt ? 32 : 0) | (dot ? 64 : 0));
    }
  }
  return negative ? -v : v;
}

/**
 * Whether a cell starting with character (or byte) `c` may read as a number where a text column counts its numbers:
 * digits, signs, ".", ",", space, tab, and the I of Infinity and N of NaN. Cells starting otherwise count as text,
 * even those NUMBER_TEXT reads (a leading line feed).
 */
export const mayBeNumber = (c: number): boolean =>
  (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46 || c === 44 || c === 32 || c === 9 || c === 73 || c === 78;

/**
 * Whether the UTF-8 bytes[s, e) hold an ASCII character no number text has (NUMBER_TEXT allows digits, ".", "e",
 * "E", signs and white space; Infinity and NaN start with a letter): "2271160b-..." is text without a regular expression.
 */
function surelyText(bytes: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    const c = bytes[i];
    if (c >= 128) continue;
    if ((c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45 || c === 32 || (c >= 9 && c <= 13)) continue;
    return true;
  }
  return false;
}

// created on first use: a module-level TextEncoder would make merely loading this file need one
let encoder: TextEncoder | undefined;

/**
 * A slice of CSV text as UTF-8 bytes, which the readers split and parse cell by cell, and the slice itself for the
 * cells that need their string (a null token, a number in another form, a value that changes a column's type).
 */
export class Utf8Slice {
  /** The slice's bytes: `size` of them. */
  bytes: Uint8Array = new Uint8Array(0);
  size = 0;
  // the bytes `set` encodes into
  private own = new Uint8Array(0);
  // when every character is ASCII: the text of bytes from `textAt` on (all of them for `set`; for bytes taken as
  // they are, made when a cell asks, at most TEXT_WINDOW of them, as a string of a text slice is, since a cell cut
  // from a string may keep the whole string alive)
  private text = '';
  private textAt = 0;
  private ascii = true;
  private decoder: TextDecoder | undefined;

  /** Takes `text` (the CSV reader refuses a lone surrogate before, which TextEncoder would write as U+FFFD). */
  set(text: string): void {
    if (this.own.length < text.length * 3) this.own = new Uint8Array(Math.max(text.length * 3, 1 << 16));
    const written = (encoder ??= new TextEncoder()).encodeInto(text, this.own).written;
    this.bytes = this.own;
    this.size = written;
    this.text = text;
    this.textAt = 0;
    this.ascii = written === text.length;
  }

  /**
   * Takes UTF-8 bytes of whole characters as they are (not copied: they must not change while the slice is used,
   * and `clear` lets go of them); `ascii`: whether all of them are ASCII.
   */
  setBytes(bytes: Uint8Array, ascii: boolean): void {
    this.bytes = bytes;
    this.size = bytes.length;
    this.text = '';
    this.textAt = 0;
    this.ascii = ascii;
  }

  /** Lets go of the bytes and text taken. */
  clear(): void {
    this.setBytes(this.own.subarray(0, 0), true);
  }

  /** The string of bytes[s, e), a span of whole characters. */
  cell(s: number, e: number): string {
    // a cell may start with U+FEFF, which is text there, not a byte order mark
    const decoder = (this.decoder ??= new TextDecoder('utf-8', { ignoreBOM: true }));
    if (!this.ascii) return decoder.decode(this.bytes.subarray(s, e));
    if (s < this.textAt || e > this.textAt + this.text.length) {
      this.textAt = s;
      this.text = decoder.decode(this.bytes.subarray(s, Math.min(this.size, Math.max(e, s + TEXT_WINDOW))));
    }
    return this.text.slice(s - this.textAt, e - this.textAt);
  }
}

// bytes of a slice taken as they are turned to text at once, for its text cells
const TEXT_WINDOW = 1 << 16;

/** Milliseconds since the epoch for an ISO 8601 date or timestamp (no zone means UTC), or NaN. */
export function parseIsoDate(text: string): number {
  const m = ISO_DATE.exec(text);
  if (!m) return NaN;
  const year = +m[1];
  const month = +m[2];
  const day = +m[3];
  const hour = m[4] === undefined ? 0 : +m[4];
  const minute = m[5] === undefined ? 0 : +m[5];
  const second = m[6] === undefined ? 0 : +m[6];
  const ms = m[7] === undefined ? 0 : +`${m[7]}00`.slice(0, 3); // digits, not 0.57 * 1000 = 569.999...
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return NaN;
  const date = new Date(Date.UTC(2000, 0, 1, hour, minute, second, ms));
  date.setUTCFullYear(year, month - 1, day); // Date.UTC maps years 0-99 to 1900-1999
  if (date.getUTCDate() !== day) return NaN; // 2024-02-30 would roll over into March
  let t = date.getTime();
  const zone = m[8];
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const zoneHours = +digits.slice(0, 2), zoneMinutes = digits.length > 2 ? +digits.slice(2) : 0;
    // +25:00 or +05:99 is no zone: read as one, it would shift the time silently
    if (zoneHours > 23 || zoneMinutes > 59) return NaN;
    t -= sign * (zoneHours * 60 + zoneMinutes) * 60000;
  }
  return t;
}

const dateOnlyText = (text: string) => text.trim().length === 10;

const isDigit = (c: number) => c >= 48 && c <= 57;

/**
 * How a date text is written: its digits as 0s, then "|" and its zone as written (Z, +02:00, -0500, none), which
 * dateText fills in again from the time.
 */
function dateLayout(text: string): string {
  const zone = dateOnlyText(text) ? '' : (/(?:Z|[+-]\d{2}(?::?\d{2})?)\s*$/i.exec(text)?.[0] ?? '');
  return `${text.slice(0, text.length - zone.length).replace(/\d/g, '0')}|${zone}`;
}

/** The text of time `t` written in `layout` (dateLayout): the digits of its local time in the layout's zone. */
function dateText(layout: string, t: number): string {
  const bar = layout.lastIndexOf('|');
  const zone = layout.slice(bar + 1), z = zone.trim();
  const hhmm = z.slice(1).replace(':', '');
  const offset = z[0] === '+' || z[0] === '-' ? (z[0] === '-' ? -1 : 1) * (+hhmm.slice(0, 2) * 60 + +(hhmm.slice(2) || 0)) : 0;
  // YYYYMMDDHHMMSSmmm
  const digits = new Date(t + offset * 60000).toISOString().replace(/\D/g, '');
  let k = 0;
  return layout.slice(0, bar).replace(/0/g, () => digits[k++] ?? '0') + zone;
}

/** Whether `text` has the layout of `other`, whose zone is its last `zone` characters: alike but for digits before it. */
function sameLayout(text: string, other: string, zone: number): boolean {
  const n = text.length;
  if (n !== other.length) return false;
  for (let k = 0; k < n; k++) {
    const a = text.charCodeAt(k), b = other.charCodeAt(k);
    if (a !== b && (k >= n - zone || !isDigit(a) || !isDigit(b))) return false;
  }
  return true;
}

function render(kind: Kind, v: number, dateOnly: boolean): string {
  if (kind === 'boolean') return v ? 'true' : 'false';
  if (kind === 'date') {
    const iso = new Date(v).toISOString();
    return dateOnly ? iso.slice(0, 10) : iso;
  }
  return String(v);
}

const ARTICLE: Readonly<Record<ColumnType, string>> = Object.freeze({
  number: 'a number',
  integer: 'an integer',
  string: 'a string',
  date: 'a date',
  boolean: 'a boolean',
  category: 'a category',
});

// Cells of an inferred number column kept as text because no fixed notation gives them back (1e3, " 8 "): past this
// many, a cell that turns the column to text is an error rather than a column of rewritten numbers.
export const EXOTIC_CAP = 1 << 16;

/**
 * A column as one reader of part of a file built it, handed to the builder of the part before it (see csvParts.ts):
 * plain data and typed arrays, so it crosses to another thread by structured clone, its buffers moved.
 */
export interface ColumnPart {
  readonly kind: Kind;
  readonly length: number;
  readonly nullCount: number;
  readonly valid: Uint8Array | null;
  readonly chunks: readonly Float64Array[];
  readonly allInt: boolean;
  readonly dateOnly: boolean;
  /** The text, block by block; offsets[i] is where row i starts in the text of all blocks (length + 1 entries). */
  readonly text: readonly Uint8Array[];
  readonly offsets: Int32Array;
  readonly dictValues: readonly string[];
  readonly codes: Int32Array;
  readonly forms: Uint8Array | null;
  readonly exotic: Map<number, string> | null;
  readonly exoticNoted: number;
  readonly numberCells: number;
  readonly textCells: number;
  readonly firstTextRow: number;
  readonly firstText: string;
  /** The first type the part's column took, and the numbers before it turned to text that countText counts as text. */
  readonly startKind: Kind;
  readonly oddNumbers: number;
}

/** Copies `count` validity bits of `src` (null: all valid) to `dst` from bit `at`; `dst` starts zeroed. */
function copyBits(dst: Uint8Array, at: number, src: Uint8Array | null, count: number): void {
  if (src === null) {
    for (let i = 0; i < count; i++) dst[(at + i) >> 3] |= 1 << ((at + i) & 7);
    return;
  }
  if ((at & 7) === 0) {
    const whole = count >> 3;
    dst.set(src.subarray(0, whole), at >> 3);
    for (let i = whole << 3; i < count; i++) if (src[i >> 3] & (1 << (i & 7))) dst[(at + i) >> 3] |= 1 << ((at + i) & 7);
    return;
  }
  for (let i = 0; i < count; i++) if (src[i >> 3] & (1 << (i & 7))) dst[(at + i) >> 3] |= 1 << ((at + i) & 7);
}

// First allocations are small: a table may have thousands of columns, and a column's first rows cost little.
const MIN_CAPACITY = 64;

/**
 * Bytes of a text column's blocks after the first. Growing one buffer by doubling copied the text about twice more
 * and mapped fresh pages for every copy: on the benchmark's 1M-row CSV, whose ids take 36 MB, page faults in the
 * text column's growth were about a fifth of `segkit segment`'s.
 */
const TEXT_BLOCK = 1 << 20;

function grow<T extends Float64Array | Int32Array | Uint8Array>(array: T, need: number): T {
  if (need <= array.length) return array;
  let capacity = Math.max(MIN_CAPACITY, array.length);
  while (capacity < need) capacity *= 2;
  const next = new (array.constructor as new (n: number) => T)(capacity);
  next.set(array);
  return next;
}

/** Bytes of `text` in UTF-8 as TextEncoder writes it (a lone surrogate becomes U+FFFD, 3 bytes). */
function utf8Length(text: string): number {
  const to = text.length;
  let n = 0;
  for (let k = 0; k < to; k++) {
    const c = text.charCodeAt(k);
    if (c < 0x80) n++;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && k + 1 < to && (text.charCodeAt(k + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      k++;
    } else n += 3;
  }
  return n;
}

/**
 * Builds one Arrow column value by value into typed arrays (fixed-size chunks for numbers), never keeping row objects,
 * so that reading stays bounded by the size of the columns themselves.
 * Without a forced type it infers one, widening to string when a value does not fit;
 * earlier values are then re-rendered as text (numbers with String(), dates as ISO 8601).
 */
export class ColumnBuilder {
  readonly name: string;
  readonly forced: ColumnType | undefined;
  protected readonly parseDates: boolean;
  protected kind: Kind;
  length = 0;
  nullCount = 0;
  protected valid: Uint8Array | null = null;
  // numbers, dates (epoch ms) and booleans (0/1) live in fixed-size chunks: growing never copies,
  // and the slack is at most one chunk per column
  protected chunks: (Float64Array | null)[] = [];
  protected allInt = true;
  protected dateOnly = true;
  // text lives in blocks: the first grows to TEXT_BLOCK, after it whole blocks are added and never copied until
  // finish() joins them; `bytes` is the block being written, starting at byte `blockStart` of the column's text
  protected bytes = new Uint8Array(0);
  protected blocks: Uint8Array[] = [];
  protected blockStart = 0;
  protected byteLength = 0;
  protected offsets = new Int32Array(0);
  protected dict: Map<string, number> | null = null;
  protected dictValues: string[] = [];
  protected codes = new Int32Array(0);

  protected readonly decimalComma: boolean;
  // numbers as inference reads them: "007" and integers float64 cannot hold are not numbers
  private readonly strictNumbers: boolean;
  // an inferred number column's cells String(value) would not give back (numberForm by row; EXOTIC_FORM ones kept as
  // text, up to EXOTIC_CAP), and a boolean column's (noteSpelling), so that turning to text gives every cell as written
  protected forms: Uint8Array | null = null;
  // a boolean column's spellings other than true and false, or a date column's layouts (dateLayout), by form - 1
  private spellings: string[] | null = null;
  // the last date's text, its layout's form and the length of its zone (sameLayout)
  private lastDate: { text: string; code: number; zone: number } | undefined;
  // the form of every date so far while they share one (no forms noted then); 0 once they differ, -1 before any
  private dateForm = -1;
  protected exotic: Map<number, string> | null = null;
  // exotic forms noted while the column held numbers, kept or not: past EXOTIC_CAP, some are lost
  protected exoticNoted = 0;
  // the first type the column took, and, once it turned from numbers to text, how many of those numbers countText
  // would count as text (a leading no-break space): what joining parts must know of how a part got to its type
  protected startKind: Kind = 'empty';
  protected oddNumbers = 0;
  // later parts of the column (joined by csvParts.ts), of this column's kind, whose rows follow this builder's own
  protected tails: ColumnPart[] = [];
  // in an inferred text column: how many values read as numbers, how many do not, and the first that does not
  protected numberCells = 0;
  protected textCells = 0;
  protected firstTextRow = -1;
  protected firstText = '';

  /**
   * `decimal` ',' reads "1,5" as 1.5 (and "1.5" as text). `exact`: `forced` is a type inferred from earlier rows, so
   * a number inference would have kept as text (leading zeros, an integer beyond 2^53) does not fit it, nor a boolean
   * other than true and false (yes, n, 1).
   */
  constructor(name: string, forced: ColumnType | undefined, parseDates: boolean, decimal: '.' | ',' = '.', exact = false) {
    this.name = name;
    this.forced = forced;
    this.strictNumbers = !forced || exact;
    this.parseDates = parseDates;
    this.decimalComma = decimal === ',';
    this.kind = 'empty';
    if (forced) this.start(KIND_OF[forced]);
  }

  /** A cell's text as number text: with a decimal comma, "1,5" becomes "1.5" and "1.5" stays text. */
  private numeric(text: string): string {
    if (!this.decimalComma) return text;
    return text.includes('.') ? '' : text.replace(',', '.');
  }

  /**
   * For an inferred text column holding both: how many values read as numbers and how many do not, with the row
   * (0-based) and text of the first that does not. A numeric column with a stray word looks like this.
   */
  textStats(): { numbers: number; texts: number; row: number; text: string } | undefined {
    if (this.forced || this.kind !== 'string' || this.numberCells === 0 || this.textCells === 0) return undefined;
    return { numbers: this.numberCells, texts: this.textCells, row: this.firstTextRow, text: this.firstText };
  }

  private countText(text: string, row: number): void {
    // most text starts with a letter and is no number; "007" counts as one here (a code column is not a mixed one)
    if (mayBeNumber(text.charCodeAt(0)) && parseNumberText(this.numeric(text), false) !== undefined) this.numberCells++;
    else {
      if (this.textCells === 0) {
        this.firstTextRow = row;
        this.firstText = text;
      }
      this.textCells++;
    }
  }

  /** Bytes held by the column's buffers (for tests of the per-column cost). */
  allocatedBytes(): number {
    let total = this.bytes.byteLength + this.offsets.byteLength + this.codes.byteLength + (this.valid?.byteLength ?? 0);
    for (const c of this.chunks) total += c?.byteLength ?? 0;
    for (const b of this.blocks) total += b.buffer.byteLength;
    return total;
  }

  /** The type inferred so far; a column with no values yet counts as string. */
  inferredType(): ColumnType {
    if (this.forced) return this.forced;
    switch (this.kind) {
      case 'number':
        return this.allInt ? 'integer' : 'number';
      case 'empty':
        return 'string';
      default:
        return this.kind;
    }
  }

  pushNull(): void {
    this.pushNulls(1);
  }

  pushNulls(count: number): void {
    for (let k = 0; k < count; k++) {
      const i = this.length;
      this.reserve(i + 1);
      if (!this.valid) {
        // first null: every earlier row was valid
        this.valid = new Uint8Array(Math.max(MIN_CAPACITY >> 3, (this.capacity() + 7) >> 3));
        this.valid.fill(0xff, 0, i >> 3);
        for (let r = i & ~7; r < i; r++) this.valid[r >> 3] |= 1 << (r & 7);
      }
      if (this.kind === 'string') this.offsets[i + 1] = this.byteLength;
      this.nullCount++;
      this.length = i + 1;
    }
  }

  /** Appends a CSV cell (already known not to be null); returns why it does not fit, if it does not. */
  pushText(text: string): string | undefined {
    switch (this.kind) {
      case 'empty':
        return this.startFromText(text);
      case 'number': {
        const number = this.numeric(text);
        const v = number === '' ? undefined : readNumber(number, this.strictNumbers);
        if (v !== undefined) {
          if (this.forced === 'integer' && !isInt32(v)) return Number.isInteger(v) ? 'is not a 32-bit integer' : 'is not an integer';
          if (this.allInt && !(integerText && isInt32(v))) this.allInt = false;
          if (numberForm !== 0 && !this.forced) this.noteForm(this.length, numberForm, text);
          this.appendNumber(v);
          return undefined;
        }
        if (this.forced && number !== '' && readNumber(number, false) !== undefined) return `is a number only as text (${Number.isFinite(readNumber(number, false)) ? 'leading zeros, or an integer float64 cannot hold exactly' : 'past float64\'s range'})`;
        // true and false, as an inferred boolean column gives them to a feature: 1 and 0 (where `types` asks for
        // numbers; a type inferred from earlier rows takes what inference does, and inference makes such a column text)
        const b = BOOLEAN_STRICT.get(text.trim().toLowerCase());
        if (this.forced === 'number' && !this.strictNumbers && b !== undefined) return this.pushTyped('boolean', +b, text);
        if (this.forced) return this.forced === 'integer' ? 'is not an integer' : 'is not a number';
        if (this.exoticNoted > EXOTIC_CAP) return `turns the column to text, but more than ${EXOTIC_CAP.toLocaleString('en-US')} of the numbers before it were written in forms kept only as numbers (such as 1e3): read the column as text`;
        // the values so far were numbers; this one starts the count of those that are not
        this.numberCells = this.length - this.nullCount;
        this.countText(text, this.length);
        this.toStrings();
        this.appendString(text);
        return undefined;
      }
      case 'boolean': {
        const key = text.trim().toLowerCase();
        // yes/no and 1/0 only where `types` asks for booleans: a type inferred from earlier rows takes what inference does
        const v = (this.strictNumbers ? BOOLEAN_STRICT : BOOLEAN_LOOSE).get(key);
        if (v !== undefined) {
          // TRUE, True: kept as written, should the column turn to text
          if (!this.forced && text !== key) this.noteSpelling(text);
          this.appendNumber(v ? 1 : 0);
          return undefined;
        }
        if (this.forced) return this.strictNumbers ? 'is not true or false' : 'is not a boolean (true/false, yes/no, 1/0)';
        if (this.exoticNoted > EXOTIC_CAP) return 'turns the column to text, but too many of the booleans before it were written in forms kept only as booleans: read the column as text';
        this.toStrings();
        this.appendString(text);
        return undefined;
      }
      case 'date': {
        const t = parseIsoDate(text);
        if (!Number.isNaN(t)) {
          this.appendDate(t, text);
          return undefined;
        }
        if (this.forced) return 'is not an ISO 8601 date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)';
        if (this.exoticNoted > EXOTIC_CAP) return 'turns the column to text, but too many of the dates before it were written in forms kept only as dates: read the column as text';
        this.toStrings();
        this.appendString(text);
        return undefined;
      }
      case 'string':
        if (!this.forced) this.countText(text, this.length);
        this.appendString(text);
        return undefined;
      case 'category':
        this.appendCategory(text);
        return undefined;
    }
  }

  /**
   * pushText of the cell slice.bytes[s, e) (non-empty, known not to be null): values of text columns are taken from
   * the bytes; anything else goes through pushText, so the result is the same. (The reader reads plain decimals of
   * number columns itself, and hands them over with appendRead.)
   */
  pushSpan(slice: Utf8Slice, s: number, e: number): string | undefined {
    const bytes = slice.bytes;
    if (this.kind === 'string') {
      if (!this.forced) {
        const c = bytes[s];
        // countText's test: a cell that may read as a number, or the column's first text, needs its string
        const maybe = mayBeNumber(c);
        // a cell starting with a digit cannot be Infinity or NaN: a letter other than e makes it text
        const digit = c >= 48 && c <= 57;
        if (this.textCells === 0 || (maybe && (!digit || this.decimalComma || !surelyText(bytes, s, e)))) return this.pushText(slice.cell(s, e));
        this.textCells++;
      }
      const i = this.length;
      if (i + 2 > this.offsets.length) this.reserve(i + 1);
      // the cell's bytes as they are: valid UTF-8, as writeString would write its string
      const at = this.room(e - s), out = this.bytes;
      for (let k = s, o = at; k < e; k++, o++) out[o] = bytes[k];
      this.byteLength = this.blockStart + at + (e - s);
      this.offsets[i + 1] = this.byteLength;
      this.markValid(i);
      this.length = i + 1;
      return undefined;
    }
    return this.pushText(slice.cell(s, e));
  }

  /**
   * Whether the reader may read this column's plain decimals itself and hand them over with appendRead: 1 for a number
   * column with a decimal point, 2 when it also refuses leading zeros (inference), 0 otherwise.
   */
  numberLane(): number {
    if (this.kind !== 'number' || this.decimalComma || this.forced === 'integer') return 0;
    return this.strictNumbers ? 2 : 1;
  }

  /** A plain decimal of a number column (numberLane), read by plainNumber as `v`, with integerText in bit 8 of `notes` and numberForm in bits 0-7: as pushText takes it. */
  appendRead(v: number, notes: number): void {
    if (this.allInt && !(notes & 256 && isInt32(v))) this.allInt = false;
    const form = notes & 255;
    if (form !== 0 && !this.forced) {
      const forms = this.forms, i = this.length;
      if (forms !== null && i < forms.length) forms[i] = form;
      else this.noteForm(i, form, '');
    }
    this.appendNumber(v);
  }

  /** Appends a typed value (from JSON or another table); strings are only inferred as dates, never as numbers. */
  pushValue(value: unknown): string | undefined {
    if (value === null || value === undefined) {
      this.pushNull();
      return undefined;
    }
    if (typeof value === 'string') {
      // JSON's "\ud800" has no UTF-8: it would be stored as U+FFFD, and "a\ud800" and "a\ud801" would be one id
      if (!wellFormed(value)) return LONE_SURROGATE;
      if (this.forced) return this.pushText(value);
      const t = this.parseDates && (this.kind === 'empty' || this.kind === 'date') ? parseIsoDate(value) : NaN;
      if (!Number.isNaN(t)) {
        if (this.kind === 'empty') this.start('date');
        this.appendDate(t, value);
      } else {
        this.widenToString();
        this.appendString(value);
      }
      return undefined;
    }
    if (typeof value === 'number' || typeof value === 'bigint') {
      const v = Number(value);
      // a 64-bit id a float64 would round (2^53 + 1) is read as its digits, as CSV inference reads it
      if (typeof value === 'bigint' && BigInt(v) !== value) return this.pushText(String(value));
      return this.pushTyped('number', v, String(value));
    }
    if (typeof value === 'boolean') return this.pushTyped('boolean', value ? 1 : 0, value ? 'true' : 'false');
    if (value instanceof Date) {
      const t = value.getTime();
      return this.pushTyped('date', t, Number.isNaN(t) ? 'Invalid Date' : value.toISOString());
    }
    return 'is a nested value (an object or an array), which a table column cannot hold';
  }

  private pushTyped(kind: 'number' | 'boolean' | 'date', v: number, text: string): string | undefined {
    if (this.kind === 'empty') this.start(kind);
    if (this.kind === kind) {
      if (kind === 'number') {
        if (this.forced === 'integer' && !isInt32(v)) return Number.isInteger(v) ? 'is not a 32-bit integer' : 'is not an integer';
        if (this.allInt && !isInt32(v)) this.allInt = false;
      } else if (kind === 'date') {
        if (Number.isNaN(v)) return 'is not a valid date';
        if (this.dateOnly && v % DAY_MS !== 0) this.dateOnly = false;
      }
      this.appendNumber(v);
      return undefined;
    }
    if (this.forced === 'string' || this.forced === 'category' || !this.forced) {
      this.widenToString();
      if (this.kind === 'category') this.appendCategory(text);
      else this.appendString(text);
      return undefined;
    }
    if (this.forced === 'date' && kind === 'number' && Number.isFinite(v)) {
      this.appendNumber(v); // epoch milliseconds
      return undefined;
    }
    if ((this.forced === 'boolean' && kind === 'number' && (v === 0 || v === 1)) || (this.forced === 'number' && kind === 'boolean')) {
      this.appendNumber(v);
      return undefined;
    }
    return `is not ${ARTICLE[this.forced]}`;
  }

  private widenToString(): void {
    if (this.kind === 'empty') this.start('string');
    else if (this.kind !== 'string' && this.kind !== 'category') this.toStrings();
  }

  private startFromText(text: string): string | undefined {
    const number = this.numeric(text);
    const v = number === '' ? undefined : parseNumberText(number, true);
    if (v !== undefined) {
      this.start('number');
      return this.pushText(text);
    }
    if (BOOLEAN_STRICT.has(text.trim().toLowerCase())) {
      this.start('boolean');
      return this.pushText(text);
    }
    if (this.parseDates && !Number.isNaN(parseIsoDate(text))) {
      this.start('date');
      return this.pushText(text);
    }
    this.start('string');
    this.countText(text, this.length);
    this.appendString(text);
    return undefined;
  }

  private capacity(): number {
    switch (this.kind) {
      case 'number':
      case 'boolean':
      case 'date':
        return this.chunks.length === 1 ? this.chunks[0]!.length : this.chunks.length * CHUNK;
      case 'string':
        return this.offsets.length - 1;
      case 'category':
        return this.codes.length;
      default:
        return this.valid ? this.valid.length * 8 : 0;
    }
  }

  private reserve(need: number): void {
    switch (this.kind) {
      case 'number':
      case 'boolean':
      case 'date':
        // the first chunk grows from a small size to CHUNK; after it, whole chunks are added and never copied
        if (this.chunks.length <= 1 && need <= CHUNK) {
          const first = this.chunks[0] ?? new Float64Array(0);
          this.chunks[0] = first.length >= need ? first : grow(first, need);
          break;
        }
        if (this.chunks.length === 1 && this.chunks[0]!.length < CHUNK) this.chunks[0] = grow(this.chunks[0]!, CHUNK);
        while (this.chunks.length * CHUNK < need) this.chunks.push(new Float64Array(CHUNK));
        break;
      case 'string':
        if (need + 1 > this.offsets.length) this.offsets = grow(this.offsets, need + 1);
        break;
      case 'category':
        this.codes = grow(this.codes, need);
        break;
    }
    if (this.valid && need > this.valid.length * 8) this.valid = grow(this.valid, (Math.max(need, this.capacity()) + 7) >> 3);
  }

  /** Switches an empty column to a storage kind; rows so far are all null and keep zeroed slots. */
  protected start(kind: Kind): void {
    if (this.startKind === 'empty') this.startKind = kind;
    this.kind = kind;
    const need = Math.max(MIN_CAPACITY, this.length + 1);
    if (kind === 'string') this.offsets = new Int32Array(need + 1);
    else if (kind === 'category') {
      this.codes = new Int32Array(need);
      this.dict = new Map();
    } else if (kind !== 'empty') this.chunks = [];
  }

  private markValid(i: number): void {
    if (this.valid) {
      if (i >= this.valid.length * 8) this.valid = grow(this.valid, (i >> 3) + 1);
      this.valid[i >> 3] |= 1 << (i & 7);
    }
  }

  private isValid(i: number): boolean {
    return !this.valid || (this.valid[i >> 3] & (1 << (i & 7))) !== 0;
  }

  private appendNumber(v: number): void {
    const i = this.length;
    let chunk = this.chunks[i >> CHUNK_BITS];
    if (!chunk || (i & CHUNK_MASK) >= chunk.length) {
      this.reserve(i + 1);
      chunk = this.chunks[i >> CHUNK_BITS];
    }
    chunk![i & CHUNK_MASK] = v;
    this.markValid(i);
    this.length = i + 1;
  }

  /** The column's text in one buffer, with the text of its tails after it; the blocks let go. */
  private joinText(): Uint8Array {
    const last = this.bytes.subarray(0, this.byteLength - this.blockStart);
    const all = [...this.blocks, last, ...this.tails.flatMap((t) => t.text)];
    let data: Uint8Array;
    if (all.length === 1) data = last.slice();
    else {
      data = new Uint8Array(all.reduce((sum, b) => sum + b.length, 0));
      let at = 0;
      for (const b of all) {
        data.set(b, at);
        at += b.length;
      }
    }
    this.bytes = new Uint8Array(0);
    this.blocks = [];
    this.blockStart = 0;
    return data;
  }

  /** Makes room for `need` more bytes of text; returns where in `this.bytes` they go. */
  private room(need: number): number {
    let at = this.byteLength - this.blockStart;
    if (at + need <= this.bytes.length && this.byteLength + need <= MAX_TEXT_BYTES) return at;
    if (this.byteLength + need > MAX_TEXT_BYTES) {
      throw new SegkitError('E_MEMORY', `column "${this.name}" holds more than 2 GiB of text`, 'read the file in batches with csvRecords');
    }
    if (this.blocks.length === 0 && at + need <= TEXT_BLOCK) this.bytes = grow(this.bytes, at + need);
    else {
      // a block left mostly empty (the next cell did not fit) keeps only its text
      const used = this.bytes.subarray(0, at);
      this.blocks.push(at < this.bytes.length * 0.75 ? used.slice() : used);
      this.bytes = new Uint8Array(Math.max(TEXT_BLOCK, need));
      this.blockStart = this.byteLength;
      at = 0;
    }
    return at;
  }

  private writeString(i: number, text: string): void {
    const to = text.length;
    // at most 3 bytes a UTF-16 unit; the exact length only where that bound does not fit
    let need = to * 3;
    if (this.byteLength - this.blockStart + need > this.bytes.length || this.byteLength + need > MAX_TEXT_BYTES) need = utf8Length(text);
    let at = this.room(need);
    const bytes = this.bytes;
    let ascii = true;
    // short ASCII values dominate tabular data; encodeInto is kept for the rest
    for (let k = 0; k < to; k++) {
      const c = text.charCodeAt(k);
      if (c >= 0x80) {
        ascii = false;
        break;
      }
      bytes[at + k] = c;
    }
    if (ascii) at += to;
    else at += (encoder ??= new TextEncoder()).encodeInto(text, bytes.subarray(at)).written;
    this.byteLength = this.blockStart + at;
    this.offsets[i + 1] = this.byteLength;
  }

  private appendString(text: string): void {
    const i = this.length;
    if (i + 2 > this.offsets.length) this.reserve(i + 1);
    this.writeString(i, text);
    this.markValid(i);
    this.length = i + 1;
  }

  private appendCategory(text: string): void {
    const i = this.length;
    if (i >= this.codes.length) this.reserve(i + 1);
    const dict = this.dict!;
    let code = dict.get(text);
    if (code === undefined) {
      code = this.dictValues.length;
      dict.set(text, code);
      this.dictValues.push(text);
    }
    this.codes[i] = code;
    this.markValid(i);
    this.length = i + 1;
  }

  /**
   * Appends a date read from `text`, noting how it was written (dateLayout: a code for each of the first 254), so
   * that the column, should it turn to text, gives it back as written rather than as ISO 8601 in UTC.
   */
  private appendDate(t: number, text: string): void {
    if (this.dateOnly && !dateOnlyText(text)) this.dateOnly = false;
    if (!this.forced) {
      let code = 0;
      const last = this.lastDate;
      // most dates of a column are written alike: the last one's layout, when the text differs from it in digits alone
      if (last !== undefined && sameLayout(text, last.text, last.zone)) code = last.code;
      else {
        const layout = dateLayout(text);
        const bar = layout.lastIndexOf('|');
        // a layout of at most 17 digits (to milliseconds) gives back every text written in it; a finer fraction is
        // kept as its text (two times apart by less than a millisecond are one value as a date)
        if (layout.slice(0, bar).replace(/[^0]/g, '').length > 17) code = EXOTIC_FORM;
        else {
          const list = (this.spellings ??= []);
          code = list.indexOf(layout) + 1;
          if (code === 0 && list.length < 254) code = list.push(layout);
          // past 254 layouts, or a text its layout does not give back, the text itself is kept
          if (code === 0 || dateText(layout, t) !== text) code = EXOTIC_FORM;
          else this.lastDate = { text, code, zone: layout.length - bar - 1 };
        }
      }
      // while every date has one form, none is noted row by row
      if (this.dateForm < 0 && this.length === this.nullCount && code !== EXOTIC_FORM) this.dateForm = code;
      if (code !== this.dateForm) {
        if (this.dateForm > 0 && this.length > 0) (this.forms = new Uint8Array(Math.max(MIN_CAPACITY, this.length + 1))).fill(this.dateForm, 0, this.length);
        this.dateForm = 0;
        if (code !== 0) this.noteForm(this.length, code, text);
      }
    }
    this.appendNumber(t);
  }

  /** Records how the boolean of the next row was written (TRUE, True): a code for each of the first 254 spellings. */
  private noteSpelling(text: string): void {
    const list = (this.spellings ??= []);
    let code = list.indexOf(text) + 1;
    if (code === 0 && list.length < 254) code = list.push(text);
    this.noteForm(this.length, code || EXOTIC_FORM, text);
  }

  /** Records how row i's number was written (numberForm), when String(value) would not give it back. */
  private noteForm(i: number, form: number, text: string): void {
    if (!this.forms) this.forms = new Uint8Array(Math.max(MIN_CAPACITY, i + 1));
    else if (i >= this.forms.length) this.forms = grow(this.forms, i + 1);
    this.forms[i] = form;
    if (form !== EXOTIC_FORM) return;
    this.exoticNoted++;
    const exotic = (this.exotic ??= new Map());
    if (exotic.size < EXOTIC_CAP) exotic.set(i, text);
  }

  /** Re-renders the values so far as text when a later value does not fit the inferred type, each as it was written. */
  protected toStrings(): void {
    const n = this.length;
    const chunks = this.chunks;
    const kind = this.kind;
    const forms = this.forms, exotic = this.exotic, spellings = this.spellings;
    if (kind === 'number' && exotic) for (const text of exotic.values()) if (!mayBeNumber(text.charCodeAt(0))) this.oddNumbers++;
    this.kind = 'string';
    this.offsets = new Int32Array(Math.max(MIN_CAPACITY, n + 1) + 1);
    this.bytes = new Uint8Array(0);
    this.blocks = [];
    this.blockStart = 0;
    this.byteLength = 0;
    this.chunks = [];
    this.forms = null;
    this.exotic = null;
    this.spellings = null;
    this.lastDate = undefined;
    // dates that all share one form noted none
    const shared = kind === 'date' && !forms && this.dateForm > 0 ? this.dateForm : 0;
    this.dateForm = -1;
    for (let i = 0; i < n; i++) {
      if (this.isValid(i)) {
        const v = chunks[i >> CHUNK_BITS]![i & CHUNK_MASK];
        // the cell as it was written: kept, or rebuilt from the value and how it was written
        const form = forms && i < forms.length ? forms[i] : shared;
        if (form === EXOTIC_FORM) {
          this.writeString(i, exotic!.get(i)!);
          continue;
        }
        const text = form === 0 ? render(kind, v, this.dateOnly) : kind === 'boolean' ? spellings![form - 1] : kind === 'date' ? dateText(spellings![form - 1], v) : fixedForm(v, form);
        this.writeString(i, this.decimalComma && kind === 'number' ? text.replace('.', ',') : text);
      } else this.offsets[i + 1] = this.byteLength;
    }
  }

  /** Rows this builder holds itself, before its tails. */
  protected ownLength(): number {
    let n = this.length;
    for (const t of this.tails) n -= t.length;
    return n;
  }

  /**
   * Copies the chunks into `out`, then each tail's after them, releasing each once copied, so finishing needs about
   * one column of extra memory.
   */
  private drain<T extends Float64Array | Float32Array | Int32Array>(out: T): T {
    this.forEachChunk((chunk, count, at) => out.set(count === chunk.length ? chunk : chunk.subarray(0, count), at));
    return out;
  }

  /** Each chunk of values, own then the tails', with how many of its values are rows and the row of its first. */
  private forEachChunk(fn: (chunk: Float64Array, count: number, at: number) => void): void {
    const visit = (chunks: (Float64Array | null)[], n: number, at: number, release: boolean) => {
      for (let c = 0; c < chunks.length && c * CHUNK < n; c++) {
        fn(chunks[c]!, Math.min(CHUNK, n - c * CHUNK), at + c * CHUNK);
        if (release) chunks[c] = null;
      }
    };
    let at = this.ownLength();
    visit(this.chunks, at, 0, true);
    for (const t of this.tails) {
      visit(t.chunks as Float64Array[], t.length, at, false);
      at += t.length;
    }
  }

  private forEachNumber(fn: (v: number, i: number) => void): void {
    this.forEachChunk((chunk, count, at) => {
      for (let k = 0; k < count; k++) fn(chunk[k], at + k);
    });
  }

  /** The validity bitmap of every row, the tails' after the builder's own; undefined when no row is null. */
  private nullBitmap(): Uint8Array | undefined {
    const n = this.length;
    if (this.nullCount === 0) return undefined;
    if (this.tails.length === 0) return this.valid!.slice(0, (n + 7) >> 3);
    const bits = new Uint8Array((n + 7) >> 3);
    let at = this.ownLength();
    copyBits(bits, 0, this.valid, at);
    for (const t of this.tails) {
      copyBits(bits, at, t.valid, t.length);
      at += t.length;
    }
    return bits;
  }

  /**
   * The finished Arrow column; `integers: false` keeps whole-number columns as Float64 (for batches that must share one
   * schema); `float32` stores a numeric column with a fraction as Float32, 'all' any numeric column.
   */
  finish(options: { float32: boolean | 'all'; integers: boolean }): Data {
    const n = this.length;
    const nullCount = this.nullCount;
    const nullBitmap = this.nullBitmap();
    switch (this.kind) {
      case 'number': {
        const asInt = this.forced === 'integer' || (!this.forced && options.integers && this.allInt);
        if (asInt) return makeData({ type: new Int32(), length: n, nullCount, nullBitmap, data: this.drain(new Int32Array(n)) });
        const data = this.drain(new Float64Array(n));
        // float32 holds whole numbers exactly only to 2^24: a column of whole numbers (ids, amounts in cents) stays
        // Float64 unless `float32` is 'all' (a batch after one that chose Float32)
        if (options.float32 === 'all' || (options.float32 && data.some((v) => v % 1 !== 0 && v - v === 0))) {
          return makeData({ type: new Float32(), length: n, nullCount, nullBitmap, data: new Float32Array(data) });
        }
        return makeData({ type: new Float64(), length: n, nullCount, nullBitmap, data });
      }
      case 'boolean': {
        const bits = new Uint8Array((n + 7) >> 3);
        this.forEachNumber((v, i) => {
          if (v) bits[i >> 3] |= 1 << (i & 7);
        });
        return makeData({ type: new Bool(), length: n, nullCount, nullBitmap, data: bits });
      }
      case 'date': {
        const ms = new BigInt64Array(n);
        this.forEachNumber((v, i) => (ms[i] = BigInt(v)));
        return makeData({ type: new TimestampMillisecond(), length: n, nullCount, nullBitmap, data: ms });
      }
      case 'category': {
        const dictionary = makeVector(utf8Data(this.dictValues));
        const codes = new Int32Array(n);
        let at = this.ownLength();
        codes.set(this.codes.subarray(0, at));
        for (const t of this.tails) {
          codes.set(t.codes, at);
          at += t.length;
        }
        return makeData({ type: new Dictionary(new Utf8(), new Int32()), length: n, nullCount, nullBitmap, data: codes, dictionary });
      }
      case 'string': {
        let at = this.ownLength();
        const valueOffsets = new Int32Array(n + 1);
        valueOffsets.set(this.offsets.subarray(0, at + 1));
        for (const t of this.tails) {
          const base = valueOffsets[at], o = t.offsets;
          if (base + o[t.length] > MAX_TEXT_BYTES) {
            throw new SegkitError('E_MEMORY', `column "${this.name}" holds more than 2 GiB of text`, 'read the file in batches with csvRecords');
          }
          for (let i = 1; i <= t.length; i++) valueOffsets[at + i] = base + o[i];
          at += t.length;
        }
        this.offsets = new Int32Array(0);
        const data = this.joinText();
        return makeData({ type: new Utf8(), length: n, nullCount, nullBitmap, valueOffsets, data });
      }
      case 'empty':
        // a column that held only nulls: text is the type that takes anything later
        return makeData({
          type: new Utf8(),
          length: n,
          nullCount,
          nullBitmap: new Uint8Array((n + 7) >> 3),
          valueOffsets: new Int32Array(n + 1),
          data: new Uint8Array(0),
        });
    }
  }
}
